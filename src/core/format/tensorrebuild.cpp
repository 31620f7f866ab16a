#include "core/format/tensorrebuild.h"

#include <algorithm>
#include <cstring>

#include "core/format/legacyrebuild.h"
#include "core/format/numpyarray.h"
#include "core/format/shardedrebuild.h"
#include "core/limits.h"

namespace ckpt
{

namespace
{

const char* const kRebuildFunctions[] = {
    "_rebuild_tensor",
    "_rebuild_tensor_v2",
    "_rebuild_tensor_v3",
    "_rebuild_parameter",
    "_rebuild_parameter_with_state",
    "_rebuild_qtensor",
    "_rebuild_sparse_tensor",
    "_rebuild_sparse_csr_tensor",
    "_rebuild_meta_tensor_no_storage",
};

// A hostile pickle can make every call through a fresh GLOBAL; past this many the verdicts are computed.
constexpr size_t kCachedCallables = 16;

bool isRebuildGlobal(const Value* g)
{
    if (!g || g->kind != ValueKind::Global) return false;
    if (g->text == "torch._tensor" && g->text2 == "_rebuild_from_type_v2") return true;
    if (g->text != "torch._utils") return false;
    for (const char* name : kRebuildFunctions)
        if (g->text2 == name) return true;
    return false;
}

bool readBool(const Value* v)
{
    return v && v->kind == ValueKind::Bool && v->boolean;
}

std::optional<DType> dtypeOfGlobal(const Value* v)
{
    if (!v || v->kind != ValueKind::Global || v->text != "torch") return std::nullopt;
    return dtypeFromTorchName(v->text2);
}

// "torch.sparse_coo" from either GLOBAL torch sparse_coo or REDUCE(torch.serialization._get_layout,
// ('torch.sparse_coo',)).
std::string layoutText(const Value* v)
{
    if (!v) return {};
    if (v->kind == ValueKind::Global) return v->text + "." + v->text2;
    if (v->kind == ValueKind::Object && v->args && !v->args->items.empty() && v->args->items[0]->isString())
        return v->args->items[0]->text;
    return {};
}

bool mulOverflows(uint64_t a, uint64_t b, uint64_t& out)
{
    return __builtin_mul_overflow(a, b, &out);
}

} // namespace

bool readIntTuple(const Value* v, std::vector<int64_t>& out)
{
    if (v && v->kind == ValueKind::Object) { // torch.Size((d0, d1, ...))
        const Value* cls = v->callableGlobal();
        if (!cls || cls->text != "torch" || cls->text2 != "Size" || !v->args || v->args->items.empty()) return false;
        v = v->args->items[0];
    }
    if (!v || (v->kind != ValueKind::Tuple && v->kind != ValueKind::List)) return false;
    out.clear();
    out.reserve(v->items.size()); // one block, not one per doubling: two tuples of every tensor come here
    for (const Value* item : v->items) {
        if (!item || item->kind != ValueKind::Int) return false;
        out.push_back(item->integer);
    }
    return true;
}

bool TensorRebuilder::isTensorNode(const Value* v) const
{
    if (!v || v->kind != ValueKind::Object) return false;
    if (v->how == ObjectHow::Reduce && isRebuildCallable(v->callable)) return true;
    // Tensors in other clothes: numpy arrays, and PyTorch 0.2-0.4 Parameters around a rebuild call.
    if (isNumpyArrayNode(v)) return true;
    const Value* wrapped = legacyParameterTensor(v);
    return wrapped && wrapped != v && isTensorNode(wrapped);
}

bool TensorRebuilder::isRebuildCallable(const Value* callable) const
{
    for (const auto& [seen, verdict] : m_callableVerdicts)
        if (seen == callable) return verdict;
    bool verdict = isRebuildGlobal(callable);
    if (m_callableVerdicts.size() < kCachedCallables) m_callableVerdicts.emplace_back(callable, verdict);
    return verdict;
}

TensorRebuilder::Prototype TensorRebuilder::parse(const Value* node, size_t nesting)
{
    Prototype proto;
    proto.info.node = node;
    // torch's own rebuild calls (nearly every tensor) skip the checks for the rarer kinds.
    bool rebuildCall = node->how == ObjectHow::Reduce && isRebuildCallable(node->callable);
    if (!rebuildCall && isNumpyArrayNode(node)) {
        parseNumpy(node, proto.info);
        return proto;
    }
    if (const Value* wrapped = rebuildCall ? nullptr : legacyParameterTensor(node)) {
        parseCall(wrapped->callable, wrapped->args, proto, nesting + 1);
        proto.info.parameter = true;
        proto.info.requiresGrad = legacyParameterRequiresGrad(node);
        return proto;
    }
    parseCall(node->callable, node->args, proto, nesting);
    return proto;
}

void TensorRebuilder::parseCall(const Value* function, const Value* args, Prototype& proto, size_t nesting)
{
    TensorInfo& info = proto.info;
    const ValueList<const Value*>& a = sequenceItems(args);
    // A view, not a copy: this runs once per tensor, and "_rebuild_tensor_v2" is too long for a string's own buffer.
    const std::string_view name =
        function && function->kind == ValueKind::Global ? std::string_view(function->text2) : std::string_view();
    if (nesting > limits::kMaxTensorRebuildNesting) {
        info.problem = "tensor rebuild calls nest deeper than the limit kMaxTensorRebuildNesting";
        return;
    }
    if (!m_visitor.spend()) {
        info.problem = m_visitor.explain();
        return;
    }
    if (name == "_rebuild_from_type_v2" && a.size() >= 3) { // (func, new_type, args, state)
        if (isWrapperSubclassRebuild(a[0])) {
            parseWrapperSubclass(a, proto);
            return;
        }
        parseCall(a[0], a[2], proto, nesting + 1);
        return;
    }
    if ((name == "_rebuild_parameter" || name == "_rebuild_parameter_with_state") && a.size() >= 2 &&
        isTensorNode(a[0])) {
        parseCall(a[0]->callable, a[0]->args, proto, nesting + 1);
        info.parameter = true;
        info.requiresGrad = readBool(a[1]);
        return;
    }
    if ((name == "_rebuild_tensor_v2" || name == "_rebuild_tensor") && a.size() >= 4) {
        parseStrided(a, 2, proto, std::nullopt);
        if (a.size() >= 5) info.requiresGrad = readBool(a[4]);
        return;
    }
    if (name == "_rebuild_tensor_v3" && a.size() >= 7) {
        std::optional<DType> dtype = dtypeOfGlobal(a[6]);
        if (!dtype) info.problem = "unknown dtype " + renderValue(a[6], 60);
        parseStrided(a, 2, proto, dtype);
        info.requiresGrad = readBool(a[4]);
        return;
    }
    if (name == "_rebuild_qtensor" && a.size() >= 7) { // (storage, offset, size, stride, qparams, rg, hooks)
        parseStrided(a, 2, proto, std::nullopt);
        info.requiresGrad = readBool(a[5]);
        const ValueList<const Value*>& q = sequenceItems(a[4]);
        if (!q.empty() && q[0] && q[0]->kind == ValueKind::Global) info.quant.scheme = q[0]->text2;
        if (info.quant.scheme == "per_tensor_affine" && q.size() >= 3) {
            info.quant.scale = q[1]->kind == ValueKind::Float ? q[1]->real : static_cast<double>(q[1]->integer);
            info.quant.zeroPoint = q[2]->integer;
        } else if (q.size() >= 4) {
            proto.parts.push_back({"q_per_channel_scales", q[1]});
            proto.parts.push_back({"q_per_channel_zero_points", q[2]});
            info.quant.axis = q[3]->integer;
        }
        return;
    }
    if ((name == "_rebuild_sparse_tensor" || name == "_rebuild_sparse_csr_tensor") && a.size() >= 2) {
        std::string layout = layoutText(a[0]);
        const ValueList<const Value*>& data = sequenceItems(a[1]);
        static const char* const cooParts[] = {"indices", "values"};
        static const char* const compressedParts[] = {"compressed_indices", "plain_indices", "values"};
        bool coo = layout == "torch.sparse_coo";
        info.layout = coo                            ? TensorLayout::SparseCoo
                      : layout == "torch.sparse_csc" ? TensorLayout::SparseCsc
                      : layout == "torch.sparse_bsr" ? TensorLayout::SparseBsr
                      : layout == "torch.sparse_bsc" ? TensorLayout::SparseBsc
                                                     : TensorLayout::SparseCsr;
        size_t count = coo ? 2 : 3;
        if (data.size() < count + 1) {
            info.problem = "sparse tensor data is incomplete";
            return;
        }
        for (size_t i = 0; i < count; ++i)
            proto.parts.push_back({coo ? cooParts[i] : compressedParts[i], data[i]});
        readIntTuple(data[count], info.shape);
        const Value* values = data[count - 1];
        if (isTensorNode(values)) {
            // A `values` that leads back to a tensor being parsed (itself, through a memoised list appended to after
            // the REDUCE) recursed forever; the nesting also goes on counting instead of restarting in parse().
            if (values == info.node || m_parsing.count(values)) {
                info.problem = "sparse tensor values: tensor rebuild call refers to itself";
                return;
            }
            m_parsing.insert(info.node);
            Prototype valuesProto = parse(values, nesting + 1);
            m_parsing.erase(info.node);
            info.dtype = valuesProto.info.dtype;
            info.location = valuesProto.info.location;
        }
        info.stride.clear();
        uint64_t numel = info.numel();
        info.nbytes = numel * dtypeElementSize(info.dtype);
        return;
    }
    if (name == "_rebuild_meta_tensor_no_storage" && a.size() >= 3) { // (dtype, size, stride, requires_grad)
        if (auto dtype = dtypeOfGlobal(a[0])) info.dtype = *dtype;
        readIntTuple(a[1], info.shape);
        readIntTuple(a[2], info.stride);
        info.location = "meta";
        info.requiresGrad = a.size() >= 4 && readBool(a[3]);
        info.nbytes = info.numel() * dtypeElementSize(info.dtype);
        return;
    }
    info.problem = "unrecognised tensor rebuild call " + (function ? renderValue(function, 80) : std::string("?"));
}

void TensorRebuilder::parseStrided(const ValueList<const Value*>& a, size_t sizeAt, Prototype& proto,
                                   std::optional<DType> dtypeOverride)
{
    TensorInfo& info = proto.info;
    info.offset = a[1] && a[1]->kind == ValueKind::Int ? a[1]->integer : 0;
    if (!readIntTuple(a[sizeAt], info.shape) || !readIntTuple(a[sizeAt + 1], info.stride)) {
        info.problem = "tensor size or stride is not a tuple of integers";
        return;
    }
    info.storage = storageFor(a[0], dtypeOverride, info);
    if (info.problem.empty()) checkBounds(info);
}

int TensorRebuilder::storageFor(const Value* pid, std::optional<DType> dtypeOverride, TensorInfo& info)
{
    // Some non-torch writers (burn's test files) put the ('storage', ...) tuple itself where torch writes a
    // persistent id; torch.load cannot read those, but the tuple names the bytes just the same.
    bool bareTuple = pid && pid->kind == ValueKind::Tuple && !pid->items.empty() && pid->items[0]->isString() &&
                     pid->items[0]->text == "storage";
    if (!bareTuple && (!pid || pid->kind != ValueKind::PersistentId || pid->items.empty())) {
        info.problem = "tensor storage is not a persistent id";
        return -1;
    }
    if (bareTuple && !m_warnedBareStorageTuple) {
        m_warnedBareStorageTuple = true;
        m_doc.findings.push_back({Severity::Unknown,
                                  "tensor storages are plain ('storage', ...) tuples, not persistent "
                                  "ids: torch.load fails on such a file; the bytes are read anyway"});
    }
    const ValueList<const Value*>& t = sequenceItems(bareTuple ? pid : pid->items[0]);
    if (t.size() < 5 || !t[0]->isString() || t[0]->text != "storage" || t[1]->kind != ValueKind::Global ||
        !t[2]->isString() || !t[3]->isString() || t[4]->kind != ValueKind::Int) {
        info.problem = "tensor storage id is not ('storage', type, key, location, numel)";
        return -1;
    }
    bool untyped = t[1]->text2 == "UntypedStorage";
    std::optional<DType> dtype = untyped ? dtypeOverride : dtypeFromStorageClass(t[1]->text2);
    if (!dtype) {
        info.problem = "unknown storage type " + t[1]->text + "." + t[1]->text2;
        return -1;
    }
    info.dtype = *dtype;
    info.location = t[3]->text;
    const std::string& key = t[2]->text;
    // Legacy streams may point into a root storage through view metadata (view_key, offset, numel).
    if (t.size() >= 6 && t[5] && t[5]->kind == ValueKind::Tuple && t[5]->items.size() >= 2 &&
        t[5]->items[1]->kind == ValueKind::Int)
        info.offset += t[5]->items[1]->integer;

    if (int found = findStorage(key); found >= 0) {
        const StorageInfo& existing = m_doc.storages[found];
        if (existing.dtype != info.dtype && !untyped)
            info.problem = "storage '" + key + "' is viewed as both " + std::string(dtypeName(existing.dtype)) +
                           " and " + std::string(dtypeName(info.dtype));
        return found;
    }
    StorageInfo storage;
    storage.key = key;
    storage.dtype = info.dtype;
    storage.location = info.location;
    int64_t declared = t[4]->integer;
    size_t elementSize = dtypeElementSize(info.dtype);
    bool overflow = declared < 0;
    if (untyped) {
        storage.nbytes = static_cast<uint64_t>(declared);
        storage.numel = elementSize ? storage.nbytes / elementSize : 0;
    } else {
        storage.numel = static_cast<uint64_t>(declared);
        overflow = overflow || mulOverflows(storage.numel, elementSize, storage.nbytes);
    }
    RecordLocation where = m_locate(key);
    if (overflow) {
        m_doc.findings.push_back({Severity::Unknown, "storage '" + key + "' declares an impossible size"});
    } else if (!where.found) {
        m_doc.findings.push_back({Severity::Unknown, "storage '" + key + "' has no data record in the file"});
    } else if (where.size < storage.nbytes) {
        m_doc.findings.push_back({Severity::Unknown, "storage '" + key + "' holds " + std::to_string(where.size) +
                                                         " bytes but declares " + std::to_string(storage.nbytes)});
    } else {
        storage.available = true;
        storage.file = where.file;
        storage.fileOffset = where.offset;
        storage.owned = where.owned;
    }
    m_doc.storages.push_back(std::move(storage));
    int index = static_cast<int>(m_doc.storages.size() - 1);
    rememberStorage(key, index);
    return index;
}

// A tensor subclass without storage (ShardedTensor, DTensor): the global shape and dtype from the call, the rank's
// local tensors as components. It has no bytes of its own (storage -1), like a meta tensor.
void TensorRebuilder::parseWrapperSubclass(const ValueList<const Value*>& a, Prototype& proto)
{
    WrapperSubclassRebuild sub = readWrapperSubclassRebuild(a);
    TensorInfo& info = proto.info;
    info.dtype = sub.dtype;
    info.shape = sub.shape;
    info.stride = sub.stride;
    info.offset = sub.offset;
    info.location = sub.location;
    info.requiresGrad = sub.requiresGrad;
    if (!sub.problem.empty()) {
        info.problem = sub.problem;
        return;
    }
    uint64_t numel = 1;
    for (int64_t d : info.shape)
        if (d < 0 || mulOverflows(numel, static_cast<uint64_t>(d), numel)) {
            info.problem = "tensor subclass size is negative or overflows 64 bits";
            return;
        }
    if (mulOverflows(numel, dtypeElementSize(info.dtype), info.nbytes)) {
        info.problem = "tensor byte size overflows 64 bits";
        return;
    }
    if (!sub.known) {
        info.problem = "tensor subclass " + sub.typeName + " keeps its data in its pickled state, which is not read";
        return;
    }
    proto.parts = std::move(sub.localTensors);
    proto.sharded = std::make_shared<ShardedValue>(std::move(sub.value));
}

// A numpy array owns its bytes (they are inside the pickle): one storage of its own, location "numpy".
void TensorRebuilder::parseNumpy(const Value* node, TensorInfo& info)
{
    NumpyArray array = readNumpyArray(node);
    info.dtype = array.dtype;
    info.shape = array.shape;
    info.stride = array.stride;
    info.location = "numpy";
    info.problem = array.problem;
    if (!array.problem.empty()) return;
    StorageInfo storage;
    storage.key = "numpy@" + std::to_string(node->offset);
    storage.dtype = array.dtype;
    storage.nbytes = array.bytes->size();
    storage.numel = dtypeElementSize(array.dtype) ? storage.nbytes / dtypeElementSize(array.dtype) : 0;
    storage.location = "numpy";
    storage.available = true;
    storage.owned = std::move(array.bytes);
    m_doc.storages.push_back(std::move(storage));
    info.storage = static_cast<int>(m_doc.storages.size() - 1);
    checkBounds(info);
}

int TensorRebuilder::findStorage(const std::string& key) const
{
    if (auto number = recordNumber(key); number && *number < limits::kDenseRecordKeys)
        return *number < m_storageByNumber.size() ? m_storageByNumber[*number] : -1;
    auto found = m_storageByKey.find(key);
    return found == m_storageByKey.end() ? -1 : found->second;
}

void TensorRebuilder::rememberStorage(const std::string& key, int index)
{
    if (auto number = recordNumber(key); number && *number < limits::kDenseRecordKeys) {
        if (*number >= m_storageByNumber.size()) // doubling: torch numbers storages 0, 1, 2... one at a time
            m_storageByNumber.resize(std::max<size_t>(*number + 1, 2 * m_storageByNumber.size()), -1);
        m_storageByNumber[*number] = index;
        return;
    }
    m_storageByKey.emplace(key, index);
}

// The view must lie inside the storage: offset + sum((size-1)*stride) < numel, with no negative
// sizes/strides and no 64-bit overflow. Violations mark the tensor unusable rather than failing the file.
void TensorRebuilder::checkBounds(TensorInfo& info) const
{
    if (info.shape.size() > limits::kMaxTensorRank) {
        info.problem = "tensor rank " + std::to_string(info.shape.size()) + " is over the limit kMaxTensorRank";
        return;
    }
    if (info.shape.size() != info.stride.size()) {
        info.problem = "tensor size and stride have different lengths";
        return;
    }
    uint64_t numel = 1, last = 0;
    for (size_t i = 0; i < info.shape.size(); ++i) {
        if (info.shape[i] < 0 || info.stride[i] < 0) {
            info.problem = "tensor has a negative size or stride";
            return;
        }
        uint64_t span = 0;
        if (mulOverflows(numel, static_cast<uint64_t>(info.shape[i]), numel) ||
            (info.shape[i] > 0 &&
             (mulOverflows(static_cast<uint64_t>(info.shape[i] - 1), static_cast<uint64_t>(info.stride[i]), span) ||
              __builtin_add_overflow(last, span, &last)))) {
            info.problem = "tensor element count overflows 64 bits";
            return;
        }
    }
    size_t elementSize = dtypeElementSize(info.dtype);
    if (mulOverflows(numel, elementSize, info.nbytes)) {
        info.problem = "tensor byte size overflows 64 bits";
        return;
    }
    if (info.offset < 0) {
        info.problem = "tensor has a negative storage offset";
        return;
    }
    if (numel == 0 || info.storage < 0) return;
    const StorageInfo& storage = m_doc.storages[info.storage];
    // In bytes, with this view's own element size: an untyped storage first viewed as uint8 and then as float64
    // must not let the second view reach 8x past the record, as a count in the first view's elements did.
    uint64_t end = 0, endBytes = 0;
    if (__builtin_add_overflow(last, static_cast<uint64_t>(info.offset), &end) ||
        __builtin_add_overflow(end, uint64_t{1}, &end) || mulOverflows(end, elementSize, endBytes) ||
        endBytes > storage.nbytes)
        info.problem = "tensor view reaches past the end of storage '" + storage.key + "' (" +
                       std::string(dtypeName(info.dtype)) + " view of " + std::to_string(storage.nbytes) + " bytes)";
    else if (!storage.available)
        info.problem = "storage '" + storage.key + "' bytes are not available";
}

int TensorRebuilder::emit(const Value* node, const Path& path, size_t depth)
{
    // Components (sparse indices, per-channel scales) are emitted below their tensor; a component that leads back
    // to a tensor being emitted is a cycle, and each emission is one step of the walk's work budget, so a chain
    // of tensors that name each other twice per level stays linear in the file.
    if (!m_visitor.enter(depth)) return -1;
    // A node reached again (memo sharing, tied weights) is a copy of its first emission at a new path;
    // a new node is parsed once and moved in, so the common case copies nothing.
    Prototype proto;
    auto seen = m_emitted.find(node);
    if (seen != m_emitted.end()) {
        proto.info = m_doc.tensors[seen->second];
        for (int part : proto.info.parts) {
            const TensorInfo& p = m_doc.tensors[part];
            proto.parts.push_back({p.path.empty() ? std::string() : p.path.back().key, p.node});
        }
    } else {
        proto = parse(node, 0);
    }
    proto.info.path = path;
    proto.info.parts.clear();
    m_doc.tensors.push_back(std::move(proto.info));
    int index = static_cast<int>(m_doc.tensors.size() - 1);
    m_emitted.emplace(node, index);
    if (proto.sharded) {
        proto.sharded->fsdpFlatParam = isFsdpFlatParamPath(path);
        m_doc.tensors[index].sharded = static_cast<int>(m_doc.shardedValues.size());
        m_doc.shardedValues.push_back(*proto.sharded);
    }
    std::vector<int> parts;
    // Only a tensor with components can lead back to itself, so only those pay for the on-path set.
    std::optional<GraphVisitor::PathGuard> onPath;
    if (!proto.parts.empty()) onPath.emplace(m_visitor, node);
    for (size_t position = 0; position < proto.parts.size(); ++position) {
        const auto& [partName, partNode] = proto.parts[position];
        if (!isTensorNode(partNode)) continue;
        int part = -1;
        if (!m_visitor.onPath(partNode)) {
            Path partPath = path;
            partPath.push_back(PathElement::name(partName));
            part = emit(partNode, partPath, depth + 1);
        }
        if (part < 0) {
            if (m_doc.tensors[index].problem.empty())
                m_doc.tensors[index].problem =
                    "component `" + partName + "` " +
                    (m_visitor.stopped()
                         ? "was not read: " + m_visitor.explain()
                         : std::string("refers back to its tensor (tensor rebuild call refers to itself)"));
            continue;
        }
        m_doc.tensors[part].component = true;
        parts.push_back(part);
        if (proto.sharded) m_doc.shardedValues[m_doc.tensors[index].sharded].local[position].tensor = part;
    }
    TensorInfo& emitted = m_doc.tensors[index];
    emitted.parts = parts;
    if (dtypeIsQuantized(emitted.dtype) && parts.size() == 2) {
        emitted.quant.scalesTensor = parts[0];
        emitted.quant.zeroPointsTensor = parts[1];
    }
    return index;
}

} // namespace ckpt
