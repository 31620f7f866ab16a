#include "core/distributed/virtualtensors.h"

#include <algorithm>
#include <map>
#include <set>

#include "core/distributed/coverage.h"
#include "core/io/mappedfile.h"

namespace ckpt::distributed
{

std::vector<int64_t> rowMajorStrides(const std::vector<int64_t>& shape)
{
    std::vector<int64_t> stride(shape.size(), 1);
    for (size_t d = shape.size(); d > 1; --d)
        stride[d - 2] = stride[d - 1] * std::max<int64_t>(shape[d - 1], 1);
    return stride;
}

namespace
{

// The storage a single chunk gives a tensor it holds whole, or -1.
int wholeChunkStorage(Checkpoint& doc, const VirtualTensor& tensor)
{
    if (tensor.chunks.size() != 1) return -1;
    const Chunk& chunk = tensor.chunks[0];
    if (!chunk.problem.empty() || chunk.file < 0 || chunk.sourceDtype != tensor.dtype) return -1;
    uint64_t numel = 1;
    for (int64_t d : tensor.shape)
        numel *= static_cast<uint64_t>(d);
    if (tensor.flat ? (chunk.offsets != std::vector<int64_t>{0} ||
                       chunk.sizes != std::vector<int64_t>{static_cast<int64_t>(numel)})
                    : chunk.sizes != tensor.shape)
        return -1;
    uint64_t extent = numel ? 1 : 0; // elements the strided view spans
    const std::vector<int64_t>& stride = tensor.flat ? rowMajorStrides(tensor.shape) : chunk.stride;
    for (size_t d = 0; d < tensor.shape.size() && numel; ++d)
        extent += static_cast<uint64_t>(tensor.shape[d] - 1) * static_cast<uint64_t>(stride[d]);
    StorageInfo storage;
    storage.key = chunk.fileName + "@" + std::to_string(chunk.dataOffset);
    storage.dtype = tensor.dtype;
    storage.numel = extent;
    storage.nbytes = extent * dtypeElementSize(tensor.dtype);
    storage.location = "cpu";
    storage.file = chunk.file;
    storage.fileOffset = chunk.dataOffset;
    storage.available = chunk.dataOffset + storage.nbytes <= doc.files[static_cast<size_t>(chunk.file)]->size();
    doc.storages.push_back(storage);
    return static_cast<int>(doc.storages.size() - 1);
}

// Every element a chunk's strides reach must lie inside its file: consolidation reads them from the mapping.
void checkChunkBounds(const Checkpoint& doc, const VirtualTensor& tensor, Chunk& chunk)
{
    if (!chunk.problem.empty() || chunk.file < 0) return;
    if (chunk.stride.size() != chunk.sizes.size()) {
        chunk.problem = "the stored chunk has " + std::to_string(chunk.stride.size()) + " strides for " +
                        std::to_string(chunk.sizes.size()) + " dimensions";
        return;
    }
    uint64_t last = 0; // the farthest element, in elements from the first
    for (size_t d = 0; d < chunk.sizes.size(); ++d) {
        if (chunk.stride[d] < 0 || chunk.sizes[d] < 0) {
            chunk.problem = "negative stride or size";
            return;
        }
        if (chunk.sizes[d] == 0) return; // nothing to read
        last += static_cast<uint64_t>(chunk.sizes[d] - 1) * static_cast<uint64_t>(chunk.stride[d]);
    }
    const uint64_t end = chunk.dataOffset + (last + 1) * dtypeElementSize(chunk.sourceDtype);
    const uint64_t size = doc.files[static_cast<size_t>(chunk.file)]->size();
    if (chunk.sourceDtype == DType::Unknown || end > size || end < chunk.dataOffset)
        chunk.problem = "the chunk's elements end at byte " + std::to_string(end) + ", past the file's " +
                        std::to_string(size) + " bytes";
    (void)tensor;
}

} // namespace

int addVirtualTensor(Checkpoint& doc, Layout& layout, VirtualTensor tensor, Path path)
{
    for (Chunk& chunk : tensor.chunks)
        checkChunkBounds(doc, tensor, chunk);
    TensorInfo info;
    info.path = std::move(path);
    info.dtype = tensor.dtype;
    info.shape = tensor.shape;
    info.stride = rowMajorStrides(tensor.shape);
    info.location = "cpu";
    info.nbytes = info.numel() * dtypeElementSize(tensor.dtype);
    info.storage = wholeChunkStorage(doc, tensor);
    if (info.storage >= 0 && !tensor.flat) info.stride = tensor.chunks[0].stride;
    tensor.tensor = static_cast<int>(doc.tensors.size());
    doc.tensors.push_back(std::move(info));
    layout.tensors.push_back(std::move(tensor));
    return layout.tensors.back().tensor;
}

namespace
{

// One problem per file, in the order the files were first named: a truncated rank file cuts off every item past its
// end, and each of those was a problem of its own, naming the file again.
std::vector<DirectoryProblem> oneProblemPerFile(const std::vector<DirectoryProblem>& problems)
{
    std::vector<DirectoryProblem> merged;
    std::vector<size_t> counts;
    for (const DirectoryProblem& problem : problems) {
        auto same = std::find_if(merged.begin(), merged.end(),
                                 [&](const DirectoryProblem& p) { return p.file == problem.file; });
        if (same == merged.end()) {
            merged.push_back(problem);
            counts.push_back(1);
            continue;
        }
        size_t& count = counts[static_cast<size_t>(same - merged.begin())];
        if (++count <= 3) same->what += "; " + problem.what;
    }
    for (size_t i = 0; i < merged.size(); ++i)
        if (counts[i] > 3) merged[i].what += " (" + std::to_string(counts[i]) + " problems in all)";
    return merged;
}

std::string keyList(const std::vector<std::string>& keys)
{
    std::string text;
    for (size_t i = 0; i < keys.size() && i < 5; ++i)
        text += (i ? ", '" : "'") + keys[i] + "'";
    if (keys.size() > 5) text += " and " + std::to_string(keys.size() - 5) + " more";
    return text;
}

} // namespace

void finishLayout(Checkpoint& doc, std::shared_ptr<Layout> layout)
{
    layout->problems = oneProblemPerFile(layout->problems);
    // A tensor left incomplete by a damaged file is named under that file's one finding; one incomplete for another
    // reason (an overlap, a hole, a chunk of its own that is unreadable) gets a finding of its own.
    std::map<std::string, std::vector<std::string>> leftIncomplete; // damaged file -> tensors
    for (VirtualTensor& tensor : layout->tensors) {
        tensor.coverage = checkCoverage(tensor);
        if (tensor.coverage.complete) continue;
        TensorInfo& info = doc.tensors[static_cast<size_t>(tensor.tensor)];
        info.problem = tensor.coverage.problem;
        std::set<std::string> files;
        for (const Chunk& chunk : tensor.chunks)
            if (!chunk.problem.empty() || chunk.file < 0) files.insert(chunk.fileName);
        bool explained = !files.empty();
        for (const std::string& file : files)
            explained = explained && std::any_of(layout->problems.begin(), layout->problems.end(),
                                                 [&](const DirectoryProblem& p) { return p.file == file; });
        if (explained)
            for (const std::string& file : files)
                leftIncomplete[file].push_back(tensor.key);
        else
            doc.findings.push_back({Severity::Unknown, "'" + tensor.key + "' cannot be consolidated: " + info.problem});
    }
    for (const DirectoryProblem& problem : layout->problems) {
        std::string what = problem.file + ": " + problem.what;
        const std::vector<std::string>& keys = leftIncomplete[problem.file];
        if (!keys.empty())
            what += " (" + std::to_string(keys.size()) + (keys.size() == 1 ? " tensor" : " tensors") +
                    " cannot be consolidated: " + keyList(keys) + ")";
        doc.findings.push_back({Severity::Unknown, what});
    }
    layout->byTensor.assign(doc.tensors.size(), -1);
    for (size_t i = 0; i < layout->tensors.size(); ++i)
        layout->byTensor[static_cast<size_t>(layout->tensors[i].tensor)] = static_cast<int>(i);
    doc.distributed = std::move(layout);
}

} // namespace ckpt::distributed
