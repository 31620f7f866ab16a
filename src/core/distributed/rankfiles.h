#pragma once

#include <map>
#include <string>

#include "core/distributed/layout.h"
#include "core/model/checkpoint.h"

namespace ckpt::distributed
{

// The files of one checkpoint directory, mapped on first use into Checkpoint::files. A name is only ever a
// plain file name inside the directory (a name with a slash or "..", as a hostile .metadata could give,
// is refused), and each missing or unmappable file is reported once as a DirectoryProblem.
class RankFiles
{
public:
    RankFiles(Checkpoint& doc, std::string directory, std::vector<DirectoryProblem>& problems)
        : m_doc(doc), m_directory(std::move(directory)), m_problems(problems)
    {
    }
    // Index into Checkpoint::files, or -1 with `why` set (and the problem recorded once per file).
    int open(const std::string& name, std::string& why);
    std::string pathOf(const std::string& name) const { return m_directory + "/" + name; }

private:
    Checkpoint& m_doc;
    std::string m_directory;
    std::vector<DirectoryProblem>& m_problems;
    std::map<std::string, std::pair<int, std::string>> m_opened; // name -> (index or -1, why)
};

// Merges the globals of a sub-document (a chunk's or rank file's pickle) into the directory's list.
void mergeGlobals(Checkpoint& into, const Checkpoint& from);

} // namespace ckpt::distributed
