#include "core/distributed/rankfiles.h"

#include "core/io/mappedfile.h"
#include "core/limits.h"

namespace ckpt::distributed
{

int RankFiles::open(const std::string& name, std::string& why)
{
    auto it = m_opened.find(name);
    if (it != m_opened.end()) {
        why = it->second.second;
        return it->second.first;
    }
    int index = -1;
    if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
        why = "refused file name '" + name + "': not a plain name inside the directory";
    } else if (m_doc.files.size() >= limits::kMaxRankFiles) {
        why = "more than " + std::to_string(limits::kMaxRankFiles) + " files (kMaxRankFiles)";
    } else {
        auto mapped = MappedFile::open(pathOf(name));
        if (!mapped) {
            why = mapped.error().detail.rfind("cannot open: No such file", 0) == 0 ? "missing" : mapped.error().detail;
        } else {
            index = static_cast<int>(m_doc.files.size());
            m_doc.files.push_back(mapped.value());
        }
    }
    if (index < 0) m_problems.push_back({name, why});
    m_opened[name] = {index, why};
    return index;
}

void mergeGlobals(Checkpoint& into, const Checkpoint& from)
{
    for (const GlobalRef& ref : from.globals) {
        bool merged = false;
        for (GlobalRef& have : into.globals)
            if (have.module == ref.module && have.name == ref.name) {
                have.count += ref.count;
                merged = true;
                break;
            }
        if (!merged) into.globals.push_back(ref);
    }
    for (const Finding& finding : from.findings)
        into.findings.push_back(finding);
}

} // namespace ckpt::distributed
