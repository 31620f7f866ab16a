#include "core/model/shardedvalue.h"

namespace ckpt
{

namespace
{

std::string listText(const std::vector<int64_t>& numbers)
{
    std::string text = "[";
    for (size_t i = 0; i < numbers.size(); ++i)
        text += (i ? ", " : "") + std::to_string(numbers[i]);
    return text + "]";
}

} // namespace

std::string describeShardedValue(const ShardedValue& value)
{
    std::string text = value.type;
    if (value.fsdpFlatParam) text += " (FSDP flat parameter: not consolidatable without the model)";
    if (value.rank >= 0) text += ", rank " + std::to_string(value.rank);
    if (value.worldSize > 0) text += (value.rank >= 0 ? " of " : ", world size ") + std::to_string(value.worldSize);
    if (!value.shardingSpec.empty()) text += ", " + value.shardingSpec;
    if (value.type == "DTensor") {
        text += ", mesh " + listText(value.meshShape);
        if (!value.meshDeviceType.empty()) text += " on " + value.meshDeviceType;
        text += ", placements";
        for (size_t i = 0; i < value.placements.size(); ++i)
            text += (i ? ", " : " ") + value.placements[i];
        if (!value.local.empty() && !value.local[0].offsets.empty())
            text +=
                ", local tensor at " + listText(value.local[0].offsets) + " of size " + listText(value.local[0].sizes);
    } else {
        if (value.local.empty()) text += ", no local shard";
        for (size_t i = 0; i < value.local.size(); ++i)
            text += std::string(i ? "; " : ", ") + "local shard at " + listText(value.local[i].offsets) + " of size " +
                    listText(value.local[i].sizes);
        if (!value.global.empty()) text += " (" + std::to_string(value.global.size()) + " shards in all)";
    }
    if (!value.problem.empty()) text += " (" + value.problem + ")";
    return text;
}

} // namespace ckpt
