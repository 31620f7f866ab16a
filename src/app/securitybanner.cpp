#include "app/securitybanner.h"

#include <QStyle>

#include "core/distributed/layout.h"

#include "models/formatting.h"
#include "models/statuscolors.h"

namespace ckpt::app
{

namespace
{

using models::q;

// Whether a finding is one a distributed directory adds for its own problems (a missing or damaged rank file, with
// the tensors it leaves incomplete in parentheses; a tensor that cannot be consolidated for another reason): the
// directory banner shows those, naming the file; they are not shown a second time here.
bool isDirectoryFinding(const Checkpoint& doc, const std::string& what)
{
    if (!doc.distributed) return false;
    for (const distributed::DirectoryProblem& p : doc.distributed->problems)
        if (what.rfind(p.file + ": " + p.what, 0) == 0) return true;
    for (const distributed::VirtualTensor& t : doc.distributed->tensors)
        if (!t.coverage.complete && what == "'" + t.key + "' cannot be consolidated: " + t.coverage.problem)
            return true;
    return false;
}

} // namespace

SecurityBanner::SecurityBanner(QWidget* parent) : MessageStrip(QStringLiteral("securityBanner"), parent) {}

void SecurityBanner::clear()
{
    m_dangerous = false;
    hideMessage();
}

void SecurityBanner::showFor(const Checkpoint& doc, int payloadRows)
{
    m_dangerous = doc.verdict() == Severity::Dangerous;
    QStringList problems; // findings other than the dangerous imports, which the red text names itself
    QStringList dangerous;
    // A folder is not torch.load'ed: its pickles are read by torch.distributed.checkpoint or DeepSpeed.
    const bool folder = doc.distributed != nullptr;
    for (const GlobalRef& g : doc.globals) {
        if (g.severity == Severity::Dangerous) dangerous << q(g.module + "." + g.name).toHtmlEscaped();
        if (g.severity == Severity::Unknown)
            problems << (folder ? tr("a pickle in this folder imports %1, which is not a known PyTorch rebuild "
                                     "function; it was recorded, not run")
                                : tr("imports %1, which is not a known PyTorch rebuild function (torch.load with "
                                     "weights_only=True refuses it)"))
                            .arg(q(g.module + "." + g.name).toHtmlEscaped());
    }
    for (const Finding& f : doc.findings)
        if (f.severity == Severity::Unknown && !isDirectoryFinding(doc, f.what)) problems << q(f.what).toHtmlEscaped();
    if (!m_dangerous && problems.isEmpty()) {
        clear();
        return;
    }
    QString html;
    if (m_dangerous) {
        html = tr("<b>Dangerous file: do not torch.load it.</b> It imports %1, code that would run while loading. "
                  "Nothing was run here; the file is shown as recorded.")
                   .arg(dangerous.join(QStringLiteral(", ")));
        if (payloadRows > 0)
            html += QLatin1Char(' ') + tr("%n row(s) marked with a red \"!\" hold the payload.", nullptr, payloadRows);
    } else {
        html = folder ? tr("<b>This folder has a problem</b> besides those named in the directory strip below:")
                      : tr("<b>This file has problems</b> that torch.load would refuse or warn about:");
    }
    const int shown = std::min<int>(int(problems.size()), 3);
    if (shown > 0) {
        html += QStringLiteral("<br>") + problems.mid(0, shown).join(QStringLiteral("<br>"));
        if (problems.size() > shown)
            html += QStringLiteral("<br>") +
                    tr("... and %1 more under Security and findings.").arg(problems.size() - shown);
    }
    showMessage(html, m_dangerous ? QColor(0xb0, 0x10, 0x10) : QColor(0xf0, 0xc0, 0x40),
                m_dangerous ? Qt::white : Qt::black,
                m_dangerous ? models::StatusColors::dangerIcon() : style()->standardIcon(QStyle::SP_MessageBoxWarning));
}

} // namespace ckpt::app
