#include "core/pickle/pickler.h"

#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "core/limits.h"

namespace ckpt
{

namespace
{

// Opcodes of protocols 0-2 (pytorch-format.md section 5).
constexpr char kProto = '\x80';
constexpr char kStop = '.';
constexpr char kMark = '(';
constexpr char kNone = 'N';
constexpr char kNewTrue = '\x88';
constexpr char kNewFalse = '\x89';
constexpr char kBinInt = 'J';
constexpr char kBinInt1 = 'K';
constexpr char kBinInt2 = 'M';
constexpr char kLong1 = '\x8a';
constexpr char kLong4 = '\x8b';
constexpr char kBinFloat = 'G';
constexpr char kBinUnicode = 'X';
constexpr char kEmptyList = ']';
constexpr char kAppend = 'a';
constexpr char kAppends = 'e';
constexpr char kEmptyDict = '}';
constexpr char kSetItem = 's';
constexpr char kSetItems = 'u';
constexpr char kEmptyTuple = ')';
constexpr char kTuple = 't';
constexpr char kTuple1 = '\x85';
constexpr char kTuple2 = '\x86';
constexpr char kTuple3 = '\x87';
constexpr char kGlobal = 'c';
constexpr char kReduce = 'R';
constexpr char kNewObj = '\x81';
constexpr char kObj = 'o';
constexpr char kBuild = 'b';
constexpr char kBinPersId = 'Q';
constexpr char kBinPut = 'q';
constexpr char kLongBinPut = 'r';
constexpr char kBinGet = 'h';
constexpr char kLongBinGet = 'j';

// Python's pickler batches APPENDS/SETITEMS by 1000 so the unpickler's stack stays small.
constexpr size_t kBatchSize = 1000;

class Writer
{
public:
    bool save(const Value* value, size_t depth);
    std::string& out() { return m_out; }
    Error& error() { return m_error; }

private:
    bool fail(Status status, std::string detail, const Value* value)
    {
        m_error = makeError(status, std::move(detail), value ? value->offset : 0);
        return false;
    }
    void put(char op) { m_out.push_back(op); }
    template <class T> void putLE(T value)
    {
        for (size_t i = 0; i < sizeof(T); ++i)
            m_out.push_back(static_cast<char>((static_cast<uint64_t>(value) >> (8 * i)) & 0xff));
    }
    void putInt(int64_t value);
    void putLong(const std::string& littleEndianBytes);
    void putFloat(double value);
    void putUnicode(const std::string& text);
    void putGlobal(const std::string& module, const std::string& name);
    void memoize(const Value* value);
    bool fetch(const Value* value);
    bool saveItems(const ValueList<const Value*>& items, size_t depth);
    bool saveEntries(const ValueList<std::pair<const Value*, const Value*>>& entries, size_t depth);
    bool saveTuple(const Value* value, size_t depth);
    bool saveObject(const Value* value, size_t depth);
    bool saveSet(const Value* value, size_t depth);
    bool saveBytes(const Value* value);

    std::string m_out;
    Error m_error;
    std::unordered_map<const Value*, uint32_t> m_memo;
    std::unordered_map<std::string, uint32_t> m_globalMemo; // GLOBALs by "module\nname": one opcode each
    std::unordered_set<const Value*> m_open;                // nodes whose opcodes are being written (cycle detection)
    uint32_t m_nextMemo = 0;
};

void Writer::putInt(int64_t value)
{
    if (value >= 0 && value < 256) {
        put(kBinInt1);
        putLE<uint8_t>(static_cast<uint8_t>(value));
    } else if (value >= 0 && value < 65536) {
        put(kBinInt2);
        putLE<uint16_t>(static_cast<uint16_t>(value));
    } else if (value >= INT32_MIN && value <= INT32_MAX) {
        put(kBinInt);
        putLE<uint32_t>(static_cast<uint32_t>(static_cast<int32_t>(value)));
    } else {
        // Minimal two's complement, as Python's encode_long: drop redundant sign bytes.
        std::string bytes;
        uint64_t bits = static_cast<uint64_t>(value);
        for (int i = 0; i < 8; ++i)
            bytes.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
        while (bytes.size() > 1) {
            uint8_t last = static_cast<uint8_t>(bytes.back());
            uint8_t prev = static_cast<uint8_t>(bytes[bytes.size() - 2]);
            bool redundant = (last == 0x00 && !(prev & 0x80)) || (last == 0xff && (prev & 0x80));
            if (!redundant) break;
            bytes.pop_back();
        }
        putLong(bytes);
    }
}

void Writer::putLong(const std::string& littleEndianBytes)
{
    if (littleEndianBytes.size() < 256) {
        put(kLong1);
        putLE<uint8_t>(static_cast<uint8_t>(littleEndianBytes.size()));
    } else {
        put(kLong4);
        putLE<uint32_t>(static_cast<uint32_t>(littleEndianBytes.size()));
    }
    m_out += littleEndianBytes;
}

void Writer::putFloat(double value)
{
    uint64_t bits = 0;
    std::memcpy(&bits, &value, sizeof bits);
    put(kBinFloat);
    for (int i = 7; i >= 0; --i) // BINFLOAT is the one big-endian field of the format
        m_out.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
}

void Writer::putUnicode(const std::string& text)
{
    put(kBinUnicode);
    putLE<uint32_t>(static_cast<uint32_t>(text.size()));
    m_out += text;
}

void Writer::putGlobal(const std::string& module, const std::string& name)
{
    std::string key = module + "\n" + name;
    auto it = m_globalMemo.find(key);
    if (it != m_globalMemo.end()) {
        uint32_t index = it->second;
        if (index < 256) {
            put(kBinGet);
            putLE<uint8_t>(static_cast<uint8_t>(index));
        } else {
            put(kLongBinGet);
            putLE<uint32_t>(index);
        }
        return;
    }
    put(kGlobal);
    m_out += key;
    m_out.push_back('\n');
    uint32_t index = m_nextMemo++;
    m_globalMemo.emplace(std::move(key), index);
    if (index < 256) {
        put(kBinPut);
        putLE<uint8_t>(static_cast<uint8_t>(index));
    } else {
        put(kLongBinPut);
        putLE<uint32_t>(index);
    }
}

void Writer::memoize(const Value* value)
{
    uint32_t index = m_nextMemo++;
    m_memo.emplace(value, index);
    if (index < 256) {
        put(kBinPut);
        putLE<uint8_t>(static_cast<uint8_t>(index));
    } else {
        put(kLongBinPut);
        putLE<uint32_t>(index);
    }
}

bool Writer::fetch(const Value* value)
{
    auto it = m_memo.find(value);
    if (it == m_memo.end()) return false;
    if (it->second < 256) {
        put(kBinGet);
        putLE<uint8_t>(static_cast<uint8_t>(it->second));
    } else {
        put(kLongBinGet);
        putLE<uint32_t>(it->second);
    }
    return true;
}

bool Writer::saveItems(const ValueList<const Value*>& items, size_t depth)
{
    if (items.size() == 1) {
        if (!save(items[0], depth)) return false;
        put(kAppend);
        return true;
    }
    for (size_t start = 0; start < items.size(); start += kBatchSize) {
        put(kMark);
        for (size_t i = start; i < items.size() && i < start + kBatchSize; ++i)
            if (!save(items[i], depth)) return false;
        put(kAppends);
    }
    return true;
}

bool Writer::saveEntries(const ValueList<std::pair<const Value*, const Value*>>& entries, size_t depth)
{
    if (entries.size() == 1) {
        if (!save(entries[0].first, depth) || !save(entries[0].second, depth)) return false;
        put(kSetItem);
        return true;
    }
    for (size_t start = 0; start < entries.size(); start += kBatchSize) {
        put(kMark);
        for (size_t i = start; i < entries.size() && i < start + kBatchSize; ++i)
            if (!save(entries[i].first, depth) || !save(entries[i].second, depth)) return false;
        put(kSetItems);
    }
    return true;
}

bool Writer::saveTuple(const Value* value, size_t depth)
{
    const auto& items = value->items;
    if (items.empty()) {
        put(kEmptyTuple); // Python never memoizes the empty tuple either
        return true;
    }
    if (items.size() > 3) put(kMark);
    for (const Value* item : items)
        if (!save(item, depth)) return false;
    // A tuple that contains itself (through a list or dict) was memoized while its items were written;
    // protocol 2 cannot express that without POP_MARK tricks, and torch never writes one.
    if (m_memo.count(value))
        return fail(Status::Unsupported, "a tuple that contains itself cannot be re-written", value);
    switch (items.size()) {
    case 1:
        put(kTuple1);
        break;
    case 2:
        put(kTuple2);
        break;
    case 3:
        put(kTuple3);
        break;
    default:
        put(kTuple);
        break;
    }
    memoize(value);
    return true;
}

bool Writer::saveSet(const Value* value, size_t depth)
{
    // Protocol 2 has no set opcodes: Python writes set(list) as a REDUCE, which is what we do.
    putGlobal("builtins", value->kind == ValueKind::Set ? "set" : "frozenset");
    put(kEmptyList);
    if (!value->items.empty() && !saveItems(value->items, depth)) return false;
    put(kTuple1);
    put(kReduce);
    memoize(value);
    return true;
}

bool Writer::saveBytes(const Value* value)
{
    // Protocol 2 predates bytes: Python 3 writes _codecs.encode(latin-1 text, 'latin1').
    if (value->text.empty()) {
        putGlobal("builtins", "bytes");
        put(kEmptyTuple);
    } else {
        putGlobal("_codecs", "encode");
        std::string utf8;
        utf8.reserve(value->text.size() * 2);
        for (unsigned char c : value->text) {
            if (c < 0x80) {
                utf8.push_back(static_cast<char>(c));
            } else {
                utf8.push_back(static_cast<char>(0xc0 | (c >> 6)));
                utf8.push_back(static_cast<char>(0x80 | (c & 0x3f)));
            }
        }
        putUnicode(utf8);
        putUnicode("latin1");
        put(kTuple2);
    }
    put(kReduce);
    memoize(value);
    return true;
}

bool Writer::saveObject(const Value* value, size_t depth)
{
    switch (value->how) {
    case ObjectHow::Reduce:
    case ObjectHow::NewObj:
        if (!save(value->callable, depth)) return false;
        if (value->args) {
            if (!save(value->args, depth)) return false;
        } else {
            put(kEmptyTuple);
        }
        put(value->how == ObjectHow::Reduce ? kReduce : kNewObj);
        break;
    case ObjectHow::NewObjEx:
        // Protocol 2 spelling of NEWOBJ_EX: copyreg.__newobj_ex__(cls, args, kwargs).
        putGlobal("copyreg", "__newobj_ex__");
        if (!save(value->callable, depth)) return false;
        if (value->args) {
            if (!save(value->args, depth)) return false;
        } else {
            put(kEmptyTuple);
        }
        if (value->kwargs) {
            if (!save(value->kwargs, depth)) return false;
        } else {
            put(kEmptyDict);
        }
        put(kTuple3);
        put(kReduce);
        break;
    case ObjectHow::Inst:
    case ObjectHow::Obj:
        // INST and OBJ instantiate the same way; OBJ takes the class from the stack, so one spelling serves.
        put(kMark);
        if (!save(value->callable, depth)) return false;
        if (value->args && (value->args->kind == ValueKind::Tuple || value->args->kind == ValueKind::List)) {
            for (const Value* arg : value->args->items)
                if (!save(arg, depth)) return false;
        } else if (value->args) {
            return fail(Status::Unsupported, "INST/OBJ arguments are not a tuple", value);
        }
        put(kObj);
        break;
    }
    if (m_memo.count(value))
        return fail(Status::Unsupported, "an object whose constructor arguments contain itself cannot be re-written",
                    value);
    memoize(value);
    // Python's save_reduce order: appended items, set items, then BUILD.
    if (!value->items.empty() && !saveItems(value->items, depth)) return false;
    if (!value->entries.empty() && !saveEntries(value->entries, depth)) return false;
    if (value->hasState) {
        if (value->state) {
            if (!save(value->state, depth)) return false;
        } else {
            put(kNone);
        }
        put(kBuild);
    }
    return true;
}

bool Writer::save(const Value* value, size_t depth)
{
    if (!value) {
        put(kNone);
        return true;
    }
    if (++depth > limits::kMaxGraphDepth)
        return fail(Status::LimitExceeded, "the value graph nests deeper than kMaxGraphDepth", value);
    if (fetch(value)) return true;
    if (m_open.count(value))
        return fail(Status::Unsupported, "the value graph refers to an object while building it", value);
    switch (value->kind) {
    case ValueKind::None:
        put(kNone);
        return true;
    case ValueKind::Bool:
        put(value->boolean ? kNewTrue : kNewFalse);
        return true;
    case ValueKind::Int:
        putInt(value->integer);
        return true;
    case ValueKind::BigInt:
        putLong(value->text);
        return true;
    case ValueKind::Float:
        putFloat(value->real);
        return true;
    case ValueKind::String:
        putUnicode(value->text);
        memoize(value);
        return true;
    case ValueKind::Bytes:
        return saveBytes(value);
    case ValueKind::Global:
        putGlobal(value->text, value->text2);
        return true;
    default:
        break;
    }
    m_open.insert(value);
    bool ok = true;
    switch (value->kind) {
    case ValueKind::List:
        put(kEmptyList);
        memoize(value); // before the items, so a list may contain itself
        if (!value->items.empty()) ok = saveItems(value->items, depth);
        break;
    case ValueKind::Dict:
        put(kEmptyDict);
        memoize(value);
        if (!value->entries.empty()) ok = saveEntries(value->entries, depth);
        if (ok && value->hasState) { // BUILD on a plain dict updates it; keep what the file did
            ok = save(value->state, depth);
            put(kBuild);
        }
        break;
    case ValueKind::Tuple:
        ok = saveTuple(value, depth);
        break;
    case ValueKind::Set:
    case ValueKind::FrozenSet:
        ok = saveSet(value, depth);
        break;
    case ValueKind::Object:
        ok = saveObject(value, depth);
        break;
    case ValueKind::PersistentId:
        if (value->items.empty()) {
            ok = fail(Status::Corrupt, "a persistent id without its id value", value);
            break;
        }
        ok = save(value->items[0], depth);
        put(kBinPersId);
        if (ok) memoize(value);
        break;
    default:
        ok = fail(Status::Unsupported, "a value kind the pickler does not know", value);
        break;
    }
    m_open.erase(value);
    return ok;
}

} // namespace

Result<std::string> Pickler::dump(const Value* root)
{
    Writer writer;
    writer.out().push_back(kProto);
    writer.out().push_back('\x02');
    if (!writer.save(root, 0)) return writer.error();
    writer.out().push_back(kStop);
    return std::move(writer.out());
}

} // namespace ckpt
