// The pre-1.0 tar format (torch 0.1.x; torch.load still reads it: torch/serialization.py `legacy_load`).
// A POSIX tar with four members:
//   sys_info  a pickle (read and ignored, like torch)
//   storages  pickle(count); per storage pickle((key, location, StorageType)), int64 element count, raw
//             bytes; then pickle([(view key, root key, offset, numel), ...])
//   tensors   pickle(count); per tensor pickle((key, storage key, TensorType)), int32 ndim, 4 pad bytes,
//             ndim int64 sizes, ndim int64 strides, int64 storage offset
//   pickle    the object, whose persistent ids are tensor keys (or, in files other tools wrote, torch.save's
//             ('storage', type, key, location, numel) tuples naming keys of the storages member)
// Read as far as the bytes allow: a missing or short member becomes a finding that says what torch does.
#include <cstring>
#include <map>

#include "core/analysis/securityscan.h"
#include "core/format/formatloaders.h"
#include "core/format/torchgraph.h"
#include "core/format/viewbounds.h"
#include "core/io/bytereader.h"
#include "core/limits.h"
#include "core/pickle/unpickler.h"

namespace ckpt
{

namespace
{

struct TarMember {
    uint64_t offset = 0; // first byte of the member's data in the file
    uint64_t size = 0;
};

uint64_t octal(const uint8_t* field, size_t width, bool& ok)
{
    uint64_t value = 0;
    size_t i = 0;
    while (i < width && field[i] == ' ')
        ++i;
    for (; i < width && field[i] >= '0' && field[i] <= '7'; ++i) {
        if (value >> 60) ok = false;
        value = value * 8 + static_cast<uint64_t>(field[i] - '0');
    }
    if (i < width && field[i] != 0 && field[i] != ' ') ok = false;
    return value;
}

// Regular-file members by name; stops at the end-of-archive block. PAX/GNU extension headers are skipped.
Result<std::map<std::string, TarMember>> readTarMembers(const uint8_t* data, uint64_t size)
{
    std::map<std::string, TarMember> members;
    uint64_t pos = 0;
    for (size_t count = 0; pos + 512 <= size; ++count) {
        const uint8_t* header = data + pos;
        if (header[0] == 0) break; // end-of-archive
        if (count >= limits::kMaxTarMembers)
            return makeError(Status::LimitExceeded, "tar has more members than the limit kMaxTarMembers", pos);
        bool ok = true;
        uint64_t memberSize = octal(header + 124, 12, ok);
        if (!ok)
            return makeError(Status::Corrupt,
                             "tar member header at byte " + std::to_string(pos) +
                                 " has a size field that is not an octal number",
                             pos);
        if (memberSize > size - pos - 512)
            return makeError(Status::Truncated,
                             "tar member at byte " + std::to_string(pos) + " declares " + std::to_string(memberSize) +
                                 " bytes, past the end of the file",
                             pos);
        size_t nameLength = 0;
        while (nameLength < 100 && header[nameLength] != 0)
            ++nameLength;
        std::string name(reinterpret_cast<const char*>(header), nameLength);
        char type = static_cast<char>(header[156]);
        if ((type == '0' || type == 0) && !members.count(name)) members[name] = TarMember{pos + 512, memberSize};
        pos += 512 + (memberSize + 511) / 512 * 512;
    }
    return members;
}

struct TarStorage {
    DType dtype = DType::UInt8;
    std::string location;
    uint64_t offset = 0;
    uint64_t size = 0;
};

std::string keyText(const Value* v)
{
    if (!v) return {};
    if (v->kind == ValueKind::Int) return std::to_string(v->integer);
    if (v->kind == ValueKind::String || v->kind == ValueKind::Bytes) return v->text;
    return {};
}

class TarReader
{
public:
    TarReader(Checkpoint& doc, const uint8_t* data) : m_doc(doc), m_data(data) {}

    // One pickle at `pos` inside [.., end); advances pos.
    Result<const Value*> pickle(uint64_t& pos, uint64_t end, const std::string& what)
    {
        auto parsed = unpickle(m_data + pos, end - pos, *m_doc.arena, pos);
        if (!parsed) {
            Error error = parsed.error();
            error.detail = what + ": " + error.detail;
            return error;
        }
        pos += parsed.value().end;
        recordGlobals(m_doc, parsed.value().globals);
        return static_cast<const Value*>(parsed.value().root);
    }

    void readStorages(const TarMember& member)
    {
        uint64_t pos = member.offset, end = member.offset + member.size;
        auto count = pickle(pos, end, "tar member 'storages' count");
        if (!count || count.value()->kind != ValueKind::Int || count.value()->integer < 0) {
            finding("tar member 'storages' does not start with a storage count; no tensor bytes can be read");
            return;
        }
        for (int64_t i = 0; i < count.value()->integer; ++i) {
            auto header = pickle(pos, end, "tar member 'storages' entry " + std::to_string(i));
            const Value* h = header ? header.value() : nullptr;
            if (!h || h->kind != ValueKind::Tuple || h->items.size() != 3 || h->items[2]->kind != ValueKind::Global) {
                finding("tar member 'storages' entry " + std::to_string(i) +
                        " is not (key, location, storage type); the storages after it are not read");
                return;
            }
            TarStorage storage;
            if (auto dtype = dtypeFromStorageClass(h->items[2]->text2)) storage.dtype = *dtype;
            storage.location = keyText(h->items[1]);
            ByteReader reader(m_data, end);
            reader.seek(pos);
            int64_t numel = 0;
            uint64_t bytes = 0;
            if (!reader.readLE(numel) || numel < 0 ||
                __builtin_mul_overflow(static_cast<uint64_t>(numel), dtypeElementSize(storage.dtype), &bytes) ||
                bytes > end - pos - 8) {
                finding("tar member 'storages' ends inside storage '" + keyText(h->items[0]) + "'");
                return;
            }
            storage.offset = pos + 8;
            storage.size = bytes;
            pos += 8 + bytes;
            m_storages[keyText(h->items[0])] = storage;
        }
        if (pos >= end) {
            finding("tar member 'storages' ends before its list of storage views: torch's tar reader stops "
                    "there (EOFError 'Ran out of input'); the storages themselves are complete");
            return;
        }
        auto views = pickle(pos, end, "tar member 'storages' view list");
        if (!views || (views.value()->kind != ValueKind::List && views.value()->kind != ValueKind::Tuple)) {
            finding("tar member 'storages' has a view list that is not a list");
            return;
        }
        for (const Value* view : views.value()->items) {
            if (!view || view->kind != ValueKind::Tuple || view->items.size() != 4 ||
                view->items[2]->kind != ValueKind::Int || view->items[3]->kind != ValueKind::Int)
                continue;
            auto root = m_storages.find(keyText(view->items[1]));
            if (root == m_storages.end()) continue;
            TarStorage target = root->second;
            uint64_t element = dtypeElementSize(target.dtype);
            uint64_t start = static_cast<uint64_t>(view->items[2]->integer) * element;
            uint64_t length = static_cast<uint64_t>(view->items[3]->integer) * element;
            if (view->items[2]->integer < 0 || view->items[3]->integer < 0 || start > target.size ||
                length > target.size - start)
                continue;
            target.offset += start;
            target.size = length;
            m_storages[keyText(view->items[0])] = target;
        }
    }

    void readTensors(const TarMember& member)
    {
        uint64_t pos = member.offset, end = member.offset + member.size;
        auto count = pickle(pos, end, "tar member 'tensors' count");
        if (!count || count.value()->kind != ValueKind::Int || count.value()->integer < 0) {
            finding("tar member 'tensors' does not start with a tensor count; its tensors are not read");
            return;
        }
        for (int64_t i = 0; i < count.value()->integer; ++i) {
            auto header = pickle(pos, end, "tar member 'tensors' entry " + std::to_string(i));
            const Value* h = header ? header.value() : nullptr;
            if (!h || h->kind != ValueKind::Tuple || h->items.size() != 3) {
                finding("tar member 'tensors' entry " + std::to_string(i) +
                        " is not (key, storage key, tensor type); the tensors after it are not read");
                return;
            }
            ByteReader reader(m_data, end);
            reader.seek(pos);
            int32_t ndim = 0, pad = 0;
            TarTensor tensor;
            tensor.storageKey = keyText(h->items[1]);
            bool ok = reader.readLE(ndim) && reader.readLE(pad) && ndim >= 0 &&
                      static_cast<size_t>(ndim) <= limits::kMaxTensorRank;
            for (int32_t d = 0; ok && d < ndim; ++d)
                ok = reader.readLE(tensor.shape.emplace_back());
            for (int32_t d = 0; ok && d < ndim; ++d)
                ok = reader.readLE(tensor.stride.emplace_back());
            ok = ok && reader.readLE(tensor.offset);
            if (!ok) {
                finding("tar member 'tensors' ends inside tensor '" + keyText(h->items[0]) +
                        "' (or its rank is over the limit kMaxTensorRank)");
                return;
            }
            pos = reader.position();
            m_tensors[keyText(h->items[0])] = std::move(tensor);
        }
    }

    // The tar format's own tensors: the main pickle names them by key in plain persistent ids, which the
    // graph walker leaves as values. Each becomes a tensor viewing its storage from the storages member.
    void resolveTensorIds()
    {
        std::vector<PlainValue> kept;
        for (PlainValue& plain : m_doc.values) {
            const Value* v = plain.value;
            auto found = v && v->kind == ValueKind::PersistentId && !v->items.empty()
                             ? m_tensors.find(keyText(v->items[0]))
                             : m_tensors.end();
            if (found == m_tensors.end()) {
                kept.push_back(plain);
                continue;
            }
            const TarTensor& t = found->second;
            TensorInfo info;
            info.path = plain.path;
            info.node = v;
            info.shape = t.shape;
            info.stride = t.stride;
            info.offset = t.offset;
            info.storage = storageIndex(t.storageKey);
            if (info.storage < 0) {
                info.problem = "tensor refers to storage '" + t.storageKey + "', which the storages member lacks";
            } else {
                const StorageInfo& storage = m_doc.storages[info.storage];
                info.dtype = storage.dtype;
                info.location = storage.location;
                info.problem = viewProblem(info, storage);
            }
            m_doc.tensors.push_back(std::move(info));
        }
        m_doc.values = std::move(kept);
    }

    const std::map<std::string, TarStorage>& storages() const { return m_storages; }

private:
    struct TarTensor {
        std::string storageKey;
        std::vector<int64_t> shape, stride;
        int64_t offset = 0;
    };

    // The document storage for a storages-member key, created on first use.
    int storageIndex(const std::string& key)
    {
        for (size_t i = 0; i < m_doc.storages.size(); ++i)
            if (m_doc.storages[i].key == key) return static_cast<int>(i);
        auto it = m_storages.find(key);
        if (it == m_storages.end()) return -1;
        StorageInfo storage;
        storage.key = key;
        storage.dtype = it->second.dtype;
        storage.location = it->second.location;
        storage.nbytes = it->second.size;
        storage.numel = dtypeElementSize(storage.dtype) ? storage.nbytes / dtypeElementSize(storage.dtype) : 0;
        storage.fileOffset = it->second.offset;
        storage.available = true;
        m_doc.storages.push_back(std::move(storage));
        return static_cast<int>(m_doc.storages.size() - 1);
    }

    void finding(std::string what) { m_doc.findings.push_back({Severity::Unknown, std::move(what)}); }

    Checkpoint& m_doc;
    const uint8_t* m_data;
    std::map<std::string, TarStorage> m_storages;
    std::map<std::string, TarTensor> m_tensors;
};

} // namespace

bool looksLikeTorchTar(const uint8_t* data, uint64_t size)
{
    return size >= 512 && std::memcmp(data + 257, "ustar", 5) == 0;
}

Result<std::unique_ptr<Checkpoint>> loadTorchTar(MappedFilePtr file, const Progress& progress)
{
    const uint8_t* data = file->data();
    uint64_t size = file->size();
    auto members = readTarMembers(data, size);
    if (!members) return members.error();
    const auto& found = members.value();
    auto pickleMember = found.find("pickle");
    if (pickleMember == found.end()) {
        std::string names;
        for (const auto& [name, member] : found)
            names += (names.empty() ? "'" : ", '") + name + "'";
        return makeError(Status::Corrupt, "tar archive has no 'pickle' member, so it is not a pre-1.0 torch "
                                          "checkpoint (members: " +
                                              (names.empty() ? std::string("none") : names) + ")");
    }

    auto doc = std::make_unique<Checkpoint>();
    doc->file = file->path();
    doc->fileSize = size;
    doc->files.push_back(file);
    doc->format = Format::TorchLegacy;
    doc->metadata["container"] = "tar (PyTorch < 1.0)";
    TarReader reader(*doc, data);
    if (auto storages = found.find("storages"); storages != found.end())
        reader.readStorages(storages->second);
    else
        doc->findings.push_back({Severity::Unknown, "tar checkpoint has no 'storages' member: no tensor bytes"});
    if (auto tensors = found.find("tensors"); tensors != found.end())
        reader.readTensors(tensors->second);
    else
        doc->findings.push_back({Severity::Unknown, "tar checkpoint has no 'tensors' member: torch's tar reader "
                                                    "fails when it extracts it (KeyError)"});

    uint64_t pos = pickleMember->second.offset;
    auto parsed = unpickle(data + pos, pickleMember->second.size, *doc->arena, pos, progress);
    if (!parsed) {
        Error error = parsed.error();
        error.detail = "tar member 'pickle': " + error.detail;
        return error;
    }
    doc->root = parsed.value().root;
    doc->pickleProtocol = parsed.value().protocol;
    recordGlobals(*doc, parsed.value().globals);
    doc->replacedStates = parsed.value().replacedStates;

    const auto& storages = reader.storages();
    auto locate = [&storages](const std::string& key) {
        RecordLocation where;
        auto it = storages.find(key);
        if (it == storages.end()) return where;
        where.found = true;
        where.offset = it->second.offset;
        where.size = it->second.size;
        return where;
    };
    interpretTorchGraph(*doc, locate);
    reader.resolveTensorIds();
    progress.tick(size, size);
    return doc;
}

} // namespace ckpt
