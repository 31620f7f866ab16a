#include "app/repairbanner.h"

#include <QDesktopServices>
#include <QDir>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QUrl>
#include <QtConcurrent/QtConcurrent>

#include "app/replacequestion.h"
#include "core/analysis/renamerule.h"
#include "core/edit/exporter.h"
#include "models/formatting.h"
#include "models/statuscolors.h"

namespace ckpt::app
{

struct RepairBanner::Outcome {
    bool ok = false;
    QString output;
    QString message;
};

namespace
{

bool isSafetensors(const Checkpoint& doc, const QString& path)
{
    return doc.format == Format::Safetensors ||
           (doc.format == Format::Sharded && path.contains(QLatin1String(".safetensors")));
}

} // namespace

RepairBanner::RepairBanner(QWidget* parent) : QFrame(parent)
{
    setObjectName(QStringLiteral("repairBanner"));
    setFrameShape(QFrame::StyledPanel);
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 4, 8, 4);
    m_label = new QLabel(this);
    m_label->setWordWrap(true);
    m_label->setTextFormat(Qt::RichText);
    m_label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_label->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    m_repair = new QPushButton(tr("&Repair"), this);
    m_repair->setObjectName(QStringLiteral("repairButton"));
    m_preview = new QPushButton(tr("Pre&view..."), this);
    m_preview->setToolTip(tr("See every old and new key first, or choose other export options"));
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_open = new QPushButton(tr("&Open repaired file"), this);
    m_open->setObjectName(QStringLiteral("openRepairedButton"));
    m_reveal = new QPushButton(tr("Show in &folder"), this);
    layout->addWidget(m_label, 1);
    for (QPushButton* b : {m_repair, m_preview, m_cancel, m_open, m_reveal})
        layout->addWidget(b);
    connect(m_repair, &QPushButton::clicked, this, &RepairBanner::repair);
    connect(m_preview, &QPushButton::clicked, this, &RepairBanner::previewRequested);
    connect(m_cancel, &QPushButton::clicked, this, &RepairBanner::cancel);
    connect(m_open, &QPushButton::clicked, this, [this] { emit openRequested(m_result); });
    connect(m_reveal, &QPushButton::clicked, this,
            [this] { QDesktopServices::openUrl(QUrl::fromLocalFile(QFileInfo(m_result).absolutePath())); });
    hide();
}

RepairBanner::~RepairBanner()
{
    if (m_cancelFlag) *m_cancelFlag = true;
    if (m_watcher) m_watcher->waitForFinished(); // the job reads the document this banner holds
}

void RepairBanner::setDocument(CheckpointPtr doc, const QString& path, const QString& prefix)
{
    if (m_cancelFlag) *m_cancelFlag = true;
    m_doc = std::move(doc);
    m_path = path;
    m_prefix = prefix;
    m_result.clear();
    const bool offer = m_doc && !m_prefix.isEmpty() && m_doc->verdict() != Severity::Dangerous;
    setVisible(offer);
    if (offer) showOffer();
}

void RepairBanner::showOffer()
{
    const QString origin = QString::fromStdString(wrapperOrigin(m_prefix.toStdString()));
    m_label->setText(tr("<b>`%1` on every key</b>%2: the model without the wrapper expects the keys without it. "
                        "Repair writes <b>%3</b> beside this file.")
                         .arg(m_prefix.toHtmlEscaped(),
                              origin.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(origin.toHtmlEscaped()),
                              QFileInfo(destination()).fileName().toHtmlEscaped()));
    m_repair->show();
    m_repair->setEnabled(true);
    m_repair->setDefault(true);
    m_preview->show();
    m_cancel->hide();
    m_open->hide();
    m_reveal->hide();
}

QString RepairBanner::destination() const
{
    if (!m_doc) return {};
    const QFileInfo in(m_path);
    QString base = in.completeBaseName();
    if (base.endsWith(QLatin1String(".index"))) base.chop(6);
    QString ext = in.suffix().toLower();
    if (isSafetensors(*m_doc, m_path)) {
        if (base.endsWith(QLatin1String(".safetensors"))) base.chop(12);
        ext = QStringLiteral("safetensors");
    } else if (ext != QLatin1String("pth") && ext != QLatin1String("pt") && ext != QLatin1String("bin") &&
               ext != QLatin1String("ckpt")) {
        ext = QStringLiteral("pth"); // the repaired copy is always a torch zip
    }
    return QDir(in.absolutePath()).filePath(base + QStringLiteral("_fixed.") + ext);
}

QString RepairBanner::statusText() const
{
    return m_label->text();
}

bool RepairBanner::repair()
{
    if (!m_doc || m_prefix.isEmpty() || isRunning()) return false;
    const QString out = destination();
    if (!confirmReplace(this, out)) {
        m_label->setText(tr("Not repaired: %1 already exists.").arg(out.toHtmlEscaped()));
        return false;
    }
    ExportOptions options;
    options.format = isSafetensors(*m_doc, m_path) ? ExportFormat::Safetensors : ExportFormat::Torch;
    options.rule.stripPrefixes = {m_prefix.toStdString()};
    options.force = QFileInfo::exists(out); // asked above
    m_cancelFlag = std::make_shared<std::atomic<bool>>(false);
    auto cancelFlag = m_cancelFlag;
    CheckpointPtr doc = m_doc;
    m_label->setText(tr("Repairing: writing %1...").arg(out.toHtmlEscaped()));
    m_repair->setEnabled(false);
    m_preview->hide();
    m_cancel->show();
    auto job = [doc, options, out, cancelFlag] {
        auto outcome = std::make_shared<Outcome>();
        outcome->output = out;
        Progress progress;
        progress.cancel = cancelFlag.get();
        Result<ExportReport> r = Exporter(doc, options).run(out.toStdString(), progress);
        outcome->ok = r.ok();
        if (r.ok())
            outcome->message =
                tr("%1 keys renamed (%2); written and verified by re-opening it (%3).")
                    .arg(r.value().plan.changedCount())
                    .arg(QString::fromStdString(r.value().plan.describe()), models::humanBytes(r.value().fileBytes));
        else
            outcome->message = QString::fromStdString(r.error().describe(out.toStdString()));
        return outcome;
    };
    m_watcher = new QFutureWatcher<std::shared_ptr<Outcome>>(this);
    connect(m_watcher, &QFutureWatcherBase::finished, this, &RepairBanner::finish);
    m_watcher->setFuture(QtConcurrent::run(job));
    return true;
}

void RepairBanner::cancel()
{
    if (m_cancelFlag) *m_cancelFlag = true;
}

void RepairBanner::finish()
{
    auto outcome = m_watcher->result();
    m_watcher->deleteLater();
    m_watcher = nullptr;
    m_cancelFlag.reset();
    m_cancel->hide();
    const QString out = outcome->output;
    if (outcome->ok) {
        m_result = out;
        m_label->setText(tr("<span style='color:%1'><b>Repaired:</b></span> %2 %3")
                             .arg(models::StatusColors::foreground(models::MatchState::Ok, palette()).name(),
                                  out.toHtmlEscaped(), outcome->message.toHtmlEscaped()));
        m_repair->hide();
        m_open->show();
        m_open->setDefault(true);
        m_reveal->show();
    } else {
        m_label->setText(
            tr("<span style='color:%1'><b>Not repaired:</b></span> %2")
                .arg(models::StatusColors::dangerColor(palette()).name(), outcome->message.toHtmlEscaped()));
        m_repair->setEnabled(true);
        m_preview->show();
    }
    emit repairFinished(outcome->ok, outcome->ok ? out : QString());
}

} // namespace ckpt::app
