#include "core/model/checkpointjson.h"

#include <cmath>

#include "core/analysis/renamerule.h"
#include "core/distributed/layoutjson.h"

namespace ckpt
{

using nlohmann::json;

json pathToJson(const Path& path)
{
    json out = json::array();
    for (const PathElement& element : path) {
        if (element.isIndex)
            out.push_back(element.index);
        else
            out.push_back(element.key);
    }
    return out;
}

json tensorToJson(const Checkpoint& doc, const TensorInfo& tensor)
{
    json out{{"path", pathToJson(tensor.path)},
             {"dtype", std::string(dtypeName(tensor.dtype))},
             {"shape", tensor.shape},
             {"stride", tensor.layout == TensorLayout::Strided ? json(tensor.stride) : json(nullptr)},
             {"offset", tensor.offset},
             {"storage", tensor.storage >= 0 ? json(doc.storages[tensor.storage].key) : json(nullptr)},
             {"location", tensor.location},
             {"nbytes", tensor.nbytes},
             {"parameter", tensor.parameter},
             {"requires_grad", tensor.requiresGrad}};
    if (tensor.layout != TensorLayout::Strided) out["layout"] = layoutName(tensor.layout);
    if (dtypeIsQuantized(tensor.dtype) && !tensor.quant.scheme.empty()) {
        out["qscheme"] = tensor.quant.scheme;
        if (tensor.quant.scheme == "per_tensor_affine") {
            out["q_scale"] = tensor.quant.scale;
            out["q_zero_point"] = tensor.quant.zeroPoint;
        } else {
            out["q_axis"] = tensor.quant.axis;
        }
    }
    if (tensor.component) out["component"] = true;
    if (!tensor.problem.empty()) out["problem"] = tensor.problem;
    if (tensor.sharded >= 0)
        out["sharded"] = shardedValueToJson(doc.shardedValues[static_cast<size_t>(tensor.sharded)]);
    if (doc.distributed) // a DCP/DeepSpeed directory: where the tensor's pieces are
        if (const distributed::VirtualTensor* vt = doc.distributed->forTensor(&tensor - doc.tensors.data()))
            distributed::addChunksJson(*vt, out);
    return out;
}

namespace
{

json shardPiecesToJson(const std::vector<ShardPiece>& pieces)
{
    json out = json::array();
    for (const ShardPiece& piece : pieces) {
        json entry{{"offsets", piece.offsets}, {"sizes", piece.sizes}, {"placement", piece.placement}};
        entry["tensor"] = piece.tensor >= 0 ? json(piece.tensor) : json(nullptr);
        out.push_back(std::move(entry));
    }
    return out;
}

} // namespace

json shardedValueToJson(const ShardedValue& value)
{
    json out{{"type", value.type},
             {"rank", value.rank >= 0 ? json(value.rank) : json(nullptr)},
             {"world_size", value.worldSize > 0 ? json(value.worldSize) : json(nullptr)},
             {"local", shardPiecesToJson(value.local)}};
    if (value.type == "ShardedTensor") {
        out["shards"] = shardPiecesToJson(value.global);
        out["sharding_spec"] = value.shardingSpec;
    } else {
        out["placements"] = value.placements;
        out["mesh_shape"] = value.meshShape;
        out["mesh_coordinate"] = value.meshCoordinate;
        out["mesh_device_type"] = value.meshDeviceType;
    }
    if (value.fsdpFlatParam) out["fsdp_flat_param"] = true;
    if (!value.problem.empty()) out["problem"] = value.problem;
    return out;
}

json valueToJson(const PlainValue& plain)
{
    const Value* v = plain.value;
    json out{{"path", pathToJson(plain.path)}};
    switch (v->kind) {
    case ValueKind::None:
        out["type"] = "none";
        out["value"] = nullptr;
        break;
    case ValueKind::Bool:
        out["type"] = "bool";
        out["value"] = v->boolean;
        break;
    case ValueKind::Int:
        out["type"] = "int";
        out["value"] = v->integer;
        break;
    case ValueKind::Float:
        out["type"] = "float";
        // JSON has no NaN/Inf: print them as strings Python would show.
        out["value"] = std::isfinite(v->real) ? json(v->real) : json(renderValue(v));
        break;
    case ValueKind::String:
        out["type"] = "str";
        out["value"] = v->text;
        break;
    case ValueKind::Bytes: {
        static const char* hex = "0123456789abcdef";
        std::string text;
        for (unsigned char c : v->text) {
            text += hex[c >> 4];
            text += hex[c & 15];
        }
        out["type"] = "bytes";
        out["value"] = text;
        break;
    }
    default:
        out["type"] = "other";
        out["value"] = renderValue(v, 200);
        break;
    }
    return out;
}

json weightSetToJson(const WeightSet& set)
{
    json entries = json::array();
    for (const WeightEntry& entry : set.entries)
        entries.push_back({{"key", entry.key}, {"tensor", entry.tensor >= 0 ? json(entry.tensor) : json(nullptr)}});
    return {{"at", pathToJson(set.at)}, {"derived", set.derived}, {"entries", entries}};
}

json storageToJson(const StorageInfo& storage)
{
    json out{{"key", storage.key},
             {"dtype", std::string(dtypeName(storage.dtype))},
             {"numel", storage.numel},
             {"nbytes", storage.nbytes},
             {"location", storage.location},
             {"file", storage.file},
             {"file_offset", storage.fileOffset},
             {"available", storage.available}};
    if (storage.owned) out["inflated"] = true; // the bytes were inflated in memory: file_offset is the record's
    return out;
}

json treeToJson(const Checkpoint& doc)
{
    json tensors = json::array(), sets = json::array(), values = json::array(), storages = json::array();
    for (const StorageInfo& storage : doc.storages)
        storages.push_back(storageToJson(storage));
    for (const TensorInfo& tensor : doc.tensors)
        tensors.push_back(tensorToJson(doc, tensor));
    for (const WeightSet& set : doc.weightSets)
        sets.push_back(weightSetToJson(set));
    for (const PlainValue& value : doc.values)
        values.push_back(valueToJson(value));
    json out{{"file", doc.file},           {"format", formatName(doc.format)},
             {"kind", kindName(doc.kind)}, {"tensors", tensors},
             {"weight_sets", sets},        {"values", values},
             {"storages", storages}};
    if (doc.distributed) out["distributed"] = distributed::layoutSummaryJson(doc);
    return out;
}

json globalsToJson(const Checkpoint& doc)
{
    json out = json::array();
    for (const GlobalRef& global : doc.globals) {
        json entry = {{"module", global.module}, {"name", global.name},   {"severity", severityName(global.severity)},
                      {"reason", global.reason}, {"count", global.count}, {"offset", global.offset}};
        if (!global.via.empty()) entry["via"] = global.via;
        out.push_back(std::move(entry));
    }
    return out;
}

std::string commonWrapperPrefix(const Checkpoint& doc)
{
    const WeightSet* set = doc.mainWeightSet();
    if (!set || set->entries.empty()) return {};
    static const char* const kWrappers[] = {
        "module.",           "_orig_mod.", "_fsdp_wrapped_module.", "_checkpoint_wrapped_module.", "_forward_module.",
        "base_model.model.", "model."};
    std::string prefix;
    for (bool grew = true; grew;) {
        grew = false;
        for (const char* wrapper : kWrappers) {
            std::string candidate = prefix + wrapper;
            bool all = true;
            for (const WeightEntry& entry : set->entries)
                if (entry.key.compare(0, candidate.size(), candidate) != 0) {
                    all = false;
                    break;
                }
            if (all) {
                prefix = candidate;
                grew = true;
                break;
            }
        }
    }
    return prefix;
}

} // namespace ckpt
