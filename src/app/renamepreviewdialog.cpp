#include "app/renamepreviewdialog.h"
#include "ui_renamepreviewdialog.h"

#include <QHeaderView>
#include <QPushButton>
#include <QSortFilterProxyModel>

#include "app/exportdialog.h"
#include "app/layoutchoices.h"
#include "core/analysis/matchreport.h"
#include "models/modelroles.h"
#include "models/renamepreviewmodel.h"

namespace ckpt::app
{

namespace
{

// The name a key would get, for showing a refused plan: the engine refuses collisions without producing pairs,
// but the user needs to see which keys collide. Mirrors RenamePlan's documented order: rule, then layout.
std::string previewName(const std::string& key, const RenameRule& rule, TargetLayout layout)
{
    std::string out = rule.apply(key);
    static const std::string wrapper = "module.";
    if (layout == TargetLayout::Single || layout == TargetLayout::DataParallel)
        while (out.rfind(wrapper, 0) == 0)
            out.erase(0, wrapper.size());
    if (layout == TargetLayout::DataParallel) out.insert(0, wrapper);
    return out;
}

// Shows rows whose old or new key contains the text, optionally only renamed ones.
class PreviewFilter : public QSortFilterProxyModel
{
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;
    bool changedOnly = false;
    QString text;

protected:
    bool filterAcceptsRow(int row, const QModelIndex& parent) const override
    {
        const QAbstractItemModel* m = sourceModel();
        const QString from = m->index(row, models::RenamePreviewModel::OldColumn, parent).data().toString();
        const QString to = m->index(row, models::RenamePreviewModel::NewColumn, parent).data().toString();
        if (changedOnly && from == to) return false;
        return text.isEmpty() || from.contains(text, Qt::CaseInsensitive) || to.contains(text, Qt::CaseInsensitive);
    }
};

} // namespace

RenamePreviewDialog::RenamePreviewDialog(CheckpointPtr doc, const QString& path, const RenameRule& rule,
                                         QWidget* parent)
    : QDialog(parent), m_ui(std::make_unique<Ui::RenamePreviewDialog>()), m_doc(std::move(doc)), m_path(path),
      m_rule(rule)
{
    m_ui->setupUi(this);
    if (const WeightSet* set = m_doc->mainWeightSet())
        for (const WeightEntry& e : set->entries)
            m_keys.push_back(e.key);
    m_model = new models::RenamePreviewModel(this);
    auto* filter = new PreviewFilter(this);
    m_proxy = filter;
    m_proxy->setSourceModel(m_model);
    m_ui->tableView->setModel(m_proxy);
    m_ui->tableView->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_ui->tableView->verticalHeader()->hide();
    m_ui->tableView->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);

    addLayoutChoices(m_ui->layoutCombo);
    // Without an inferred rule the usual wish is a plain single-device state dict.
    m_ui->layoutCombo->setCurrentIndex(m_rule.empty() ? 1 : 0);

    m_export = m_ui->buttonBox->addButton(tr("&Export..."), QDialogButtonBox::AcceptRole);
    connect(m_export, &QPushButton::clicked, this, [this] { continueToExport(); });
    connect(m_ui->buttonBox, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_ui->layoutCombo, qOverload<int>(&QComboBox::currentIndexChanged), this, &RenamePreviewDialog::rebuild);
    connect(m_ui->filterEdit, &QLineEdit::textChanged, this, &RenamePreviewDialog::applyFilter);
    connect(m_ui->changedOnlyCheck, &QCheckBox::toggled, this, &RenamePreviewDialog::applyFilter);
    rebuild();
}

RenamePreviewDialog::~RenamePreviewDialog() = default;

void RenamePreviewDialog::setLayoutTarget(TargetLayout layout)
{
    m_ui->layoutCombo->setCurrentIndex(m_ui->layoutCombo->findData(int(layout)));
}

TargetLayout RenamePreviewDialog::layoutTarget() const
{
    return TargetLayout(m_ui->layoutCombo->currentData().toInt());
}

void RenamePreviewDialog::rebuild()
{
    const TargetLayout layout = layoutTarget();
    Result<RenamePlan> plan = RenamePlan::build(m_keys, m_rule, layout);
    std::vector<std::pair<std::string, std::string>> pairs;
    QString problem;
    if (plan.ok()) {
        m_plan = std::make_unique<RenamePlan>(std::move(plan).value());
        for (const RenamePair& p : m_plan->pairs())
            pairs.emplace_back(p.from, p.to);
    } else {
        m_plan.reset();
        problem = QString::fromStdString(plan.error().detail);
        for (const std::string& k : m_keys)
            pairs.emplace_back(k, previewName(k, m_rule, layout));
    }
    m_model->setPairs(std::move(pairs));
    const QString rule = m_rule.empty() ? tr("no prefix rule (the layout decides)")
                                        : QString::fromStdString(m_rule.describe()).toHtmlEscaped();
    // A state dict at the top of the file has an empty path: say so rather than "the state dict at  of".
    const QString at =
        QString::fromStdString(pathToString(m_doc->mainWeightSet() ? m_doc->mainWeightSet()->at : Path{}));
    const QString file = m_path.section(QLatin1Char('/'), -1).toHtmlEscaped();
    m_ui->ruleLabel->setText(at.isEmpty()
                                 ? tr("<b>Rule:</b> %1<br><b>Keys:</b> the top-level state dict of %2").arg(rule, file)
                                 : tr("<b>Rule:</b> %1<br><b>Keys:</b> the state dict at <code>%2</code> in %3")
                                       .arg(rule, at.toHtmlEscaped(), file));
    QString summary = tr("%1 of %2 keys renamed").arg(m_model->changedCount()).arg(m_keys.size());
    if (m_model->collisionCount() > 0 || !problem.isEmpty())
        summary += tr(" \u2014 <span style='color:#c01010'><b>%1 keys collide</b>: %2</span>")
                       .arg(m_model->collisionCount())
                       .arg(problem.toHtmlEscaped());
    m_ui->summaryLabel->setText(summary);
    m_export->setEnabled(m_plan != nullptr);
    applyFilter();
}

void RenamePreviewDialog::applyFilter()
{
    auto* f = static_cast<PreviewFilter*>(m_proxy);
    f->text = m_ui->filterEdit->text();
    f->changedOnly = m_ui->changedOnlyCheck->isChecked();
    f->invalidate();
}

ExportDialog* RenamePreviewDialog::continueToExport()
{
    if (!m_plan) return nullptr;
    auto* dialog = new ExportDialog(m_doc, m_path, m_rule, parentWidget());
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setLayoutTarget(layoutTarget());
    // The export dialog outlives this one (closed on accept), so the window connects to it directly.
    emit exportDialogOpened(dialog);
    dialog->show();
    accept();
    return dialog;
}

} // namespace ckpt::app
