#include "core/distributed/layoutjson.h"

#include <set>

namespace ckpt::distributed
{

void addChunksJson(const VirtualTensor& tensor, nlohmann::json& out)
{
    nlohmann::json chunks = nlohmann::json::array();
    for (const Chunk& chunk : tensor.chunks) {
        nlohmann::json c{{"file", chunk.fileName},
                         {"offsets", chunk.offsets},
                         {"sizes", chunk.sizes},
                         {"byte_range", {chunk.byteBegin, chunk.byteEnd}}};
        if (!chunk.problem.empty()) c["problem"] = chunk.problem;
        chunks.push_back(std::move(c));
    }
    out["chunks"] = std::move(chunks);
    if (tensor.flat) out["chunk_space"] = "flat"; // ZeRO: offsets index the flattened tensor
    out["role"] = tensor.role;
    if (!tensor.tiedTo.empty()) out["tied_to"] = tensor.tiedTo;
    out["coverage"] = {
        {"complete", tensor.coverage.complete}, {"covered", tensor.coverage.covered}, {"total", tensor.coverage.total}};
    if (!tensor.coverage.problem.empty()) out["coverage"]["problem"] = tensor.coverage.problem;
}

nlohmann::json layoutSummaryJson(const Checkpoint& doc)
{
    if (!doc.distributed) return nullptr;
    const Layout& layout = *doc.distributed;
    std::set<std::string> files;
    uint64_t bytes = 0;
    size_t complete = 0;
    for (const VirtualTensor& t : layout.tensors) {
        for (const Chunk& c : t.chunks)
            if (!c.fileName.empty()) files.insert(c.fileName);
        uint64_t n = 1;
        for (int64_t d : t.shape)
            n *= static_cast<uint64_t>(d);
        bytes += n * dtypeElementSize(t.dtype);
        complete += t.coverage.complete ? 1 : 0;
    }
    nlohmann::json problems = nlohmann::json::array();
    for (const DirectoryProblem& p : layout.problems)
        problems.push_back({{"file", p.file}, {"what", p.what}});
    return {{"kind", layout.kind},
            {"directory", layout.directory},
            {"facts", layout.facts},
            {"rank_files", files},
            {"tensors", layout.tensors.size()},
            {"complete_tensors", complete},
            {"consolidated_bytes", bytes},
            {"problems", problems}};
}

} // namespace ckpt::distributed
