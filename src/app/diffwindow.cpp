#include "app/diffwindow.h"
#include "ui_diffwindow.h"

#include <algorithm>

#include <QAction>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QScrollBar>
#include <QtConcurrent/QtConcurrent>

#include "app/progressbarfeed.h"
#include "app/workerguard.h"
#include "models/diffheadline.h"
#include "models/difftreemodel.h"
#include "models/reportformat.h"
#include "models/statuscolors.h"

namespace ckpt::app
{

struct DiffWindow::Outcome {
    CheckpointPtr left, right;
    std::shared_ptr<const CheckpointDiff> diff;
    QString error;
};

namespace
{

QString legendHtml(const QPalette& pal)
{
    using models::MatchState;
    const std::pair<MatchState, const char*> items[] = {
        {MatchState::Ok, "equal"},
        {MatchState::DtypeMismatch, "values differ"},
        {MatchState::ShapeMismatch, "shape/dtype differs"},
        {MatchState::Renamed, "location differs"},
        {MatchState::Unexpected, "one side only"},
    };
    QStringList parts;
    for (const auto& [state, text] : items)
        parts << QStringLiteral("<span style='color:%1'>&#9679; %2</span>")
                     .arg(models::StatusColors::foreground(state, pal).name(), QLatin1String(text));
    return parts.join(QStringLiteral("&nbsp; "));
}

} // namespace

DiffWindow::DiffWindow(QWidget* parent) : QWidget(parent), m_ui(std::make_unique<Ui::DiffWindow>())
{
    m_ui->setupUi(this);
    m_left = new models::DiffTreeModel(models::DiffTreeModel::Left, this);
    m_right = new models::DiffTreeModel(models::DiffTreeModel::Right, this);
    m_ui->leftView->setModel(m_left);
    m_ui->rightView->setModel(m_right);
    for (QTreeView* v : {m_ui->leftView, m_ui->rightView}) {
        v->header()->setSectionResizeMode(QHeaderView::Interactive);
        v->header()->setStretchLastSection(false);
        // Name and Key share what the fixed columns leave, so Status stays on screen at 1024 pixels.
        v->header()->setSectionResizeMode(models::DiffTreeModel::NameColumn, QHeaderView::Stretch);
        v->header()->setSectionResizeMode(models::DiffTreeModel::KeyColumn, QHeaderView::Stretch);
        v->setColumnWidth(models::DiffTreeModel::StatusColumn, 100);
        v->setColumnWidth(models::DiffTreeModel::DtypeColumn, 60);
        v->setColumnWidth(models::DiffTreeModel::ShapeColumn, 80);
        v->setColumnWidth(models::DiffTreeModel::LocationColumn, 50);
        v->setColumnWidth(models::DiffTreeModel::LargestDiffColumn, 64);
    }
    m_saveButton = new QPushButton(tr("&Save report..."), this);
    m_saveButton->setObjectName(QStringLiteral("saveReportButton"));
    m_saveButton->setToolTip(tr("Save the comparison as JSON (as `ckpt diff --json`) or Markdown (.md)"));
    m_saveButton->setEnabled(false);
    m_ui->optionsLayout->insertWidget(m_ui->optionsLayout->indexOf(m_ui->valuesButton) + 1, m_saveButton);
    connect(m_saveButton, &QPushButton::clicked, this, [this] {
        const QString base = QFileInfo(m_leftPath).completeBaseName() + QStringLiteral("_vs_") +
                             QFileInfo(m_rightPath).completeBaseName() + QStringLiteral(".md");
        const QString file = QFileDialog::getSaveFileName(this, tr("Save comparison report"),
                                                          QDir(QFileInfo(m_leftPath).absolutePath()).filePath(base),
                                                          tr("Markdown (*.md);;JSON (*.json)"));
        if (file.isEmpty()) return;
        QString error;
        if (!saveReport(file, &error))
            m_ui->summaryLabel->setText(
                QStringLiteral("<span style='color:%1'>%2</span>")
                    .arg(models::StatusColors::dangerColor(palette()).name(), error.toHtmlEscaped()));
    });
    m_ui->legendLabel->setText(legendHtml(palette()));
    auto* next = new QAction(tr("Next difference"), this);
    next->setShortcut(QKeySequence(Qt::Key_F8));
    auto* previous = new QAction(tr("Previous difference"), this);
    previous->setShortcut(QKeySequence(Qt::SHIFT | Qt::Key_F8));
    addAction(next);
    addAction(previous);
    connect(next, &QAction::triggered, this, [this] { goToDifference(true); });
    connect(previous, &QAction::triggered, this, [this] { goToDifference(false); });
    m_ui->progressBar->hide();
    m_ui->cancelButton->hide();
    m_ui->valuesButton->setEnabled(false);
    connect(m_ui->differencesOnlyCheck, &QCheckBox::toggled, this, &DiffWindow::setDifferencesOnly);
    connect(m_ui->valuesButton, &QPushButton::clicked, this, &DiffWindow::compareValues);
    connect(m_ui->cancelButton, &QPushButton::clicked, this, [this] {
        if (m_cancel) *m_cancel = true;
    });
    syncViews();
}

DiffWindow::~DiffWindow()
{
    if (m_cancel) *m_cancel = true;
    if (m_watcher) m_watcher->waitForFinished();
}

QTreeView* DiffWindow::leftView() const
{
    return m_ui->leftView;
}

QTreeView* DiffWindow::rightView() const
{
    return m_ui->rightView;
}

void DiffWindow::syncViews()
{
    QTreeView* l = m_ui->leftView;
    QTreeView* r = m_ui->rightView;
    // Same rows on both sides, so the scroll positions can simply follow each other.
    connect(l->verticalScrollBar(), &QScrollBar::valueChanged, r->verticalScrollBar(), &QScrollBar::setValue);
    connect(r->verticalScrollBar(), &QScrollBar::valueChanged, l->verticalScrollBar(), &QScrollBar::setValue);
    // Sideways too, so a column scrolled into view on one side is in view on the other.
    connect(l->horizontalScrollBar(), &QScrollBar::valueChanged, r->horizontalScrollBar(), &QScrollBar::setValue);
    connect(r->horizontalScrollBar(), &QScrollBar::valueChanged, l->horizontalScrollBar(), &QScrollBar::setValue);
    connect(l, &QTreeView::expanded, this, [this, l, r](const QModelIndex& i) { mirror(l, r, i, true); });
    connect(r, &QTreeView::expanded, this, [this, l, r](const QModelIndex& i) { mirror(r, l, i, true); });
    connect(l, &QTreeView::collapsed, this, [this, l, r](const QModelIndex& i) { mirror(l, r, i, false); });
    connect(r, &QTreeView::collapsed, this, [this, l, r](const QModelIndex& i) { mirror(r, l, i, false); });
    auto follow = [this](QTreeView* from, QTreeView* to) {
        connect(from->selectionModel(), &QItemSelectionModel::currentChanged, this,
                [this, from, to](const QModelIndex& current) {
                    if (m_syncing) return;
                    m_syncing = true;
                    auto* toModel = static_cast<models::DiffTreeModel*>(to->model());
                    auto* fromModel = static_cast<models::DiffTreeModel*>(from->model());
                    to->setCurrentIndex(toModel->indexForNode(fromModel->nodeId(current), current.column()));
                    m_syncing = false;
                });
    };
    follow(l, r);
    follow(r, l);
}

bool DiffWindow::goToDifference(bool forward)
{
    std::shared_ptr<const models::DiffTree> tree = m_left->tree();
    if (!tree || tree->size() <= 1) return false;
    // Every row in display order (depth first), and which of them are leaves that differ.
    std::vector<int> order;
    order.reserve(size_t(tree->size()));
    std::vector<int> stack(tree->node(0).children.rbegin(), tree->node(0).children.rend());
    while (!stack.empty()) {
        const int id = stack.back();
        stack.pop_back();
        order.push_back(id);
        const auto& children = tree->node(id).children;
        stack.insert(stack.end(), children.rbegin(), children.rend());
    }
    auto differs = [&](int id) {
        const models::DiffNode& n = tree->node(id);
        return (n.entry >= 0 || n.valueEntry >= 0) && n.differing > 0;
    };
    const int current = m_left->nodeId(m_ui->leftView->currentIndex());
    const auto here = std::find(order.begin(), order.end(), current);
    const long start = here == order.end() ? (forward ? -1 : long(order.size())) : long(here - order.begin());
    const long count = long(order.size());
    for (long step = 1; step <= count; ++step) {
        const long at = ((forward ? start + step : start - step) % count + count) % count;
        if (!differs(order[size_t(at)])) continue;
        const QModelIndex index = m_left->indexForNode(order[size_t(at)]);
        m_ui->leftView->setCurrentIndex(index);
        m_ui->leftView->scrollTo(index);
        return true;
    }
    return false;
}

void DiffWindow::mirror(QTreeView* from, QTreeView* to, const QModelIndex& index, bool expand)
{
    if (m_syncing) return;
    m_syncing = true;
    auto* fromModel = static_cast<models::DiffTreeModel*>(from->model());
    auto* toModel = static_cast<models::DiffTreeModel*>(to->model());
    to->setExpanded(toModel->indexForNode(fromModel->nodeId(index)), expand);
    m_syncing = false;
}

void DiffWindow::compare(CheckpointPtr left, const QString& leftPath, const QString& rightPath)
{
    start(std::move(left), leftPath, rightPath, false);
}

void DiffWindow::compareFiles(const QString& leftPath, const QString& rightPath)
{
    start(nullptr, leftPath, rightPath, false);
}

void DiffWindow::compareValues()
{
    if (!m_leftDoc || !m_rightDoc || isBusy()) return;
    start(m_leftDoc, m_leftPath, m_rightPath, true);
}

void DiffWindow::start(CheckpointPtr left, const QString& leftPath, const QString& rightPath, bool values)
{
    if (!values) m_autoValues = true;
    m_leftPath = leftPath;
    m_rightPath = rightPath;
    m_error.clear();
    setWindowTitle(
        tr("%1 \u2194 %2 - Compare checkpoints").arg(QFileInfo(leftPath).fileName(), QFileInfo(rightPath).fileName()));
    m_ui->leftLabel->setText(tr("<b>Left:</b> %1").arg(leftPath.toHtmlEscaped()));
    m_ui->rightLabel->setText(tr("<b>Right:</b> %1").arg(rightPath.toHtmlEscaped()));
    m_ui->summaryLabel->setText(values ? tr("Comparing values...") : tr("Loading and aligning..."));
    m_ui->progressBar->setRange(0, 0);
    m_ui->progressBar->show();
    m_ui->cancelButton->setVisible(values);
    m_ui->valuesButton->setEnabled(false);

    m_cancel = std::make_shared<std::atomic<bool>>(false);
    auto cancel = m_cancel;
    CheckpointPtr right = values ? m_rightDoc : nullptr;
    auto feed = progressBarFeed(m_ui->progressBar);
    auto job = [left, right, leftPath, rightPath, values, cancel, feed]() {
        auto out = std::make_shared<Outcome>();
        out->left = left;
        out->right = right;
        if (!out->left) {
            Result<CheckpointPtr> r = loadCheckpoint(leftPath.toStdString());
            if (!r.ok()) {
                out->error = QString::fromStdString(r.error().describe(leftPath.toStdString()));
                return out;
            }
            out->left = r.value();
        }
        if (!out->right) {
            Result<CheckpointPtr> r = loadCheckpoint(rightPath.toStdString());
            if (!r.ok()) {
                out->error = QString::fromStdString(r.error().describe(rightPath.toStdString()));
                return out;
            }
            out->right = r.value();
        }
        DiffOptions options;
        options.values = values;
        options.progress.cancel = cancel.get();
        options.progress.report = feed;
        Result<CheckpointDiff> d = diffCheckpoints(*out->left, *out->right, options);
        if (!d.ok())
            out->error = QString::fromStdString(d.error().detail);
        else
            out->diff = std::make_shared<const CheckpointDiff>(std::move(d).value());
        return out;
    };
    if (m_watcher) {
        m_watcher->disconnect(this);
        connect(m_watcher, &QFutureWatcherBase::finished, m_watcher, &QObject::deleteLater);
    }
    m_watcher = new QFutureWatcher<std::shared_ptr<Outcome>>(this);
    connect(m_watcher, &QFutureWatcherBase::finished, this, &DiffWindow::finish);
    m_watcher->setFuture(QtConcurrent::run(guardedWorker(std::move(job), [](const Error& error) {
        auto out = std::make_shared<Outcome>();
        out->error = workerErrorText(error);
        return out;
    })));
}

void DiffWindow::finish()
{
    auto out = m_watcher->result();
    m_watcher->deleteLater();
    m_watcher = nullptr;
    m_cancel.reset();
    m_ui->progressBar->hide();
    m_ui->cancelButton->hide();
    if (out->left) m_leftDoc = out->left;
    if (out->right) m_rightDoc = out->right;
    m_ui->valuesButton->setEnabled(m_leftDoc && m_rightDoc);
    if (!out->error.isEmpty()) {
        m_error = out->error;
        m_ui->summaryLabel->setText(
            QStringLiteral("<span style='color:%1'>%2</span>")
                .arg(models::StatusColors::dangerColor(palette()).name(), out->error.toHtmlEscaped()));
        // A cancelled value comparison leaves the metadata diff on screen.
        emit ready();
        return;
    }
    showDiff(out->diff);
    emit ready();
}

bool DiffWindow::saveReport(const QString& path, QString* error)
{
    if (!m_diff) {
        if (error) *error = tr("Nothing to save yet: the comparison is still running.");
        return false;
    }
    return models::saveReportFile(
        path, models::diffReportBytes(*m_diff, m_leftPath, m_rightPath, models::reportFormatForPath(path)), error);
}

void DiffWindow::showDiff(std::shared_ptr<const CheckpointDiff> diff)
{
    m_diff = std::move(diff);
    m_saveButton->setEnabled(true);
    setDifferencesOnly(m_ui->differencesOnlyCheck->isChecked());
    QString rule = m_diff->rule.empty() ? tr("keys compared as they are")
                                        : tr("rule: %1").arg(QString::fromStdString(m_diff->rule.describe()));
    m_ui->summaryLabel->setText(QStringLiteral("<b>%1</b><br>%2%3")
                                    .arg(summaryText().toHtmlEscaped(), rule.toHtmlEscaped(),
                                         m_diff->valuesCompared ? QString()
                                                                : tr(" \u2014 metadata only; Compare values reads "
                                                                     "the tensor bytes")));
    // Small files get their values compared right away, so "equal" can be read without another click.
    if (!m_diff->valuesCompared && m_autoValues && m_leftDoc && m_rightDoc &&
        m_leftDoc->fileSize + m_rightDoc->fileSize <= kAutoValuesBytes) {
        m_autoValues = false;
        compareValues();
    }
}

QString DiffWindow::summaryText() const
{
    return m_diff ? QString::fromStdString(models::diffHeadline(*m_diff)) : QString();
}

void DiffWindow::setDifferencesOnly(bool on)
{
    if (m_ui->differencesOnlyCheck->isChecked() != on) {
        m_ui->differencesOnlyCheck->setChecked(on); // re-enters through the toggled signal
        return;
    }
    if (!m_diff) return;
    auto tree = models::DiffTree::build(m_diff, on);
    m_left->setTree(tree);
    m_right->setTree(tree);
    if (on) {
        m_ui->leftView->expandAll();
        m_ui->rightView->expandAll();
    } else {
        m_ui->leftView->expandToDepth(0);
        m_ui->rightView->expandToDepth(0);
    }
}

} // namespace ckpt::app
