#include "core/distributed/coverage.h"

#include "core/limits.h"

namespace ckpt::distributed
{

namespace
{

std::string boxText(const Chunk& chunk)
{
    std::string text = "offsets [";
    for (size_t i = 0; i < chunk.offsets.size(); ++i)
        text += (i ? ", " : "") + std::to_string(chunk.offsets[i]);
    text += "] sizes [";
    for (size_t i = 0; i < chunk.sizes.size(); ++i)
        text += (i ? ", " : "") + std::to_string(chunk.sizes[i]);
    return text + "]";
}

bool overlaps(const Chunk& a, const Chunk& b)
{
    for (size_t d = 0; d < a.sizes.size(); ++d)
        if (a.sizes[d] == 0 || b.sizes[d] == 0) return false; // an empty box holds no element
    for (size_t d = 0; d < a.offsets.size(); ++d)
        if (a.offsets[d] + a.sizes[d] <= b.offsets[d] || b.offsets[d] + b.sizes[d] <= a.offsets[d]) return false;
    return true;
}

} // namespace

Coverage checkCoverage(const VirtualTensor& tensor)
{
    Coverage result;
    // The space the boxes live in: the tensor's shape, or its element count for flat (ZeRO) chunks.
    std::vector<int64_t> space = tensor.shape;
    uint64_t total = 1;
    for (int64_t d : tensor.shape)
        total *= static_cast<uint64_t>(d);
    if (tensor.flat) space = {static_cast<int64_t>(total)};
    result.total = total;
    if (tensor.chunks.size() > limits::kMaxChunksPerTensor) {
        result.problem = std::to_string(tensor.chunks.size()) + " chunks exceed the limit of " +
                         std::to_string(limits::kMaxChunksPerTensor) + " per tensor (kMaxChunksPerTensor)";
        return result;
    }
    for (const Chunk& chunk : tensor.chunks) {
        if (chunk.offsets.size() != space.size() || chunk.sizes.size() != space.size()) {
            result.problem = "a chunk has " + std::to_string(chunk.offsets.size()) + " dimensions, the tensor " +
                             std::to_string(space.size());
            return result;
        }
        uint64_t volume = 1;
        for (size_t d = 0; d < space.size(); ++d) {
            if (chunk.offsets[d] < 0 || chunk.sizes[d] < 0 || chunk.offsets[d] > space[d] ||
                chunk.sizes[d] > space[d] - chunk.offsets[d]) {
                result.problem = "chunk " + boxText(chunk) + " lies outside the tensor";
                return result;
            }
            volume *= static_cast<uint64_t>(chunk.sizes[d]);
        }
        result.covered += volume;
    }
    for (size_t i = 0; i < tensor.chunks.size(); ++i)
        for (size_t j = i + 1; j < tensor.chunks.size(); ++j)
            if (overlaps(tensor.chunks[i], tensor.chunks[j]) && result.problem.empty()) {
                result.problem =
                    "chunks " + boxText(tensor.chunks[i]) + " and " + boxText(tensor.chunks[j]) + " overlap";
            }
    if (!result.problem.empty()) return result;
    if (result.covered != total) {
        result.problem = "chunks cover " + std::to_string(result.covered) + " elements of " + std::to_string(total) +
                         (result.covered < total ? ": a hole" : ": some more than once");
        return result;
    }
    for (const Chunk& chunk : tensor.chunks)
        if (!chunk.problem.empty()) {
            result.problem = chunk.fileName + ": " + chunk.problem;
            return result;
        }
    result.complete = true;
    return result;
}

} // namespace ckpt::distributed
