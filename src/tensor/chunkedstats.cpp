#include "tensor/chunkedstats.h"

#include <algorithm>
#include <cmath>

#include "core/distributed/chunkcopier.h"
#include "core/distributed/layout.h"

namespace ckpt::tensor
{

namespace
{

// The running merge of the blocks' moments (Chan et al.: exact counts, a mean and a sum of squared deviations
// that stay accurate however many blocks there are).
struct RunningMoments {
    TensorStats total;
    double m2 = 0.0;

    void add(const TensorStats& block)
    {
        total.count += block.count;
        total.zeros += block.zeros;
        total.nan += block.nan;
        total.posinf += block.posinf;
        total.neginf += block.neginf;
        if (total.device.empty()) total.device = block.device;
        if (block.finite == 0) return;
        const double n = static_cast<double>(total.finite), nb = static_cast<double>(block.finite);
        const double blockM2 = block.std * block.std * nb;
        if (total.finite == 0) {
            total.min = block.min;
            total.max = block.max;
            total.mean = block.mean;
            m2 = blockM2;
        } else {
            const double delta = block.mean - total.mean;
            total.min = std::min(total.min, block.min);
            total.max = std::max(total.max, block.max);
            total.mean += delta * nb / (n + nb);
            m2 += blockM2 + delta * delta * n * nb / (n + nb);
        }
        total.finite += block.finite;
        total.std = std::sqrt(std::max(0.0, m2 / static_cast<double>(total.finite)));
    }
};

} // namespace

bool isChunkedTensor(const Checkpoint& checkpoint, int tensorIndex)
{
    return checkpoint.distributed && tensorIndex >= 0 && static_cast<size_t>(tensorIndex) < checkpoint.tensors.size() &&
           checkpoint.tensors[static_cast<size_t>(tensorIndex)].storage < 0 &&
           checkpoint.distributed->forTensor(tensorIndex) != nullptr;
}

Result<TensorStats> computeChunkedStats(const Checkpoint& checkpoint, int tensorIndex, const StatsOptions& options,
                                        BlockStats blockStats)
{
    const distributed::VirtualTensor* tensor = checkpoint.distributed->forTensor(tensorIndex);
    if (!tensor->coverage.complete)
        return makeError(Status::Unsupported, "'" + tensor->key + "' is not complete in the directory: " +
                                                  (tensor->coverage.problem.empty() ? std::string("chunks are missing")
                                                                                    : tensor->coverage.problem));
    const uint64_t element = dtypeElementSize(tensor->dtype);
    if (element == 0) return makeError(Status::Unsupported, "'" + tensor->key + "' has a dtype without a size");
    const uint64_t blockBytes =
        std::clamp<uint64_t>(options.chunkBytes, element, distributed::ChunkCopier::kBlockBytes);
    // Each pass reads the blocks in order, one at a time, as 1-d runs of the tensor's row-major elements.
    auto eachBlock = [&](const StatsOptions& blockOptions, auto&& use) -> VoidResult {
        distributed::ChunkCopier copier(checkpoint, *tensor, blockBytes);
        for (uint64_t at = 0; at < copier.size();) {
            if (options.cancel && options.cancel->load()) return makeError(Status::Cancelled, "cancelled");
            Result<std::string_view> block = copier.next(at);
            if (!block) return block.error();
            if (block.value().empty()) return makeError(Status::Corrupt, "'" + tensor->key + "': an empty block");
            RawTensor raw;
            raw.data = block.value().data();
            raw.dtype = tensor->dtype;
            raw.shape = {static_cast<int64_t>(block.value().size() / element)};
            raw.stride = {1};
            Result<TensorStats> stats = blockStats(raw, blockOptions);
            if (!stats) return stats.error();
            use(stats.value());
            at += block.value().size();
        }
        return Done{};
    };

    StatsOptions momentsOnly = options;
    momentsOnly.bins = 0;
    RunningMoments running;
    if (VoidResult pass = eachBlock(momentsOnly, [&](const TensorStats& s) { running.add(s); }); !pass)
        return pass.error();
    TensorStats stats = running.total;
    if (options.bins <= 0 || stats.finite == 0) return stats;

    StatsOptions histogram = options;
    histogram.fixedRange = true; // every block counts into the whole tensor's bins
    histogram.rangeMin = stats.min;
    histogram.rangeMax = stats.max;
    stats.counts.assign(static_cast<size_t>(options.bins), 0);
    VoidResult pass = eachBlock(histogram, [&](const TensorStats& s) {
        if (s.counts.size() != stats.counts.size()) return; // a block without finite values counts nothing
        if (stats.edges.empty()) stats.edges = s.edges;
        for (size_t b = 0; b < s.counts.size(); ++b)
            stats.counts[b] += s.counts[b];
    });
    if (!pass) return pass.error();
    return stats;
}

} // namespace ckpt::tensor
