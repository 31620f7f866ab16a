#include "core/format/torchscriptv1.h"

#include <map>

#include <nlohmann/json.hpp>

#include "core/analysis/securityscan.h"
#include "core/format/viewbounds.h"
#include "core/limits.h"
#include "core/pickle/unpickler.h"

namespace ckpt
{

namespace
{

using nlohmann::json;

// caffe2.proto TensorProto.DataType names, as model.json spells them.
std::optional<DType> dtypeFromProtoName(const std::string& name)
{
    static const std::map<std::string, DType> names = {
        {"FLOAT", DType::Float32}, {"DOUBLE", DType::Float64}, {"FLOAT16", DType::Float16}, {"INT64", DType::Int64},
        {"INT32", DType::Int32},   {"INT16", DType::Int16},    {"INT8", DType::Int8},       {"UINT8", DType::UInt8},
        {"BYTE", DType::UInt8},    {"BOOL", DType::Bool},      {"UINT16", DType::UInt16}};
    auto it = names.find(name);
    return it == names.end() ? std::nullopt : std::optional<DType>(it->second);
}

// Protobuf JSON prints int64 fields as strings ("12"); accept plain numbers too.
bool readInt(const json& v, int64_t& out)
{
    try {
        if (v.is_number_integer()) {
            out = v.get<int64_t>();
            return true;
        }
        if (v.is_string()) {
            size_t used = 0;
            out = std::stoll(v.get<std::string>(), &used);
            return used == v.get<std::string>().size();
        }
    } catch (const std::exception&) {
    }
    return false;
}

bool readInts(const json& v, std::vector<int64_t>& out)
{
    out.clear();
    if (!v.is_array() || v.size() > limits::kMaxTensorRank) return false;
    for (const json& item : v) {
        int64_t n = 0;
        if (!readInt(item, n)) return false;
        out.push_back(n);
    }
    return true;
}

class ModelJsonReader
{
public:
    ModelJsonReader(Checkpoint& doc, const ZipArchive& zip, std::string prefix)
        : m_doc(doc), m_zip(zip), m_prefix(std::move(prefix))
    {
    }

    // The tensor table entry `id` as a TensorInfo at `name` (no weight-set entry); -1 when unusable.
    int emitTensor(const json& tensors, int64_t id, const std::string& name, bool parameter)
    {
        if (id < 0 || static_cast<size_t>(id) >= tensors.size() || !tensors[id].is_object()) {
            problem("'" + name + "' refers to tensor " + std::to_string(id) + ", which the tensor table lacks");
            return -1;
        }
        const json& t = tensors[id];
        TensorInfo info;
        info.path = Path{PathElement::name(name)};
        info.parameter = parameter;
        info.requiresGrad = t.value("requiresGrad", false);
        info.location = t.value("device", std::string("cpu"));
        std::string type = t.value("dataType", std::string());
        if (auto dtype = dtypeFromProtoName(type))
            info.dtype = *dtype;
        else
            info.problem = "tensor table entry " + std::to_string(id) + " has data type '" + type +
                           "', which is not a tensor type this reader knows";
        int64_t offset = 0;
        if (!readInts(t.value("dims", json::array()), info.shape) ||
            !readInts(t.value("strides", json::array()), info.stride) ||
            (t.contains("offset") && !readInt(t["offset"], offset)) || info.shape.size() != info.stride.size())
            info.problem = "tensor table entry " + std::to_string(id) + " has unreadable dims, strides or offset";
        info.offset = offset;
        std::string key = t.contains("data") && t["data"].is_object() ? t["data"].value("key", std::string()) : "";
        if (info.problem.empty()) {
            info.storage = storageFor(key, info.dtype, info.location);
            checkBounds(info);
        }
        m_doc.tensors.push_back(std::move(info));
        return static_cast<int>(m_doc.tensors.size() - 1);
    }

    void walkModule(const json& module, const json& tensors, const json& attributes, const std::string& prefix,
                    size_t set, size_t depth)
    {
        if (!module.is_object()) return;
        if (depth > limits::kMaxGraphDepth) {
            problem("module nesting deeper than the limit kMaxGraphDepth; the rest is not shown");
            return;
        }
        for (const json& p : module.value("parameters", json::array())) {
            int64_t id = -1;
            if (!p.is_object() || !p.contains("tensorId") || !readInt(p["tensorId"], id)) continue;
            std::string name = prefix + p.value("name", std::string("?"));
            int index = emitTensor(tensors, id, name, !p.value("isBuffer", false));
            if (index >= 0) m_doc.weightSets[set].entries.push_back(WeightEntry{name, index});
        }
        // Tensor attributes: attributes.pkl holds build_tensor_from_id(n) calls naming tensor table entries.
        for (const json& a : module.value("attributes", json::array())) {
            int64_t slot = -1;
            if (!a.is_object() || a.value("type", std::string()) != "Tensor" || !a.contains("id") ||
                !readInt(a["id"], slot))
                continue;
            int64_t id = tensorIdOfAttribute(attributes, slot);
            if (id >= 0) emitTensor(tensors, id, prefix + a.value("name", std::string("?")), false);
        }
        for (const json& sub : module.value("submodules", json::array()))
            if (sub.is_object())
                walkModule(sub, tensors, attributes, prefix + sub.value("name", std::string("?")) + ".", set,
                           depth + 1);
    }

private:
    void problem(std::string what) { m_doc.findings.push_back({Severity::Unknown, "model.json: " + std::move(what)}); }

    static int64_t tensorIdOfAttribute(const json& attributes, int64_t slot)
    {
        if (slot < 0 || static_cast<size_t>(slot) >= attributes.size()) return -1;
        return attributes[slot].get<int64_t>();
    }

    int storageFor(const std::string& key, DType dtype, const std::string& location)
    {
        if (auto it = m_storageByKey.find(key); it != m_storageByKey.end()) return it->second;
        StorageInfo storage;
        storage.key = key;
        storage.dtype = dtype;
        storage.location = location;
        const ZipEntry* entry = key.empty() ? nullptr : m_zip.find(m_prefix + "/" + key);
        if (!entry) {
            problem("tensor record '" + key + "' is missing from the archive");
        } else if (entry->method != 0) {
            problem("tensor record '" + key + "' is compressed; its bytes are not mapped");
        } else {
            storage.available = true;
            storage.fileOffset = entry->dataOffset;
            storage.nbytes = entry->uncompressedSize;
            size_t element = dtypeElementSize(dtype);
            storage.numel = element ? storage.nbytes / element : 0;
        }
        m_doc.storages.push_back(std::move(storage));
        int index = static_cast<int>(m_doc.storages.size() - 1);
        m_storageByKey[key] = index;
        return index;
    }

    void checkBounds(TensorInfo& info) const { info.problem = viewProblem(info, m_doc.storages[info.storage]); }

    Checkpoint& m_doc;
    const ZipArchive& m_zip;
    std::string m_prefix;
    std::map<std::string, int> m_storageByKey;
};

// attributes.pkl: a tuple of attribute values; a tensor is REDUCE(torch.jit._pickle.build_tensor_from_id, (n,)).
// Returns, per slot, the tensor table index or -1.
json attributeTensorIds(Checkpoint& doc, const ZipArchive& zip, const std::string& prefix)
{
    json ids = json::array();
    const ZipEntry* entry = zip.find(prefix + "/attributes.pkl");
    if (!entry) return ids;
    std::string storage;
    auto bytes = zip.read(*entry, storage);
    if (!bytes) return ids;
    auto parsed = unpickle(reinterpret_cast<const uint8_t*>(bytes.value().data()), bytes.value().size(), *doc.arena,
                           entry->method == 0 ? entry->dataOffset : 0);
    if (!parsed) {
        doc.findings.push_back({Severity::Unknown, "attributes.pkl cannot be read: " + parsed.error().detail});
        return ids;
    }
    recordGlobals(doc, parsed.value().globals);
    const Value* root = parsed.value().root;
    if (!root || (root->kind != ValueKind::Tuple && root->kind != ValueKind::List)) return ids;
    for (const Value* item : root->items) {
        const Value* fn = item && item->kind == ValueKind::Object ? item->callableGlobal() : nullptr;
        bool tensor = fn && fn->text == "torch.jit._pickle" && fn->text2 == "build_tensor_from_id" && item->args &&
                      !item->args->items.empty() && item->args->items[0]->kind == ValueKind::Int;
        ids.push_back(tensor ? item->args->items[0]->integer : -1);
    }
    return ids;
}

} // namespace

Result<std::unique_ptr<Checkpoint>> loadTorchScriptV1(MappedFilePtr file, const ZipArchive& zip,
                                                      const std::string& prefix)
{
    const ZipEntry* entry = zip.find(prefix + "/model.json");
    if (!entry) return makeError(Status::Corrupt, "zip has no '" + prefix + "/model.json'");
    if (entry->uncompressedSize > limits::kMaxModelJsonBytes)
        return makeError(Status::LimitExceeded, "model.json is larger than the limit kMaxModelJsonBytes",
                         entry->localHeaderOffset);
    std::string storage;
    auto text = zip.read(*entry, storage);
    if (!text) return text.error();
    json model = json::parse(text.value(), nullptr, false);
    if (model.is_discarded() || !model.is_object())
        return makeError(Status::Corrupt, "TorchScript v1 archive (PyTorch 1.0-1.1): its model.json is not valid JSON",
                         entry->dataOffset);
    const json& tensors = model.contains("tensors") && model["tensors"].is_array() ? model["tensors"] : json::array();
    if (!model.contains("mainModule") || !model["mainModule"].is_object())
        return makeError(Status::Corrupt,
                         "TorchScript v1 archive (PyTorch 1.0-1.1): model.json has no mainModule, "
                         "so its " +
                             std::to_string(tensors.size()) + " tensors cannot be named",
                         entry->dataOffset);

    auto doc = std::make_unique<Checkpoint>();
    doc->file = file->path();
    doc->fileSize = file->size();
    doc->files.push_back(file);
    doc->archiveName = prefix;
    doc->format = Format::TorchScript;
    doc->kind = Kind::TorchScript;
    doc->metadata["torchscript"] = "v1 (model.json)";
    if (model.contains("producerVersion") && model["producerVersion"].is_string())
        doc->metadata["producer_version"] = model["producerVersion"].get<std::string>();
    doc->findings.push_back({Severity::Unknown,
                             "TorchScript v1 archive (model.json; PyTorch 1.0-1.1): torch.jit.load needs the legacy "
                             "importer, which later builds lack (Debian's torch 1.13: 'Legacy model format is not "
                             "supported on mobile'); tensors read from the model.json tensor table"});
    WeightSet set;
    doc->weightSets.push_back(set);
    ModelJsonReader reader(*doc, zip, prefix);
    json attributes = attributeTensorIds(*doc, zip, prefix);
    reader.walkModule(model["mainModule"], tensors, attributes, "", 0, 0);
    if (doc->weightSets[0].entries.empty()) doc->weightSets.clear();
    return doc;
}

} // namespace ckpt
