#include "torchgen.h"

#include <cstring>

#include "core/zip/alignedzipwriter.h"

namespace ckpt::fuzz
{

uint32_t Choices::below(uint32_t n)
{
    if (n <= 1) return 0;
    uint32_t v = 0;
    // Two bytes are plenty for every range used here and keep a choice's bytes local for the mutator.
    for (int i = 0; i < (n > 256 ? 2 : 1); ++i)
        v = (v << 8) | (m_at < m_size ? m_data[m_at++] : 0);
    return v % n;
}

uint64_t Choices::bits(int bits)
{
    uint64_t v = 0;
    for (int i = 0; i < (bits + 7) / 8; ++i)
        v = (v << 8) | (m_at < m_size ? m_data[m_at++] : 0);
    return bits >= 64 ? v : v & ((uint64_t(1) << bits) - 1);
}

namespace
{

// Storage classes torch.save names in persistent ids, with their element sizes; the last one is unknown to torch.
struct StorageClass {
    const char* name;
    uint32_t elementSize;
};
constexpr StorageClass kStorageClasses[] = {
    {"FloatStorage", 4}, {"DoubleStorage", 8}, {"HalfStorage", 2},         {"BFloat16Storage", 2},
    {"LongStorage", 8},  {"IntStorage", 4},    {"ShortStorage", 2},        {"CharStorage", 1},
    {"ByteStorage", 1},  {"BoolStorage", 1},   {"ComplexFloatStorage", 8}, {"ComplexDoubleStorage", 16},
    {"QInt8Storage", 1}, {"QUInt8Storage", 1}, {"QInt32Storage", 4},       {"UntypedStorage", 1},
    {"NotAStorage", 1},
};
constexpr uint32_t kStorageClassCount = sizeof(kStorageClasses) / sizeof(kStorageClasses[0]);

// Globals a file may name besides the rebuild functions: harmless classes, allowlisted containers, a harmless
// enum that scanners used to flag, and the dangerous ones a scanner must flag (nothing here ever runs).
constexpr const char* kOtherGlobals[][2] = {
    {"collections", "OrderedDict"},
    {"builtins", "set"},
    {"argparse", "Namespace"},
    {"signal", "Signals"},
    {"torch", "float32"},
    {"torch", "Size"},
    {"numpy.core.multiarray", "scalar"},
    {"os", "system"},
    {"builtins", "eval"},
    {"subprocess", "Popen"},
    {"torch.hub", "load_state_dict_from_url"},
    {"pathlib", "PosixPath"},
};
constexpr uint32_t kOtherGlobalCount = sizeof(kOtherGlobals) / sizeof(kOtherGlobals[0]);

constexpr const char* kModuleClasses[][2] = {
    {"torch.nn.modules.linear", "Linear"},         {"torch.nn.modules.container", "Sequential"},
    {"torch.nn.modules.conv", "Conv2d"},           {"torch.nn.modules.container", "ModuleList"},
    {"torch.nn.modules.batchnorm", "BatchNorm2d"}, {"__main__", "Net"},
};
constexpr uint32_t kModuleClassCount = sizeof(kModuleClasses) / sizeof(kModuleClasses[0]);

struct Storage {
    std::string key;
    uint64_t bytes = 0; // bytes of the record torch.save would write for the first declaration
};

// Writes one pickle program. Every emit*() leaves exactly one value on the unpickler's stack.
class PickleWriter
{
public:
    PickleWriter(Choices& c, int nesting) : m_c(c), m_nesting(nesting) {}

    std::vector<uint8_t> program()
    {
        op(0x80);
        op(m_c.below(4) == 0 ? 3 : 2); // torch.save writes protocol 2; some writers use 3
        emitRoot();
        op('.');
        return std::move(m_out);
    }
    const std::vector<Storage>& storages() const { return m_storages; }

private:
    static constexpr int kMaxDepth = 12;
    static constexpr int kMaxNodes = 600;

    void op(uint8_t b) { m_out.push_back(b); }
    void raw(const void* p, size_t n)
    {
        const auto* b = static_cast<const uint8_t*>(p);
        m_out.insert(m_out.end(), b, b + n);
    }
    void le32(uint32_t v)
    {
        for (int i = 0; i < 4; ++i)
            op(uint8_t(v >> (8 * i)));
    }

    void global(const char* module, const char* name)
    {
        op('c');
        raw(module, std::strlen(module));
        op('\n');
        raw(name, std::strlen(name));
        op('\n');
    }
    void str(const std::string& s)
    {
        op('X');
        le32(uint32_t(s.size()));
        raw(s.data(), s.size());
    }
    void integer(int64_t v)
    {
        if (v >= 0 && v < 256) {
            op('K');
            op(uint8_t(v));
        } else if (v >= INT32_MIN && v <= INT32_MAX) {
            op('J');
            le32(uint32_t(int32_t(v)));
        } else {
            op(0x8a); // LONG1, little-endian two's complement
            op(8);
            for (int i = 0; i < 8; ++i)
                op(uint8_t(uint64_t(v) >> (8 * i)));
        }
    }
    // Memoises the value on top of the stack (BINPUT or LONG_BINPUT) and remembers its index for later references.
    void memoize()
    {
        const uint32_t index = m_memo++;
        if (index < 256) {
            op('q');
            op(uint8_t(index));
        } else {
            op('r');
            le32(index);
        }
        m_memoIndices.push_back(index);
    }
    void memoRef(uint32_t index)
    {
        if (index < 256) {
            op('h');
            op(uint8_t(index));
        } else {
            op('j');
            le32(index);
        }
    }
    void orderedDictStart()
    {
        global("collections", "OrderedDict");
        op(')');
        op('R');
        memoize();
    }

    // A small number, sometimes an extreme one: sizes, strides, offsets and numels come from here.
    int64_t dimension()
    {
        switch (m_c.below(16)) {
        case 0:
            return -int64_t(m_c.below(3)) - 1;
        case 1:
            return int64_t(m_c.bits(31));
        case 2:
            return int64_t(m_c.bits(63));
        default:
            return m_c.below(9);
        }
    }

    std::string name()
    {
        static const char* const kParts[] = {"weight", "bias", "layer", "module", "0",   "1", "running_mean",
                                             "fc",     "conv", "state", "é",      "a.b", ""};
        std::string s = kParts[m_c.below(sizeof(kParts) / sizeof(kParts[0]))];
        if (m_c.below(16) == 0) s += char(0x80 + m_c.below(64)); // not UTF-8: pickle strings are never validated
        if (m_c.flip()) s += "." + std::to_string(m_c.below(8));
        return s;
    }

    void emitStorageId()
    {
        // The persistent id: ('storage', <Dtype>Storage, key, location, numel), then BINPERSID.
        op('(');
        str("storage");
        const StorageClass& cls = kStorageClasses[m_c.below(kStorageClassCount)];
        global("torch", cls.name);
        const bool reuse = !m_storages.empty() && m_c.below(3) == 0; // shared, maybe viewed with another dtype
        std::string key;
        int64_t numel = dimension();
        if (reuse) {
            key = m_storages[m_c.below(uint32_t(m_storages.size()))].key;
        } else {
            key = std::to_string(m_storages.size());
            if (numel < 0 || numel > 4096) numel = m_c.below(64);
            m_storages.push_back({key, uint64_t(numel) * cls.elementSize});
        }
        str(key);
        static const char* const kLocations[] = {"cpu", "cuda:0", "mps", "xla:1", ""};
        str(kLocations[m_c.below(5)]);
        integer(numel);
        op('t');
        op('Q');
    }

    void emitTensor()
    {
        global("torch._utils", "_rebuild_tensor_v2");
        op('(');
        emitStorageId();
        integer(m_c.below(8) == 0 ? dimension() : 0);
        const uint32_t rank = m_c.below(16) == 0 ? 60 + m_c.below(10) : m_c.below(4);
        std::vector<int64_t> size(rank);
        for (auto& d : size)
            d = dimension();
        op('(');
        for (int64_t d : size)
            integer(d);
        op('t');
        op('(');
        if (m_c.below(4) == 0) {
            for (uint32_t i = 0; i < rank + (m_c.below(8) == 0 ? 1 : 0); ++i)
                integer(dimension());
        } else { // contiguous, as torch writes it
            // Unsigned, so extreme sizes wrap as torch's int64 arithmetic would not: the wrapped strides are just
            // more hostile views for the engine, and the generator itself stays free of undefined behaviour.
            uint64_t stride = 1;
            std::vector<int64_t> strides(rank);
            for (uint32_t i = rank; i-- > 0;) {
                strides[i] = static_cast<int64_t>(stride);
                stride *= size[i] > 0 ? static_cast<uint64_t>(size[i]) : 1u;
            }
            for (int64_t s : strides)
                integer(s);
        }
        op('t');
        op(m_c.flip() ? 0x88 : 0x89);
        orderedDictStart();
        op('t');
        op('R');
    }

    void emitParameter()
    {
        global("torch._utils", "_rebuild_parameter");
        op('(');
        emitTensor();
        op(m_c.flip() ? 0x88 : 0x89);
        orderedDictStart();
        op('t');
        op('R');
    }

    // torch._utils._rebuild_sparse_tensor(torch.sparse_coo, (indices, values, size)); values may be any value,
    // including a container still being built (a cycle through the rebuild arguments).
    void emitSparse(int depth)
    {
        global("torch._utils", "_rebuild_sparse_tensor");
        op('(');
        global("torch", "sparse_coo");
        op('(');
        emitTensor();
        if (m_c.flip())
            emitTensor();
        else
            emitValue(depth + 1);
        op('(');
        integer(dimension());
        integer(dimension());
        op('t');
        op('t');
        op('t');
        op('R');
    }

    // A module object as torch.save pickles a whole model: NEWOBJ, then BUILD with a __dict__ whose _modules may
    // name one earlier child many times (shared, reached many ways) or the module itself (a cycle).
    void emitModule(int depth)
    {
        const auto& cls = kModuleClasses[m_c.below(kModuleClassCount)];
        global(cls[0], cls[1]);
        op(')');
        op(0x81);
        memoize();
        const uint32_t self = m_memo - 1;
        m_modules.push_back(self);
        op('}');
        op('(');
        str("training");
        op(0x88);
        str("_parameters");
        orderedDictStart();
        op('(');
        for (uint32_t i = m_c.below(3); i > 0; --i) {
            str(m_c.flip() ? "weight" : "bias");
            if (m_c.below(4) == 0)
                op('N');
            else
                emitParameter();
        }
        op('u');
        str("_buffers");
        orderedDictStart();
        str("_modules");
        orderedDictStart();
        op('(');
        for (uint32_t i = m_c.below(4); i > 0; --i) {
            str(std::to_string(i));
            if (m_modules.size() > 1 && m_c.flip())
                memoRef(m_modules[m_c.below(uint32_t(m_modules.size()))]);
            else if (depth < kMaxDepth && m_nodes < kMaxNodes)
                emitModule(depth + 1);
            else
                op('N');
        }
        op('u');
        op('u');
        op('b');
    }

    // torch.storage._load_from_bytes(b): torch.load on bytes held in the file. The bytes are another generated
    // file (a torch zip or a bare pickle), so a payload can hide one level (or two) down.
    void emitLoaderPayload()
    {
        global("torch.storage", "_load_from_bytes");
        op('(');
        std::vector<uint8_t> inner;
        if (m_nesting < 2) {
            inner = generateCheckpoint(m_c, m_nesting + 1).bytes;
        } else {
            inner = {0x80, 0x02};
            const auto& g = kOtherGlobals[m_c.below(kOtherGlobalCount)];
            inner.push_back('c');
            inner.insert(inner.end(), g[0], g[0] + std::strlen(g[0]));
            inner.push_back('\n');
            inner.insert(inner.end(), g[1], g[1] + std::strlen(g[1]));
            inner.push_back('\n');
            inner.push_back('.');
        }
        op('B'); // BINBYTES
        le32(uint32_t(inner.size()));
        raw(inner.data(), inner.size());
        op('t');
        op('R');
    }

    void emitContainer(int depth, char kind)
    {
        const uint32_t items = m_c.below(6);
        if (kind == 'l') {
            op(']');
            memoize(); // from here on, references to it are cycles
            op('(');
            for (uint32_t i = 0; i < items; ++i)
                emitValue(depth + 1);
            op('e');
        } else if (kind == 'd') {
            if (m_c.flip()) {
                orderedDictStart();
            } else {
                op('}');
                memoize();
            }
            op('(');
            for (uint32_t i = 0; i < items; ++i) {
                str(name());
                emitValue(depth + 1);
            }
            op('u');
        } else {
            op('(');
            for (uint32_t i = 0; i < items; ++i)
                emitValue(depth + 1);
            op('t');
        }
    }

    void emitValue(int depth)
    {
        ++m_nodes;
        const bool leaf = depth >= kMaxDepth || m_nodes >= kMaxNodes;
        switch (m_c.below(leaf ? 5 : 16)) {
        case 0:
            op('N');
            return;
        case 1:
            integer(m_c.flip() ? int64_t(m_c.bits(63)) : m_c.below(1000));
            return;
        case 2: {
            op('G');
            const uint64_t v = m_c.bits(64);
            for (int i = 7; i >= 0; --i)
                op(uint8_t(v >> (8 * i)));
            return;
        }
        case 3:
            str(name());
            return;
        case 4:
            if (m_memoIndices.empty()) {
                op(0x88);
            } else {
                memoRef(m_memoIndices[m_c.below(uint32_t(m_memoIndices.size()))]);
            }
            return;
        case 5:
        case 6:
            emitTensor();
            return;
        case 7:
            emitParameter();
            return;
        case 8:
            emitContainer(depth, 'l');
            return;
        case 9:
            emitContainer(depth, 'd');
            return;
        case 10:
            emitContainer(depth, 't');
            return;
        case 11:
            emitSparse(depth);
            return;
        case 12:
            emitModule(depth);
            return;
        case 13:
            emitLoaderPayload();
            return;
        case 14: {
            const auto& g = kOtherGlobals[m_c.below(kOtherGlobalCount)];
            global(g[0], g[1]);
            emitContainer(depth, 't');
            op('R');
            return;
        }
        default: {
            // An object with state: GLOBAL, EMPTY_TUPLE, NEWOBJ, then BUILD with a dict (or a tuple state).
            const auto& g = kOtherGlobals[m_c.below(kOtherGlobalCount)];
            global(g[0], g[1]);
            op(')');
            op(0x81);
            memoize();
            emitContainer(depth, m_c.flip() ? 'd' : 't');
            op('b');
            return;
        }
        }
    }

    void emitRoot()
    {
        switch (m_c.below(4)) {
        case 0: { // a state dict, as model.state_dict() saves it
            orderedDictStart();
            op('(');
            for (uint32_t i = m_c.below(12); i > 0; --i) {
                str(name());
                if (m_c.below(6) == 0)
                    emitValue(1);
                else
                    emitTensor();
            }
            op('u');
            return;
        }
        case 1: { // a training checkpoint: {"state_dict": ..., "optimizer": ..., "epoch": n}
            op('}');
            memoize();
            op('(');
            str("state_dict");
            emitContainer(1, 'd');
            str("optimizer");
            emitValue(1);
            str("epoch");
            integer(m_c.below(100));
            op('u');
            return;
        }
        case 2:
            emitModule(0);
            return; // a whole model
        default:
            emitValue(0);
            return;
        }
    }

    Choices& m_c;
    int m_nesting;
    std::vector<uint8_t> m_out;
    std::vector<Storage> m_storages;
    std::vector<uint32_t> m_memoIndices;
    std::vector<uint32_t> m_modules;
    uint32_t m_memo = 0;
    int m_nodes = 0;
};

class VectorSink : public ZipWriterSink
{
public:
    explicit VectorSink(std::vector<uint8_t>& out) : m_out(out) {}
    VoidResult write(const void* data, size_t size) override
    {
        const auto* b = static_cast<const uint8_t*>(data);
        m_out.insert(m_out.end(), b, b + size);
        return Done{};
    }
    VoidResult writeAt(uint64_t offset, const void* data, size_t size) override
    {
        if (offset + size > m_out.size()) return makeError(Status::IoError, "writeAt past the end");
        std::memcpy(m_out.data() + offset, data, size);
        return Done{};
    }
    uint64_t position() const override { return m_out.size(); }

private:
    std::vector<uint8_t>& m_out;
};

} // namespace

GeneratedFile generateCheckpoint(Choices& choices, int nesting)
{
    GeneratedFile file;
    PickleWriter writer(choices, nesting);
    std::vector<uint8_t> pickle = writer.program();
    if (choices.below(8) == 0) {
        file.kind = GeneratedKind::RawPickle;
        file.bytes = std::move(pickle);
        return file;
    }
    // The torch.save zip layout: <archive>/data.pkl, <archive>/data/<key> per storage, <archive>/version.
    VectorSink sink(file.bytes);
    AlignedZipWriter zip(sink, choices.below(8) == 0 ? "other_name" : "archive");
    (void)zip.addRecord("data.pkl", pickle.data(), pickle.size());
    std::vector<uint8_t> payload;
    for (const Storage& s : writer.storages()) {
        if (choices.below(16) == 0) continue; // a missing record
        uint64_t bytes = s.bytes;
        if (choices.below(16) == 0) bytes = bytes / 2; // a short record
        payload.resize(bytes);
        for (size_t i = 0; i < payload.size(); ++i)
            payload[i] = uint8_t(i * 37 + s.key.size());
        (void)zip.addRecord("data/" + s.key, payload.data(), payload.size());
    }
    if (choices.below(16) != 0) (void)zip.addRecord("version", "3\n", 2);
    if (choices.flip()) (void)zip.addRecord("byteorder", "little", 6);
    (void)zip.finish();
    return file;
}

} // namespace ckpt::fuzz
