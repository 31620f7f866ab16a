#include "app/directorybanner.h"

#include <set>

#include <QStyle>

#include "core/distributed/layout.h"
#include "core/io/mappedfile.h"
#include "models/formatting.h"

namespace ckpt::app
{

namespace
{

using models::q;

std::string fact(const distributed::Layout& layout, const char* name)
{
    auto it = layout.facts.find(name);
    return it == layout.facts.end() ? std::string() : it->second;
}

// The problems shown in the banner; the rest are counted.
constexpr int kShownProblems = 4;

} // namespace

QString distributedHeadline(const Checkpoint& doc)
{
    if (!doc.distributed) return {};
    const distributed::Layout& l = *doc.distributed;
    if (l.kind == "deepspeed") {
        QString text = DirectoryBanner::tr("DeepSpeed ZeRO stage %1, data-parallel world size %2")
                           .arg(q(fact(l, "stage")), q(fact(l, "dp_world_size")));
        if (!fact(l, "tag").empty()) text += DirectoryBanner::tr(", tag %1").arg(q(fact(l, "tag")));
        if (fact(l, "dtype_prefix") == "bf16") text += DirectoryBanner::tr(" (bf16 optimizer files)");
        return text;
    }
    const std::string module = fact(l, "metadata_module");
    QString text = DirectoryBanner::tr("torch.distributed.checkpoint (DCP)");
    if (module.rfind("torch.distributed._shard", 0) == 0)
        text += DirectoryBanner::tr(", torch 1.13 layout");
    else if (!fact(l, "version").empty())
        text += DirectoryBanner::tr(", torch 2.x layout version %1").arg(q(fact(l, "version")));
    return text;
}

uint64_t directoryBytes(const Checkpoint& doc)
{
    std::set<const MappedFile*> seen;
    uint64_t total = 0;
    for (const auto& file : doc.files)
        if (file && seen.insert(file.get()).second) total += file->size();
    return total;
}

DirectoryBanner::DirectoryBanner(QWidget* parent) : MessageStrip(QStringLiteral("directoryBanner"), parent) {}

void DirectoryBanner::clear()
{
    m_problems = false;
    hideMessage();
}

void DirectoryBanner::showFor(const Checkpoint& doc)
{
    if (!doc.distributed) {
        clear();
        return;
    }
    const distributed::Layout& l = *doc.distributed;
    std::set<std::string> rankFiles;
    QStringList incomplete;
    for (const distributed::VirtualTensor& t : l.tensors) {
        for (const distributed::Chunk& c : t.chunks)
            if (!c.fileName.empty()) rankFiles.insert(c.fileName);
        if (!t.coverage.complete) incomplete << q(t.key).toHtmlEscaped();
    }
    m_problems = !l.problems.empty() || !incomplete.isEmpty();
    QString html = tr("<b>Directory: %1.</b> %n tensor(s) from %2 file(s), %3 on disk.", nullptr, int(l.tensors.size()))
                       .arg(distributedHeadline(doc).toHtmlEscaped())
                       .arg(rankFiles.size())
                       .arg(models::humanBytes(directoryBytes(doc)));
    if (m_problems) {
        QStringList lines;
        for (const distributed::DirectoryProblem& p : l.problems)
            lines << QStringLiteral("<b>%1</b>: %2").arg(q(p.file).toHtmlEscaped(), q(p.what).toHtmlEscaped());
        const int shown = std::min<int>(int(lines.size()), kShownProblems);
        html += QStringLiteral("<br>") + tr("<b>Problems</b> (what is intact is still listed):");
        if (shown > 0) html += QStringLiteral("<br>") + lines.mid(0, shown).join(QStringLiteral("<br>"));
        if (lines.size() > shown) html += QStringLiteral("<br>") + tr("... and %1 more.").arg(lines.size() - shown);
        if (!incomplete.isEmpty())
            html += QStringLiteral("<br>") +
                    tr("%n tensor(s) not complete, so the directory cannot be consolidated: %1", nullptr,
                       int(incomplete.size()))
                        .arg(incomplete.mid(0, kShownProblems).join(QStringLiteral(", ")) +
                             (incomplete.size() > kShownProblems ? QStringLiteral(", ...") : QString()));
    } else {
        html += QLatin1Char(' ') +
                tr("Every tensor is complete; File > Consolidate into One File writes them into one file.");
    }
    showMessage(html, m_problems ? QColor(0xf0, 0xc0, 0x40) : palette().color(QPalette::AlternateBase),
                m_problems ? QColor(Qt::black) : palette().color(QPalette::Text),
                style()->standardIcon(m_problems ? QStyle::SP_MessageBoxWarning : QStyle::SP_DirIcon));
}

} // namespace ckpt::app
