#include "app/documentfacts.h"

#include <algorithm>
#include <map>
#include <vector>

#include <QCoreApplication>

#include "app/directorybanner.h"
#include "models/statuscolors.h"

namespace ckpt::app
{

namespace
{

QString tr(const char* text, int n = -1)
{
    return QCoreApplication::translate("DocumentFacts", text, nullptr, n);
}

} // namespace

uint64_t bytesOnDisk(const Checkpoint& doc)
{
    if (doc.distributed) return directoryBytes(doc);
    uint64_t total = doc.fileSize;
    for (const auto& part : doc.parts)
        total += part ? part->fileSize : 0;
    return total;
}

QString locationSummary(const Checkpoint& doc)
{
    std::map<std::string, size_t> counts;
    for (const TensorInfo& t : doc.tensors)
        if (!t.component && !t.location.empty()) ++counts[t.location];
    if (counts.empty()) return tr("no locations recorded");
    if (counts.size() == 1) return QString::fromStdString(counts.begin()->first);
    std::vector<std::pair<std::string, size_t>> sorted(counts.begin(), counts.end());
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    QStringList parts;
    for (const auto& [where, n] : sorted)
        parts << QStringLiteral("%1 \u00d7%2").arg(QString::fromStdString(where)).arg(n);
    return parts.join(QStringLiteral(", "));
}

QString verdictHtml(const Checkpoint& d, const QPalette& palette)
{
    const Severity verdict = d.verdict();
    const QString color = verdict == Severity::Dangerous ? models::StatusColors::dangerColor(palette).name()
                                                         : palette.color(QPalette::Text).name();
    int problems = 0;
    for (const Finding& f : d.findings)
        problems += f.severity == Severity::Unknown ? 1 : 0;
    // "Safe" only when nothing at all was found: a file with findings is not shown as healthy.
    const QString text =
        verdict == Severity::Dangerous ? tr("Dangerous: this file imports code that would run on torch.load. "
                                            "Nothing was run.")
        : verdict == Severity::Unknown ? tr("Unknown imports: review them before loading this file with torch.load.")
        : problems > 0 ? tr("No dangerous imports, but %n problem(s) found: see the list below.", problems)
                       : tr("Safe: every import is a known PyTorch rebuild function or container.");
    return QStringLiteral("<span style='color:%1'><b>%2</b></span> (%3 globals)")
        .arg(color, text.toHtmlEscaped())
        .arg(d.globals.size());
}

} // namespace ckpt::app
