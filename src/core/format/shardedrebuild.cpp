#include "core/format/shardedrebuild.h"

#include <algorithm>

#include "core/distributed/objectfields.h"
#include "core/format/tensorrebuild.h"

namespace ckpt
{

using distributed::className;
using distributed::field;
using distributed::intValue;

namespace
{

bool isOneOf(const std::string& module, std::initializer_list<const char*> modules)
{
    for (const char* m : modules)
        if (module == m) return true;
    return false;
}

bool isShardedTensorClass(const Value* cls)
{
    return cls && cls->kind == ValueKind::Global && cls->text2 == "ShardedTensor" &&
           isOneOf(cls->text,
                   {"torch.distributed._shard.sharded_tensor.api", "torch.distributed._shard.sharded_tensor"});
}

// DTensor moved from torch.distributed._tensor.api (2.0-2.4) to torch.distributed.tensor._api (2.5+).
bool isDTensorClass(const Value* cls)
{
    return cls && cls->kind == ValueKind::Global && cls->text2 == "DTensor" &&
           isOneOf(cls->text, {"torch.distributed._tensor.api", "torch.distributed._tensor", "torch.distributed.tensor",
                               "torch.distributed.tensor._api"});
}

// A torch.device as pickled: REDUCE(torch.device, ('cuda', 1)) or ('cpu',), or a plain string. "" when neither.
std::string deviceText(const Value* v)
{
    if (v && v->isString()) return v->text;
    if (!v || v->kind != ValueKind::Object || !v->callable || !v->callable->isGlobal("torch", "device")) return {};
    const ValueList<const Value*>& a = sequenceItems(v->args);
    if (a.empty() || !a[0]->isString()) return {};
    if (a.size() >= 2 && a[1] && a[1]->kind == ValueKind::Int) return a[0]->text + ":" + std::to_string(a[1]->integer);
    return a[0]->text;
}

// A field of a (None-or-dict, slots-dict) state tuple or of a plain dict state.
const Value* stateField(const Value* state, const std::string& name)
{
    if (!state) return nullptr;
    if (state->kind == ValueKind::Dict) return state->find(name);
    if (state->kind == ValueKind::Tuple)
        for (const Value* part : state->items)
            if (part && part->kind == ValueKind::Dict)
                if (const Value* found = part->find(name)) return found;
    return nullptr;
}

// torch prints a _remote_device as "rank:R/DEVICE", or "WORKER/DEVICE" when it names an RPC worker.
std::string placementText(const Value* remote)
{
    std::string device = deviceText(field(remote, "_device"));
    const Value* worker = field(remote, "_worker_name");
    if (worker && worker->isString()) return worker->text + "/" + device;
    int64_t rank = -1;
    if (!intValue(field(remote, "_rank"), rank)) return {};
    return "rank:" + std::to_string(rank) + "/" + device;
}

// ShardMetadata {shard_offsets, shard_sizes, placement}; false when its offsets or sizes are not integer lists of the
// tensor's rank.
bool readShardMetadata(const Value* metadata, size_t rank, ShardPiece& piece)
{
    if (!readIntTuple(field(metadata, "shard_offsets"), piece.offsets) ||
        !readIntTuple(field(metadata, "shard_sizes"), piece.sizes) || piece.offsets.size() != rank ||
        piece.sizes.size() != rank)
        return false;
    piece.placement = placementText(field(metadata, "placement"));
    return true;
}

// ShardedTensor.__getstate__: (local_shards, ShardedTensorMetadata, ProcessGroupState, sharding_spec, init_rrefs).
void readShardedTensorState(const Value* state, WrapperSubclassRebuild& out)
{
    ShardedValue& value = out.value;
    const ValueList<const Value*>& s = sequenceItems(state);
    if (s.size() < 3) {
        value.problem = "ShardedTensor state is not (local_shards, metadata, process group, ...)";
        return;
    }
    const size_t rank = out.shape.size();
    for (const Value* shard : sequenceItems(s[0])) {
        ShardPiece piece;
        const Value* tensor = field(shard, "tensor");
        if (!readShardMetadata(field(shard, "metadata"), rank, piece) || !tensor) {
            value.problem = "a local shard has no tensor or no offsets and sizes of the tensor's rank";
            continue;
        }
        out.localTensors.push_back({"local_shard_" + std::to_string(value.local.size()), tensor});
        value.local.push_back(std::move(piece));
    }
    const Value* metadata = s[1];
    for (const Value* shardMetadata : sequenceItems(field(metadata, "shards_metadata"))) {
        ShardPiece piece;
        if (readShardMetadata(shardMetadata, rank, piece))
            value.global.push_back(std::move(piece));
        else
            value.problem = "the metadata lists a shard without offsets and sizes of the tensor's rank";
    }
    std::vector<int64_t> size;
    if (!readIntTuple(field(metadata, "size"), size) || size != out.shape)
        value.problem = "the ShardedTensor metadata's size differs from the size in the rebuild call";
    intValue(field(s[2], "global_rank"), value.rank);
    intValue(field(s[2], "global_world_size"), value.worldSize);
    if (s.size() >= 4 && s[3]) {
        value.shardingSpec = className(s[3]);
        int64_t dim = 0;
        if (value.shardingSpec == "ChunkShardingSpec" && intValue(field(s[3], "dim"), dim))
            value.shardingSpec += "(dim=" + std::to_string(dim) + ")";
    }
}

std::string dtensorPlacementText(const Value* placement)
{
    const std::string name = className(placement);
    int64_t dim = 0;
    if (name == "Shard" && intValue(field(placement, "dim"), dim)) return "Shard(dim=" + std::to_string(dim) + ")";
    if (name == "Replicate") return "Replicate()";
    if (name == "_Partial" || name == "Partial") {
        const Value* op = field(placement, "reduce_op");
        return "Partial(" + (op && op->isString() ? op->text : std::string("?")) + ")";
    }
    return name.empty() ? "?" : name;
}

// DTensor's state: its slots _local_tensor and _spec (DTensorSpec: mesh, placements, tensor_meta).
void readDTensorState(const Value* state, WrapperSubclassRebuild& out)
{
    ShardedValue& value = out.value;
    const Value* local = stateField(state, "_local_tensor");
    const Value* spec = stateField(state, "_spec");
    if (!local || !spec) {
        value.problem = "DTensor state has no _local_tensor or no _spec";
        return;
    }
    out.localTensors.push_back({"local_tensor", local});
    value.local.push_back(ShardPiece{});
    for (const Value* placement : sequenceItems(field(spec, "placements")))
        value.placements.push_back(dtensorPlacementText(placement));
    const Value* mesh = field(spec, "mesh");
    if (const Value* type = field(mesh, "device_type"); type && type->isString()) value.meshDeviceType = type->text;
    // The mesh is an int tensor of global ranks; its rebuild call's size is the mesh shape.
    const Value* meshTensor = field(mesh, "mesh");
    const ValueList<const Value*>& meshArgs = meshTensor ? sequenceItems(meshTensor->args) : sequenceItems(nullptr);
    if (meshArgs.size() >= 3) readIntTuple(meshArgs[2], value.meshShape);
    readIntTuple(field(mesh, "_coordinate_on_dim"), value.meshCoordinate);
    if (value.meshShape.empty() || value.placements.size() != value.meshShape.size()) {
        value.problem = "DTensor placements do not match its device mesh";
        return;
    }
    int64_t world = 1, at = 0;
    for (size_t d = 0; d < value.meshShape.size(); ++d) {
        if (value.meshShape[d] < 0 || __builtin_mul_overflow(world, value.meshShape[d], &world)) return;
        if (value.meshCoordinate.size() == value.meshShape.size())
            at = at * value.meshShape[d] + value.meshCoordinate[d];
    }
    value.worldSize = world;
    // Where the local tensor lies: Shard(d) on one mesh dimension splits dim d as torch.chunk does (ceil(n / size)
    // per rank, this rank's coordinate on that mesh dimension); Replicate and Partial hold the whole extent.
    const ValueList<const Value*>& localArgs = sequenceItems(local->args);
    ShardPiece& piece = value.local.back();
    if (localArgs.size() >= 3 && readIntTuple(localArgs[2], piece.sizes) && piece.sizes.size() == out.shape.size() &&
        value.meshCoordinate.size() == value.meshShape.size()) {
        piece.offsets.assign(out.shape.size(), 0);
        int shardedOn = -1;
        for (size_t d = 0; d < value.placements.size(); ++d) {
            if (value.placements[d].rfind("Shard(dim=", 0) != 0) continue;
            if (shardedOn >= 0) { // several mesh dimensions sharding: nested splits, not worked out here
                piece.offsets.clear();
                break;
            }
            shardedOn = static_cast<int>(d);
        }
        if (shardedOn >= 0 && !piece.offsets.empty()) {
            int64_t dim = -1;
            intValue(field(sequenceItems(field(spec, "placements"))[static_cast<size_t>(shardedOn)], "dim"), dim);
            const int64_t parts = value.meshShape[static_cast<size_t>(shardedOn)];
            if (dim >= 0 && static_cast<size_t>(dim) < out.shape.size() && parts > 0) {
                const int64_t each = (out.shape[static_cast<size_t>(dim)] + parts - 1) / parts;
                piece.offsets[static_cast<size_t>(dim)] = std::min(
                    out.shape[static_cast<size_t>(dim)], each * value.meshCoordinate[static_cast<size_t>(shardedOn)]);
            } else {
                piece.offsets.clear();
            }
        }
    }
    // The rank is the mesh entry at this rank's coordinate; DeviceMesh keeps the flattened mesh as a tuple.
    std::vector<int64_t> flat;
    if (value.meshCoordinate.size() == value.meshShape.size() &&
        readIntTuple(field(mesh, "_flatten_mesh_list"), flat) && at >= 0 && static_cast<size_t>(at) < flat.size())
        value.rank = flat[static_cast<size_t>(at)];
}

} // namespace

bool isWrapperSubclassRebuild(const Value* function)
{
    return function && function->isGlobal("torch._utils", "_rebuild_wrapper_subclass");
}

WrapperSubclassRebuild readWrapperSubclassRebuild(const ValueList<const Value*>& a)
{
    WrapperSubclassRebuild out;
    const ValueList<const Value*>& call = a.size() >= 3 ? sequenceItems(a[2]) : sequenceItems(nullptr);
    const Value* cls = call.empty() ? nullptr : call[0];
    out.typeName = cls && cls->kind == ValueKind::Global ? cls->text + "." + cls->text2 : std::string("?");
    if (call.size() < 8) {
        out.problem = "tensor subclass rebuild call has " + std::to_string(call.size()) + " arguments, not 8";
        return out;
    }
    if (call[1] && call[1]->kind == ValueKind::Global && call[1]->text == "torch")
        if (auto dtype = dtypeFromTorchName(call[1]->text2)) out.dtype = *dtype;
    if (!readIntTuple(call[2], out.shape) || !readIntTuple(call[3], out.stride) ||
        out.shape.size() != out.stride.size()) {
        out.problem = "tensor subclass size or stride is not a tuple of integers";
        return out;
    }
    if (call[4] && call[4]->kind == ValueKind::Int) out.offset = call[4]->integer;
    out.location = deviceText(call[6]);
    out.requiresGrad = call[7] && call[7]->kind == ValueKind::Bool && call[7]->boolean;
    const Value* state = a.size() >= 4 ? a[3] : nullptr;
    if (isShardedTensorClass(cls)) {
        out.typeName = "ShardedTensor";
        out.known = true;
        out.value.type = out.typeName;
        readShardedTensorState(state, out);
    } else if (isDTensorClass(cls)) {
        out.typeName = "DTensor";
        out.known = true;
        out.value.type = out.typeName;
        readDTensorState(state, out);
    }
    return out;
}

bool isFsdpFlatParamPath(const Path& path)
{
    if (path.empty() || path.back().isIndex) return false;
    const std::string& key = path.back().key;
    size_t dot = key.rfind('.');
    std::string last = dot == std::string::npos ? key : key.substr(dot + 1);
    return last == "flat_param" || last == "_flat_param";
}

} // namespace ckpt

namespace ckpt
{

void noteShardedValues(Checkpoint& doc)
{
    size_t sharded = 0;
    const ShardedValue* first = nullptr;
    std::vector<std::string> flatParams;
    for (const TensorInfo& tensor : doc.tensors) {
        if (tensor.component) continue;
        if (tensor.sharded >= 0) {
            ++sharded;
            if (!first) first = &doc.shardedValues[static_cast<size_t>(tensor.sharded)];
        }
        if (isFsdpFlatParamPath(tensor.path)) flatParams.push_back(pathToString(tensor.path));
    }
    if (first) {
        std::string who = first->rank >= 0 ? "rank " + std::to_string(first->rank) : std::string("one rank");
        if (first->worldSize > 0) who += " of " + std::to_string(first->worldSize);
        doc.findings.push_back(
            {Severity::Unknown, std::to_string(sharded) + (sharded == 1 ? " tensor is a " : " tensors are ") +
                                    "ShardedTensor/DTensor saved by " + who +
                                    ": the file holds only that rank's pieces (listed as its local parts); the "
                                    "whole tensor needs every rank's file"});
    }
    if (!flatParams.empty()) {
        std::string names;
        for (size_t i = 0; i < flatParams.size() && i < 3; ++i)
            names += (i ? ", `" : "`") + flatParams[i] + "`";
        if (flatParams.size() > 3) names += " and " + std::to_string(flatParams.size() - 3) + " more";
        doc.findings.push_back(
            {Severity::Unknown,
             names + (flatParams.size() == 1 ? " is an FSDP flat parameter" : " are FSDP flat parameters") +
                 ": several parameters flattened, padded and sharded together; they cannot be "
                 "consolidated into named parameters without the model (which parameters, their "
                 "shapes and padding), which the file does not hold"});
    }
}

} // namespace ckpt
