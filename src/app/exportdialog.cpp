#include "app/exportdialog.h"
#include "ui_exportdialog.h"

#include <set>

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHeaderView>
#include <QPushButton>
#include <QSettings>
#include <QtConcurrent/QtConcurrent>

#include "app/directorybanner.h"
#include "app/layoutchoices.h"
#include "app/progressbarfeed.h"
#include "app/replacequestion.h"
#include "app/workerguard.h"
#include "core/distributed/consolidator.h"
#include "core/distributed/layout.h"
#include "models/formatting.h"
#include "models/statuscolors.h"
#ifdef CKPT_HAVE_TENSOR_LOADER
#include "tensor/tensorloader.h"
#endif

namespace ckpt::app
{

struct ExportDialog::Outcome {
    bool ok = false;
    QString message;
    QString output;
};

namespace
{

QStringList detectedDevices()
{
    QStringList out;
#ifdef CKPT_HAVE_TENSOR_LOADER
    for (const tensor::CudaDevice& d : tensor::cudaDevices())
        out << QStringLiteral("cuda:%1").arg(d.index);
#endif
    return out;
}

} // namespace

ExportDialog::ExportDialog(CheckpointPtr doc, const QString& path, const RenameRule& rule, QWidget* parent)
    : QDialog(parent), m_ui(std::make_unique<Ui::ExportDialog>()), m_doc(std::move(doc)), m_path(path), m_rule(rule)
{
    m_ui->setupUi(this);
    m_ui->inputLabel->setText(tr("<b>Input:</b> %1 (never modified)").arg(path.toHtmlEscaped()));
    addLayoutChoices(m_ui->layoutCombo);
    m_ui->formatCombo->addItem(tr("PyTorch (.pth, torch zip)"), int(ExportFormat::Torch));
    m_ui->formatCombo->addItem(tr("safetensors (.safetensors, state dict only)"), int(ExportFormat::Safetensors));
    m_ui->locationsTable->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_ui->locationsTable->verticalHeader()->hide();
    m_ui->progressBar->hide();
    fillLocations();
    addDropDangerousChoice();
    if (consolidating()) setupConsolidation();

    m_export =
        m_ui->buttonBox->addButton(consolidating() ? tr("&Consolidate") : tr("&Export"), QDialogButtonBox::ActionRole);
    m_export->setDefault(true);
    m_cancel = m_ui->buttonBox->addButton(tr("&Cancel export"), QDialogButtonBox::ActionRole);
    m_open = m_ui->buttonBox->addButton(tr("&Open result"), QDialogButtonBox::ActionRole);
    // Hidden only once every button is in: adding a button lays the box out again and shows the others.
    m_cancel->hide();
    m_open->hide();
    connect(m_export, &QPushButton::clicked, this, &ExportDialog::startExport);
    connect(m_cancel, &QPushButton::clicked, this, &ExportDialog::cancelExport);
    connect(m_open, &QPushButton::clicked, this, &ExportDialog::openResult);
    connect(m_ui->buttonBox, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_ui->browseButton, &QPushButton::clicked, this, &ExportDialog::browse);
    connect(m_ui->destinationEdit, &QLineEdit::textEdited, this, [this] { m_destinationEdited = true; });
    connect(m_ui->formatCombo, qOverload<int>(&QComboBox::currentIndexChanged), this, [this] {
        // safetensors holds tensors only, so it implies a plain state dict.
        const bool st = ExportFormat(m_ui->formatCombo->currentData().toInt()) == ExportFormat::Safetensors;
        if (st) m_ui->stateDictOnlyCheck->setChecked(true);
        m_ui->stateDictOnlyCheck->setEnabled(!st);
        updateDefaultDestination();
        updatePlan();
    });
    connect(m_ui->layoutCombo, qOverload<int>(&QComboBox::currentIndexChanged), this, &ExportDialog::updatePlan);
    connect(m_ui->stateDictOnlyCheck, &QCheckBox::toggled, this, &ExportDialog::updatePlan);
    // Whole models and training checkpoints are mostly exported to get at the weights.
    m_ui->stateDictOnlyCheck->setChecked(m_doc->kind == Kind::WholeModel);
    // A directory has one layout entry (consolidation); a file starts on "single device" unless a rule is given.
    m_ui->layoutCombo->setCurrentIndex(m_rule.empty() && !consolidating() ? 1 : 0);
    updateDefaultDestination();
    updatePlan();
}

ExportDialog::~ExportDialog()
{
    if (m_cancelFlag) *m_cancelFlag = true;
    if (m_watcher) m_watcher->waitForFinished(); // the job reads the document this dialog holds
}

bool ExportDialog::consolidating() const
{
    return m_doc->distributed != nullptr;
}

// A DCP or DeepSpeed directory is exported one way only: every global tensor, whole, into one file (the
// core's consolidate). Key layouts, location remapping and content choices apply to files, so they are hidden.
void ExportDialog::setupConsolidation()
{
    setWindowTitle(tr("Consolidate into one file"));
    m_ui->inputLabel->setText(tr("<b>Input:</b> %1 (folder: %2; never modified)")
                                  .arg(m_path.toHtmlEscaped(), distributedHeadline(*m_doc).toHtmlEscaped()));
    m_ui->layoutCombo->clear();
    m_ui->layoutCombo->addItem(tr("Consolidate into one file (the full tensors, read from every rank file)"),
                               int(TargetLayout::Keep));
    m_ui->layoutCombo->setEnabled(false);
    m_ui->form->setRowVisible(m_ui->locationsTable, false);
    m_ui->form->setRowVisible(m_ui->stateDictOnlyCheck, false);
}

// A file that imports dangerous globals is refused unless the user chooses to leave those objects out; the
// choice appears only for such files, unchecked, so nothing is dropped without being asked.
void ExportDialog::addDropDangerousChoice()
{
    std::set<std::string> names;
    for (const GlobalRef& ref : m_doc->globals)
        if (ref.severity == Severity::Dangerous) names.insert(ref.module + "." + ref.name);
    if (names.empty()) return;
    QStringList list;
    for (const std::string& name : names)
        list << QString::fromStdString(name);
    m_dangerousNames = list.join(QStringLiteral(", "));
    m_dropDangerousCheck =
        new QCheckBox(tr("Leave out the objects that use &dangerous globals (%1)").arg(m_dangerousNames), this);
    m_dropDangerousCheck->setToolTip(tr("Dict entries and attributes that carry one are removed, tuple items become "
                                        "None; every dropped value is listed when the export ends"));
    auto* label = new QLabel(tr("Safety:"), this);
    int contentRow = -1;
    QFormLayout::ItemRole role;
    m_ui->form->getWidgetPosition(m_ui->stateDictOnlyCheck, &contentRow, &role);
    m_ui->form->insertRow(contentRow + 1, label, m_dropDangerousCheck);
    connect(m_dropDangerousCheck, &QCheckBox::toggled, this, &ExportDialog::updatePlan);
}

void ExportDialog::setDropDangerous(bool on)
{
    if (m_dropDangerousCheck) m_dropDangerousCheck->setChecked(on);
}

bool ExportDialog::exportEnabled() const
{
    return m_export->isEnabled();
}

void ExportDialog::fillLocations()
{
    std::set<std::string> locations;
    for (const StorageInfo& s : m_doc->storages)
        locations.insert(s.location);
    for (const TensorInfo& t : m_doc->tensors)
        if (t.storage < 0 && !t.location.empty()) locations.insert(t.location);
    const QStringList devices = detectedDevices();
    m_ui->locationsTable->setRowCount(int(locations.size()));
    int row = 0;
    for (const std::string& loc : locations) {
        const QString l = QString::fromStdString(loc);
        auto* item = new QTableWidgetItem(l);
        item->setFlags(Qt::ItemIsEnabled);
        m_ui->locationsTable->setItem(row, 0, item);
        auto* combo = new QComboBox(m_ui->locationsTable);
        combo->addItem(tr("keep %1").arg(l), QString());
        if (l != QLatin1String("cpu")) combo->addItem(QStringLiteral("cpu"), QStringLiteral("cpu"));
        for (const QString& d : devices)
            if (d != l) combo->addItem(tr("%1 (detected)").arg(d), d);
        // Without a detected GPU the file may still be meant for one (written here, loaded on a GPU machine).
        if (devices.isEmpty() && l != QLatin1String("cuda:0"))
            combo->addItem(tr("cuda:0 (no CUDA device detected here)"), QStringLiteral("cuda:0"));
        // A CUDA tag on a machine without that device is the classic load failure: default to cpu.
        if (l.startsWith(QLatin1String("cuda")) && !devices.contains(l)) combo->setCurrentIndex(1);
        connect(combo, qOverload<int>(&QComboBox::currentIndexChanged), this, &ExportDialog::updatePlan);
        m_ui->locationsTable->setCellWidget(row, 1, combo);
        ++row;
    }
}

void ExportDialog::setLayoutTarget(TargetLayout layout)
{
    m_ui->layoutCombo->setCurrentIndex(m_ui->layoutCombo->findData(int(layout)));
}

void ExportDialog::setFormat(ExportFormat format)
{
    m_ui->formatCombo->setCurrentIndex(m_ui->formatCombo->findData(int(format)));
}

void ExportDialog::setStateDictOnly(bool on)
{
    m_ui->stateDictOnlyCheck->setChecked(on);
}

void ExportDialog::setDestination(const QString& path)
{
    m_destinationEdited = true;
    m_ui->destinationEdit->setText(path);
}

QString ExportDialog::destination() const
{
    return m_ui->destinationEdit->text();
}

void ExportDialog::setLocationTarget(const QString& location, const QString& target)
{
    for (int row = 0; row < m_ui->locationsTable->rowCount(); ++row) {
        if (m_ui->locationsTable->item(row, 0)->text() != location) continue;
        auto* combo = static_cast<QComboBox*>(m_ui->locationsTable->cellWidget(row, 1));
        int i = combo->findData(target);
        if (i < 0) {
            combo->addItem(target, target);
            i = combo->count() - 1;
        }
        combo->setCurrentIndex(i);
    }
}

void ExportDialog::updateDefaultDestination()
{
    if (m_destinationEdited) return;
    const QFileInfo in(m_path);
    const bool st = ExportFormat(m_ui->formatCombo->currentData().toInt()) == ExportFormat::Safetensors;
    const QString ext = st ? QStringLiteral(".safetensors") : QStringLiteral(".pth");
    QString dir = in.absolutePath();
    if (!QFileInfo(dir).isWritable())
        dir = QSettings().value(QStringLiteral("dirs/export"), QDir::homePath()).toString();
    QString base = consolidating() ? in.fileName() : in.completeBaseName();
    if (base.endsWith(QLatin1String(".index"))) base.chop(6);
    // A consolidated directory goes beside the folder, not into it (the folder stays as the ranks wrote it).
    const QString suffix = consolidating() ? QStringLiteral("_consolidated") : QStringLiteral("_fixed");
    QString candidate = QDir(dir).filePath(base + suffix + ext);
    for (int n = 2; QFileInfo::exists(candidate); ++n)
        candidate = QDir(dir).filePath(base + suffix + QStringLiteral("_%1").arg(n) + ext);
    m_ui->destinationEdit->setText(candidate);
}

ExportOptions ExportDialog::options() const
{
    ExportOptions o;
    o.format = ExportFormat(m_ui->formatCombo->currentData().toInt());
    o.rule = m_rule;
    o.layout = TargetLayout(m_ui->layoutCombo->currentData().toInt());
    o.stateDictOnly = m_ui->stateDictOnlyCheck->isChecked();
    o.dropDangerous = m_dropDangerousCheck && m_dropDangerousCheck->isChecked();
    QStringList pairs;
    for (int row = 0; row < m_ui->locationsTable->rowCount(); ++row) {
        const QString target =
            static_cast<QComboBox*>(m_ui->locationsTable->cellWidget(row, 1))->currentData().toString();
        if (!target.isEmpty()) pairs << m_ui->locationsTable->item(row, 0)->text() + QLatin1Char('=') + target;
    }
    if (!pairs.isEmpty()) {
        Result<LocationMap> map = LocationMap::parse(pairs.join(QLatin1Char(',')).toStdString());
        if (map.ok()) o.locations = map.value();
    }
    return o;
}

void ExportDialog::updatePlan()
{
    if (consolidating()) {
        updateConsolidationPlan();
        return;
    }
    const ExportOptions o = options();
    Exporter exporter(m_doc, o);
    Result<RenamePlan> plan = exporter.plan();
    QString text;
    if (!plan.ok())
        text = tr("The plan is refused: %1").arg(QString::fromStdString(plan.error().detail));
    else
        text = tr("%1 of %2 keys renamed (%3).")
                   .arg(plan.value().changedCount())
                   .arg(plan.value().pairs().size())
                   .arg(QString::fromStdString(plan.value().describe()));
    if (!o.locations.empty())
        text += QLatin1Char(' ') + tr("Locations: %1.").arg(QString::fromStdString(o.locations.describe()));
    const bool refusedAsDangerous = m_dropDangerousCheck && !o.dropDangerous;
    if (refusedAsDangerous)
        text += QLatin1Char(' ') + tr("The file imports dangerous globals (%1): it is written only without the "
                                      "objects that use them.")
                                       .arg(m_dangerousNames);
    m_ui->planLabel->setText(text);
    m_export->setEnabled(plan.ok() && !refusedAsDangerous && !isRunning());
}

void ExportDialog::updateConsolidationPlan()
{
    const distributed::Layout& layout = *m_doc->distributed;
    QStringList incomplete;
    uint64_t bytes = 0;
    for (const distributed::VirtualTensor& t : layout.tensors) {
        if (!t.coverage.complete)
            incomplete << QString::fromStdString(t.key + (t.coverage.problem.empty() ? "" : ": " + t.coverage.problem));
        if (t.tensor >= 0 && size_t(t.tensor) < m_doc->tensors.size()) bytes += m_doc->tensors[size_t(t.tensor)].nbytes;
    }
    QString text;
    if (incomplete.isEmpty())
        text = tr("%n tensor(s), %1, copied chunk by chunk into one state dict keyed by the full names; "
                  "verified by re-opening it.",
                  nullptr, int(layout.tensors.size()))
                   .arg(models::humanBytes(bytes));
    else
        text = tr("Refused: %n tensor(s) are not complete (%1).", nullptr, int(incomplete.size()))
                   .arg(incomplete.mid(0, 3).join(QStringLiteral("; ")) +
                        (incomplete.size() > 3 ? QStringLiteral("; ...") : QString()));
    m_ui->planLabel->setText(text);
    m_export->setEnabled(incomplete.isEmpty() && !isRunning());
}

void ExportDialog::browse()
{
    const bool st = ExportFormat(m_ui->formatCombo->currentData().toInt()) == ExportFormat::Safetensors;
    const QString file =
        QFileDialog::getSaveFileName(this, tr("Export to"), destination(),
                                     st ? tr("safetensors (*.safetensors)") : tr("PyTorch checkpoints (*.pth *.pt)"));
    if (file.isEmpty()) return;
    QSettings().setValue(QStringLiteral("dirs/export"), QFileInfo(file).absolutePath());
    setDestination(file);
}

void ExportDialog::openResult()
{
    if (m_result.isEmpty()) return;
    emit openRequested(m_result);
    accept();
}

void ExportDialog::setStatus(const QString& html)
{
    m_ui->statusLabel->setText(html);
}

QString ExportDialog::planText() const
{
    return m_ui->planLabel->text();
}

QString ExportDialog::statusText() const
{
    return m_ui->statusLabel->text();
}

bool ExportDialog::startExport()
{
    if (isRunning()) return false;
    const QString out = destination().trimmed();
    const QString danger = models::StatusColors::dangerColor(palette()).name();
    if (out.isEmpty()) {
        setStatus(tr("<span style='color:%1'>Choose a destination.</span>").arg(danger));
        return false;
    }
    if (QFileInfo(out).absoluteFilePath() == QFileInfo(m_path).absoluteFilePath() ||
        QFileInfo(out).canonicalFilePath() == QFileInfo(m_path).canonicalFilePath()) {
        setStatus(tr("<span style='color:%1'>The destination is the input file; choose another name. "
                     "The input is never overwritten.</span>")
                      .arg(danger));
        return false;
    }
    ExportOptions o = options();
    // An existing file is replaced only after the user says so (typed names included).
    if (QFileInfo::exists(out)) {
        if (!confirmReplace(this, out)) {
            setStatus(tr("Not exported: %1 already exists.").arg(out.toHtmlEscaped()));
            return false;
        }
        o.force = true;
    }
    m_succeeded = false;
    m_open->hide();
    m_export->setEnabled(false);
    m_cancel->show();
    m_ui->progressBar->show();
    m_ui->progressBar->setRange(0, 0);
    setStatus((consolidating() ? tr("Consolidating into %1...") : tr("Exporting to %1...")).arg(out.toHtmlEscaped()));
    if (consolidating()) {
        startConsolidation(out, o.format, o.force);
        return true;
    }

    m_cancelFlag = std::make_shared<std::atomic<bool>>(false);
    auto cancel = m_cancelFlag;
    CheckpointPtr doc = m_doc;
    auto feed = progressBarFeed(m_ui->progressBar);
    auto job = [doc, o, out, cancel, feed]() {
        auto outcome = std::make_shared<Outcome>();
        outcome->output = out;
        QElapsedTimer clock;
        clock.start();
        Progress progress;
        progress.cancel = cancel.get();
        progress.report = feed;
        Exporter exporter(doc, o);
        Result<ExportReport> r = exporter.run(out.toStdString(), progress);
        if (r.ok()) {
            outcome->ok = true;
            const ExportReport& rep = r.value();
            outcome->message = tr("Written and verified by re-opening it: %1 keys, %2 in %3 ms. %4")
                                   .arg(rep.keys)
                                   .arg(models::humanBytes(rep.fileBytes))
                                   .arg(clock.elapsed())
                                   .arg(QString::fromStdString(rep.plan.describe()));
            if (!rep.dropped.empty()) {
                QStringList dropped;
                for (const DroppedValue& d : rep.dropped)
                    dropped << tr("%1 (%2): %3")
                                   .arg(QString::fromStdString(d.path.empty() ? std::string("-") : d.path),
                                        QString::fromStdString(d.global), QString::fromStdString(d.action));
                outcome->message +=
                    QLatin1Char(' ') + tr("Left out %n dangerous value(s): %1.", nullptr, int(rep.dropped.size()))
                                           .arg(dropped.join(QStringLiteral("; ")));
            }
        } else {
            outcome->message = QString::fromStdString(r.error().describe(out.toStdString()));
        }
        return outcome;
    };
    runInWorker(std::move(job));
    return true;
}

// Runs an export job in the pool; finish() reports its outcome. An exception that escapes the job becomes the
// outcome's message (guardedWorker), never a crash of the window.
void ExportDialog::runInWorker(std::function<std::shared_ptr<Outcome>()> job)
{
    m_watcher = new QFutureWatcher<std::shared_ptr<Outcome>>(this);
    connect(m_watcher, &QFutureWatcherBase::finished, this, &ExportDialog::finish);
    m_watcher->setFuture(QtConcurrent::run(guardedWorker(std::move(job), [](const Error& error) {
        auto outcome = std::make_shared<Outcome>();
        outcome->message = workerErrorText(error);
        return outcome;
    })));
}

void ExportDialog::startConsolidation(const QString& out, ExportFormat format, bool force)
{
    m_cancelFlag = std::make_shared<std::atomic<bool>>(false);
    auto cancel = m_cancelFlag;
    CheckpointPtr doc = m_doc;
    auto feed = progressBarFeed(m_ui->progressBar);
    auto job = [doc, out, format, force, cancel, feed]() {
        auto outcome = std::make_shared<Outcome>();
        outcome->output = out;
        QElapsedTimer clock;
        clock.start();
        Progress progress;
        progress.cancel = cancel.get();
        progress.report = feed;
        auto r = distributed::consolidate(*doc, out.toStdString(), format, force, progress);
        if (r.ok()) {
            outcome->ok = true;
            outcome->message = tr("Consolidated and verified by re-opening it: %1 tensors, %2 in %3 ms.")
                                   .arg(r.value().tensors)
                                   .arg(models::humanBytes(r.value().fileBytes))
                                   .arg(clock.elapsed());
        } else {
            outcome->message = QString::fromStdString(r.error().describe(out.toStdString()));
        }
        return outcome;
    };
    runInWorker(std::move(job));
}

void ExportDialog::cancelExport()
{
    if (m_cancelFlag) *m_cancelFlag = true;
    setStatus(tr("Cancelling..."));
}

void ExportDialog::finish()
{
    auto outcome = m_watcher->result();
    m_watcher->deleteLater();
    m_watcher = nullptr;
    m_cancelFlag.reset();
    m_cancel->hide();
    m_ui->progressBar->hide();
    updatePlan(); // re-enables Export unless the options are refused
    m_succeeded = outcome->ok;
    if (outcome->ok) {
        m_result = outcome->output;
        setStatus(QStringLiteral("<span style='color:%1'>%2</span><br>%3")
                      .arg(models::StatusColors::foreground(models::MatchState::Ok, palette()).name(),
                           outcome->message.toHtmlEscaped(), outcome->output.toHtmlEscaped()));
        m_open->show();
        m_open->setDefault(true);
        // The destination stays what the user chose: a second Export writes there again (after "Replace?").
    } else {
        setStatus(QStringLiteral("<span style='color:%1'>%2</span>")
                      .arg(models::StatusColors::dangerColor(palette()).name(), outcome->message.toHtmlEscaped()));
    }
    emit exportFinished(outcome->ok);
}

} // namespace ckpt::app
