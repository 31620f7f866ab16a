#include "core/pickle/unpickler.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <unordered_map>

#include "core/io/bytereader.h"
#include "core/limits.h"

namespace ckpt
{

namespace
{

// Thrown inside the VM only; unpickle() turns it into an Error value.
struct PickleFailure {
    Error error;
};

// Decimal text to little-endian two's complement bytes (for LONG text values beyond int64).
std::string decimalToLittleEndian(std::string_view digits)
{
    bool negative = !digits.empty() && digits.front() == '-';
    if (negative || (!digits.empty() && digits.front() == '+')) digits.remove_prefix(1);
    std::string magnitude(1, '\0');
    for (char c : digits) {
        unsigned carry = static_cast<unsigned>(c - '0');
        for (char& byte : magnitude) {
            unsigned value = static_cast<unsigned char>(byte) * 10u + carry;
            byte = static_cast<char>(value & 0xFF);
            carry = value >> 8;
        }
        if (carry) magnitude.push_back(static_cast<char>(carry));
    }
    magnitude.push_back('\0'); // room for the sign bit
    if (negative) {
        unsigned carry = 1;
        for (char& byte : magnitude) {
            unsigned value = static_cast<unsigned char>(~static_cast<unsigned char>(byte)) + carry;
            byte = static_cast<char>(value & 0xFF);
            carry = value >> 8;
        }
    }
    return magnitude;
}

// Python's repr-quoted STRING payload ('abc' or "abc" with backslash escapes) to raw bytes.
std::string unquotePythonString(std::string_view text)
{
    if (text.size() >= 2 && (text.front() == '\'' || text.front() == '"') && text.back() == text.front())
        text = text.substr(1, text.size() - 2);
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c != '\\' || i + 1 >= text.size()) {
            out += c;
            continue;
        }
        char e = text[++i];
        switch (e) {
        case 'n':
            out += '\n';
            break;
        case 't':
            out += '\t';
            break;
        case 'r':
            out += '\r';
            break;
        case '\\':
            out += '\\';
            break;
        case '\'':
            out += '\'';
            break;
        case '"':
            out += '"';
            break;
        case 'x':
            if (i + 2 < text.size()) {
                unsigned value = 0;
                std::from_chars(text.data() + i + 1, text.data() + std::min(text.size(), i + 3), value, 16);
                out += static_cast<char>(value);
                i += 2;
            }
            break;
        default:
            out += '\\';
            out += e;
        }
    }
    return out;
}

// Appends the UTF-8 encoding of a code point.
void appendUtf8(std::string& out, uint32_t cp)
{
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// UNICODE (protocol 0) is raw-unicode-escape: \uXXXX and \UXXXXXXXX escapes, other bytes are Latin-1.
std::string decodeRawUnicodeEscape(std::string_view text)
{
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c == '\\' && i + 1 < text.size() && (text[i + 1] == 'u' || text[i + 1] == 'U')) {
            size_t digits = text[i + 1] == 'u' ? 4 : 8;
            if (i + 2 + digits <= text.size()) {
                uint32_t cp = 0;
                auto parsed = std::from_chars(text.data() + i + 2, text.data() + i + 2 + digits, cp, 16);
                if (parsed.ec == std::errc() && parsed.ptr == text.data() + i + 2 + digits) {
                    appendUtf8(out, cp);
                    i += 1 + digits;
                    continue;
                }
            }
        }
        appendUtf8(out, c);
    }
    return out;
}

class Machine
{
public:
    Machine(const uint8_t* data, uint64_t size, ValueArena& arena, uint64_t base, const Progress& progress)
        : m_in(data, size, base), m_arena(arena), m_base(base), m_progress(progress), m_size(size)
    {
    }

    UnpickleResult run();

private:
    [[noreturn]] void fail(Status status, const std::string& detail, uint64_t at) const
    {
        throw PickleFailure{makeError(status, detail, at)};
    }
    [[noreturn]] void truncated() const
    {
        fail(Status::Truncated, "pickle data ends in the middle of an opcode", m_opAt);
    }

    Value* make(ValueKind kind)
    {
        // The arena is the document's: every pickle of one file (a legacy stream has five) shares one budget.
        if (m_arena.size() >= limits::kMaxPickleValues)
            fail(Status::LimitExceeded, "the file's pickles create too many values (limit kMaxPickleValues)", m_opAt);
        return m_arena.make(kind, m_opAt);
    }
    void push(Value* value)
    {
        if (m_stack.size() >= limits::kMaxPickleStackDepth)
            fail(Status::LimitExceeded, "pickle stack deeper than the limit kMaxPickleStackDepth", m_opAt);
        m_stack.push_back(value);
    }
    Value* pop()
    {
        if (m_stack.size() <= currentMarkBase()) fail(Status::Corrupt, "pickle stack underflow", m_opAt);
        Value* top = m_stack.back();
        m_stack.pop_back();
        return top;
    }
    Value* top()
    {
        if (m_stack.size() <= currentMarkBase()) fail(Status::Corrupt, "pickle stack underflow", m_opAt);
        return m_stack.back();
    }
    size_t currentMarkBase() const { return m_marks.empty() ? 0 : m_marks.back(); }
    // Pops the last MARK; the values above it stay on the stack from the returned index on, so callers
    // can take them without a temporary vector, then cut the stack back with dropFrom().
    size_t popMarkBase()
    {
        if (m_marks.empty()) fail(Status::Corrupt, "pickle pops a MARK that was never pushed", m_opAt);
        size_t base = m_marks.back();
        m_marks.pop_back();
        return base;
    }
    void dropFrom(size_t base) { m_stack.resize(base); }
    std::vector<Value*> popMark()
    {
        size_t base = popMarkBase();
        std::vector<Value*> items(m_stack.begin() + static_cast<std::ptrdiff_t>(base), m_stack.end());
        dropFrom(base);
        return items;
    }
    Value* sequenceFromMark(ValueKind kind)
    {
        size_t base = popMarkBase();
        size_t count = m_stack.size() - base;
        if (count > limits::kMaxPickleContainerLength)
            fail(Status::LimitExceeded, "pickle container longer than the limit kMaxPickleContainerLength", m_opAt);
        Value* value = make(kind);
        fillList(value->items, m_stack.begin() + static_cast<std::ptrdiff_t>(base), m_stack.end());
        dropFrom(base);
        return value;
    }
    // Sets `list` to [first, last) in the arena's memory (no heap block per tuple).
    template <class It> void fillList(ValueList<const Value*>& list, It first, It last)
    {
        m_arena.reserveList(list, static_cast<size_t>(last - first));
        list.assign(first, last);
    }

    template <class T> T read()
    {
        T value{};
        if (!m_in.readLE(value)) truncated();
        return value;
    }
    std::string_view readBytes(uint64_t count)
    {
        if (count > limits::kMaxPickleStringBytes)
            fail(Status::LimitExceeded,
                 "pickle string of " + std::to_string(count) + " bytes is over the limit kMaxPickleStringBytes",
                 m_opAt);
        std::string_view bytes;
        if (!m_in.readBytes(count, bytes)) truncated();
        return bytes;
    }
    std::string_view readLine()
    {
        std::string_view line;
        if (!m_in.readLine(line)) truncated();
        return line;
    }

    Value* makeInt(int64_t v)
    {
        if (v >= 0 && v < static_cast<int64_t>(kSharedInts)) {
            Value*& cached = m_sharedInts[static_cast<size_t>(v)];
            if (!cached) {
                cached = make(ValueKind::Int);
                cached->integer = v;
                cached->shared = true;
            }
            return cached;
        }
        Value* value = make(ValueKind::Int);
        value->integer = v;
        return value;
    }
    // None, True, False and () are immutable in Python, so one node each serves the whole pickle.
    Value* sharedConstant(Value*& cached, ValueKind kind, bool boolean = false)
    {
        if (!cached) {
            cached = make(kind);
            cached->boolean = boolean;
            cached->shared = true;
        }
        return cached;
    }
    Value* makeString(ValueKind kind, std::string_view text)
    {
        Value* value = make(kind);
        value->text.assign(text.data(), text.size());
        return value;
    }
    Value* makeLong(std::string_view bytes);
    Value* makeTextInt(std::string_view text);
    Value* makeGlobal(std::string module, std::string name);
    Value* makeSequence(ValueKind kind, const std::vector<Value*>& items);
    Value* makeObject(ObjectHow how, Value* callable, Value* args, Value* kwargs = nullptr);
    Value* reduce(Value* callable, Value* args);
    // `count` values from `values` (key, value, key, value... for setItems), in the arena's memory.
    void setItems(Value* target, Value* const* values, size_t count);
    void appendItems(Value* target, Value* const* values, size_t count);
    // The values above the last MARK go into the object just below it (APPENDS, ADDITEMS, SETITEMS).
    template <class Apply> void intoValueBelowMark(Apply apply)
    {
        size_t base = popMarkBase();
        // The target sits just below the MARK and must belong to the enclosing frame.
        if (base == 0 || base - 1 < currentMarkBase()) fail(Status::Corrupt, "pickle stack underflow", m_opAt);
        apply(m_stack[base - 1], m_stack.data() + base, m_stack.size() - base);
        dropFrom(base);
    }
    // Memo indices are dense in practice (0, 1, 2...), so a vector serves them. The vector may grow only while
    // it stays within twice the entries it holds (plus kMemoDenseSlack): indices that step by 65,535 go to the
    // map, so memory follows the number of entries, never the size of an index.
    void memoPut(uint64_t index, Value* value)
    {
        if (index < m_memo.size()) {
            if (!m_memo[index]) {
                if (m_memoCount >= limits::kMaxPickleMemoSize)
                    fail(Status::LimitExceeded, "pickle memo grows past the limit kMaxPickleMemoSize", m_opAt);
                ++m_memoCount;
            }
            m_memo[index] = value;
            return;
        }
        if (m_memoCount >= limits::kMaxPickleMemoSize)
            fail(Status::LimitExceeded, "pickle memo grows past the limit kMaxPickleMemoSize", m_opAt);
        if (index < 2 * (m_memoCount + 1) + limits::kMemoDenseSlack) {
            if (index == m_memo.size()) { // the usual next index: no fill
                m_memo.push_back(value);
            } else {
                m_memo.resize(index + 1, nullptr);
                m_memo[index] = value;
            }
            ++m_memoCount;
            return;
        }
        if (m_memoSparse.emplace(index, value).second)
            ++m_memoCount;
        else
            m_memoSparse[index] = value;
    }
    Value* memoGet(uint64_t index)
    {
        Value* value = nullptr;
        if (index < m_memo.size()) {
            value = m_memo[index];
        } else {
            auto it = m_memoSparse.find(index);
            if (it != m_memoSparse.end()) value = it->second;
        }
        if (!value)
            fail(Status::Corrupt, "pickle refers to memo entry " + std::to_string(index) + " that was never stored",
                 m_opAt);
        return value;
    }
    // MEMOIZE stores at the next index: the number of entries so far.
    uint64_t memoNextIndex() const { return m_memoCount; }
    uint64_t parseDecimal(std::string_view text)
    {
        uint64_t value = 0;
        auto parsed = std::from_chars(text.data(), text.data() + text.size(), value);
        if (parsed.ec != std::errc()) fail(Status::Corrupt, "pickle has a malformed memo index", m_opAt);
        return value;
    }
    // Python's float() of a protocol-0 FLOAT line, locale-free: strtod reads "0.5" as 0 under a German
    // LC_NUMERIC (which Qt applications inherit from the environment).
    double parseFloatLiteral(std::string_view text)
    {
        while (!text.empty() && (text.back() == ' ' || text.back() == '\r' || text.back() == '\t'))
            text.remove_suffix(1);
        while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
            text.remove_prefix(1);
        bool plus = !text.empty() && text.front() == '+';
        if (plus) text.remove_prefix(1);
        double d = 0.0;
        auto parsed = std::from_chars(text.data(), text.data() + text.size(), d);
        if (text.empty() || (plus && text.front() == '-') || parsed.ec == std::errc::invalid_argument ||
            parsed.ptr != text.data() + text.size())
            fail(Status::Corrupt, "pickle has a malformed float literal", m_opAt);
        // Out of range: Python gives inf (overflow) or 0 (underflow); from_chars leaves `d` alone then.
        if (parsed.ec == std::errc::result_out_of_range) {
            bool negative = text.front() == '-';
            size_t e = text.find_first_of("eE");
            bool overflow = e == std::string_view::npos || (e + 1 < text.size() && text[e + 1] != '-');
            d = overflow ? (negative ? -HUGE_VAL : HUGE_VAL) : (negative ? -0.0 : 0.0);
        }
        return d;
    }
    void step(uint8_t op);

    ByteReader m_in;
    ValueArena& m_arena;
    uint64_t m_base;
    const Progress& m_progress;
    uint64_t m_size;
    uint64_t m_opAt = 0;
    // Small ints, None, booleans and the empty tuple are shared nodes: a state dict repeats 0, small
    // dimensions and False for every tensor, and a node per occurrence was a third of all values.
    static constexpr size_t kSharedInts = 256;
    std::array<Value*, kSharedInts> m_sharedInts{};
    Value* m_none = nullptr;
    Value* m_true = nullptr;
    Value* m_false = nullptr;
    Value* m_emptyTuple = nullptr;
    std::vector<Value*> m_stack;
    std::vector<size_t> m_marks;
    std::vector<Value*> m_memo;
    std::unordered_map<uint64_t, Value*> m_memoSparse;
    size_t m_memoCount = 0;
    UnpickleResult m_result;
    bool m_stopped = false;
};

Value* Machine::makeLong(std::string_view bytes)
{
    if (bytes.size() > limits::kMaxLongBytes)
        fail(Status::LimitExceeded,
             "pickle LONG of " + std::to_string(bytes.size()) + " bytes is over the limit kMaxLongBytes", m_opAt);
    if (bytes.size() <= 8) {
        uint64_t raw = 0;
        for (size_t i = 0; i < bytes.size(); ++i)
            raw |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
        if (!bytes.empty() && bytes.size() < 8 && (static_cast<unsigned char>(bytes.back()) & 0x80))
            raw |= ~uint64_t(0) << (8 * bytes.size()); // sign-extend
        return makeInt(static_cast<int64_t>(raw));
    }
    return makeString(ValueKind::BigInt, bytes);
}

Value* Machine::makeTextInt(std::string_view text)
{
    while (!text.empty() && (text.back() == 'L' || text.back() == ' ' || text.back() == '\r'))
        text.remove_suffix(1);
    if (text == "01") return sharedConstant(m_true, ValueKind::Bool, true); // protocol 0 booleans
    if (text == "00") return sharedConstant(m_false, ValueKind::Bool, false);
    int64_t v = 0;
    auto parsed = std::from_chars(text.data(), text.data() + text.size(), v);
    if (parsed.ec == std::errc() && parsed.ptr == text.data() + text.size()) return makeInt(v);
    for (size_t i = 0; i < text.size(); ++i)
        if (!(std::isdigit(static_cast<unsigned char>(text[i])) || (i == 0 && (text[i] == '-' || text[i] == '+'))))
            fail(Status::Corrupt, "pickle has a malformed integer literal", m_opAt);
    if (text.size() > limits::kMaxLongBytes * 3)
        fail(Status::LimitExceeded, "pickle integer literal is over the limit kMaxLongBytes", m_opAt);
    return makeString(ValueKind::BigInt, decimalToLittleEndian(text));
}

Value* Machine::makeGlobal(std::string module, std::string name)
{
    Value* value = make(ValueKind::Global);
    value->text = mapPython2Module(module);
    value->text2 = std::move(name);
    m_result.globals.push_back(GlobalSeen{value->text, value->text2, m_base + m_opAt});
    return value;
}

Value* Machine::makeSequence(ValueKind kind, const std::vector<Value*>& items)
{
    if (items.size() > limits::kMaxPickleContainerLength)
        fail(Status::LimitExceeded, "pickle container longer than the limit kMaxPickleContainerLength", m_opAt);
    Value* value = make(kind);
    fillList(value->items, items.begin(), items.end());
    return value;
}

Value* Machine::makeObject(ObjectHow how, Value* callable, Value* args, Value* kwargs)
{
    Value* value = make(ValueKind::Object);
    value->how = how;
    value->callable = callable;
    value->args = args;
    value->kwargs = kwargs;
    return value;
}

// REDUCE records the call. Only `_codecs.encode(text, 'latin1')`, which is how protocol 2 spells a bytes
// literal, is folded into a Bytes value: it is data, and folding it needs no code from the file.
Value* Machine::reduce(Value* callable, Value* args)
{
    if (callable->isGlobal("_codecs", "encode") && args->kind == ValueKind::Tuple && args->items.size() == 2 &&
        args->items[0]->kind == ValueKind::String && args->items[1]->kind == ValueKind::String &&
        (args->items[1]->text == "latin1" || args->items[1]->text == "latin-1")) {
        const std::string& text = args->items[0]->text;
        std::string bytes;
        bool latin1 = true;
        for (size_t i = 0; i < text.size() && latin1;) {
            unsigned char c = static_cast<unsigned char>(text[i]);
            if (c < 0x80) {
                bytes += static_cast<char>(c);
                i += 1;
            } else if ((c & 0xE0) == 0xC0 && i + 1 < text.size()) {
                uint32_t cp = ((c & 0x1F) << 6) | (static_cast<unsigned char>(text[i + 1]) & 0x3F);
                latin1 = cp <= 0xFF;
                bytes += static_cast<char>(cp);
                i += 2;
            } else {
                latin1 = false;
            }
        }
        if (latin1) return makeString(ValueKind::Bytes, bytes);
    }
    return makeObject(ObjectHow::Reduce, callable, args);
}

void Machine::setItems(Value* target, Value* const* values, size_t count)
{
    if (count % 2 != 0) fail(Status::Corrupt, "pickle SETITEMS has an odd number of values", m_opAt);
    if (target->kind != ValueKind::Dict && target->kind != ValueKind::Object)
        fail(Status::Corrupt, "pickle sets items on a value that is not a dict or object", m_opAt);
    if (target->entries.size() + count / 2 > limits::kMaxPickleContainerLength)
        fail(Status::LimitExceeded, "pickle dict longer than the limit kMaxPickleContainerLength", m_opAt);
    m_arena.reserveList(target->entries, target->entries.size() + count / 2);
    for (size_t i = 0; i < count; i += 2)
        target->entries.push_back({values[i], values[i + 1]});
}

void Machine::appendItems(Value* target, Value* const* values, size_t count)
{
    if (target->kind != ValueKind::List && target->kind != ValueKind::Object && target->kind != ValueKind::Set)
        fail(Status::Corrupt, "pickle appends to a value that is not a list, set or object", m_opAt);
    if (target->items.size() + count > limits::kMaxPickleContainerLength)
        fail(Status::LimitExceeded, "pickle list longer than the limit kMaxPickleContainerLength", m_opAt);
    m_arena.reserveList(target->items, target->items.size() + count);
    for (size_t i = 0; i < count; ++i)
        target->items.push_back(values[i]);
}

UnpickleResult Machine::run()
{
    constexpr uint64_t kProgressEvery = 1 << 16;
    uint64_t nextTick = kProgressEvery;
    while (!m_stopped) {
        m_opAt = m_in.position();
        if (m_opAt >= nextTick) {
            nextTick = m_opAt + kProgressEvery;
            if (m_progress.cancelled()) throw PickleFailure{makeError(Status::Cancelled, "cancelled", m_base + m_opAt)};
            m_progress.tick(m_opAt, m_size);
        }
        uint8_t op = 0;
        if (!m_in.readU8(op)) fail(Status::Truncated, "pickle data ends before its STOP opcode", m_opAt);
        step(op);
    }
    m_result.end = m_in.position();
    return std::move(m_result);
}

void Machine::step(uint8_t op)
{
    switch (op) {
    // Framing and control
    case 0x80: { // PROTO
        uint8_t protocol = read<uint8_t>();
        if (protocol > 5)
            fail(Status::Unsupported, "pickle protocol " + std::to_string(protocol) + " is unknown", m_opAt);
        m_result.protocol = std::max<int>(m_result.protocol, protocol);
        break;
    }
    case 0x95:
        read<uint64_t>();
        break; // FRAME: a framing hint, the opcodes follow inline
    case '.':  // STOP
        m_result.root = pop();
        m_stopped = true;
        break;
    case '(': // MARK
        if (m_marks.size() >= limits::kMaxPickleMarkDepth)
            fail(Status::LimitExceeded, "pickle MARKs nest deeper than the limit kMaxPickleMarkDepth", m_opAt);
        m_marks.push_back(m_stack.size());
        break;
    case '0':
        pop();
        break; // POP
    case '1':
        popMark();
        break; // POP_MARK
    case '2':
        push(top());
        break; // DUP: shares the node, copies nothing
    case 0x98:
        break; // READONLY_BUFFER: no-op on an inert value
    case 0x97: // NEXT_BUFFER
        fail(Status::Unsupported, "pickle uses out-of-band buffers (protocol 5 NEXT_BUFFER)", m_opAt);
    case 0x82:
    case 0x83:
    case 0x84: // EXT1/2/4
        fail(Status::Unsupported, "pickle uses the copyreg extension registry (EXT opcodes)", m_opAt);

    // Constants
    case 'N':
        push(sharedConstant(m_none, ValueKind::None));
        break;
    case 0x88:
        push(sharedConstant(m_true, ValueKind::Bool, true));
        break; // NEWTRUE
    case 0x89:
        push(sharedConstant(m_false, ValueKind::Bool, false));
        break; // NEWFALSE
    case 'J':
        push(makeInt(read<int32_t>()));
        break; // BININT
    case 'K':
        push(makeInt(read<uint8_t>()));
        break; // BININT1
    case 'M':
        push(makeInt(read<uint16_t>()));
        break; // BININT2
    case 0x8a:
        push(makeLong(readBytes(read<uint8_t>())));
        break;   // LONG1
    case 0x8b: { // LONG4
        int32_t length = read<int32_t>();
        if (length < 0) fail(Status::Corrupt, "pickle LONG4 has a negative length", m_opAt);
        push(makeLong(readBytes(static_cast<uint64_t>(length))));
        break;
    }
    case 'I':
    case 'L':
        push(makeTextInt(readLine()));
        break;  // INT / LONG (text)
    case 'G': { // BINFLOAT: big-endian double
        std::string_view bytes = readBytes(8);
        uint64_t bits = 0;
        for (unsigned char c : bytes)
            bits = (bits << 8) | c;
        Value* value = make(ValueKind::Float);
        std::memcpy(&value->real, &bits, sizeof bits);
        push(value);
        break;
    }
    case 'F': { // FLOAT (text)
        Value* value = make(ValueKind::Float);
        value->real = parseFloatLiteral(readLine());
        push(value);
        break;
    }

    // Strings and bytes
    case 'X':
        push(makeString(ValueKind::String, readBytes(read<uint32_t>())));
        break; // BINUNICODE
    case 0x8c:
        push(makeString(ValueKind::String, readBytes(read<uint8_t>())));
        break; // SHORT_BINUNICODE
    case 0x8d:
        push(makeString(ValueKind::String, readBytes(read<uint64_t>())));
        break; // BINUNICODE8
    case 'V':
        push(makeString(ValueKind::String, decodeRawUnicodeEscape(readLine())));
        break; // UNICODE
    // Python-2 str: torch.load decodes it as UTF-8 text.
    case 'U':
        push(makeString(ValueKind::String, readBytes(read<uint8_t>())));
        break; // SHORT_BINSTRING
    case 'T':
        push(makeString(ValueKind::String, readBytes(read<uint32_t>())));
        break; // BINSTRING
    case 'S':
        push(makeString(ValueKind::String, unquotePythonString(readLine())));
        break; // STRING
    case 'B':
        push(makeString(ValueKind::Bytes, readBytes(read<uint32_t>())));
        break; // BINBYTES
    case 'C':
        push(makeString(ValueKind::Bytes, readBytes(read<uint8_t>())));
        break; // SHORT_BINBYTES
    case 0x8e:
    case 0x96:
        push(makeString(ValueKind::Bytes, readBytes(read<uint64_t>())));
        break; // BINBYTES8, BYTEARRAY8

    // Containers
    case ']':
        push(make(ValueKind::List));
        break; // EMPTY_LIST
    case '}':
        push(make(ValueKind::Dict));
        break; // EMPTY_DICT
    case ')':
        push(sharedConstant(m_emptyTuple, ValueKind::Tuple));
        break; // EMPTY_TUPLE
    case 0x8f:
        push(make(ValueKind::Set));
        break; // EMPTY_SET
    case 'l':
        push(sequenceFromMark(ValueKind::List));
        break; // LIST
    case 't':
        push(sequenceFromMark(ValueKind::Tuple));
        break; // TUPLE
    case 0x91:
        push(sequenceFromMark(ValueKind::FrozenSet));
        break; // FROZENSET
    case 0x85:
    case 0x86:
    case 0x87: { // TUPLE1/2/3
        size_t count = op - 0x84u;
        Value* tuple = make(ValueKind::Tuple);
        m_arena.reserveList(tuple->items, count);
        tuple->items.resize(count);
        for (size_t i = count; i-- > 0;)
            tuple->items[i] = pop();
        push(tuple);
        break;
    }
    case 'd': { // DICT
        size_t base = popMarkBase();
        Value* dict = make(ValueKind::Dict);
        setItems(dict, m_stack.data() + base, m_stack.size() - base);
        dropFrom(base);
        push(dict);
        break;
    }
    case 'a': { // APPEND
        Value* item = pop();
        appendItems(top(), &item, 1);
        break;
    }
    case 'e':    // APPENDS
    case 0x90: { // ADDITEMS
        intoValueBelowMark(
            [this](Value* target, Value* const* values, size_t count) { appendItems(target, values, count); });
        break;
    }
    case 's': { // SETITEM
        Value* pair[2];
        pair[1] = pop();
        pair[0] = pop();
        setItems(top(), pair, 2);
        break;
    }
    case 'u': { // SETITEMS
        if (!m_marks.empty() && (m_stack.size() - m_marks.back()) % 2 != 0)
            fail(Status::Corrupt, "pickle SETITEMS has an odd number of values", m_opAt);
        intoValueBelowMark(
            [this](Value* target, Value* const* values, size_t count) { setItems(target, values, count); });
        break;
    }

    // Memo
    case 'q':
        memoPut(read<uint8_t>(), top());
        break; // BINPUT
    case 'r':
        memoPut(read<uint32_t>(), top());
        break; // LONG_BINPUT
    case 'p':
        memoPut(parseDecimal(readLine()), top());
        break; // PUT
    case 0x94:
        memoPut(memoNextIndex(), top()); // MEMOIZE: like Python, at len(memo), the count of entries
        break;                           // MEMOIZE
    case 'h':
        push(memoGet(read<uint8_t>()));
        break; // BINGET
    case 'j':
        push(memoGet(read<uint32_t>()));
        break; // LONG_BINGET
    case 'g':
        push(memoGet(parseDecimal(readLine())));
        break; // GET

    // Globals and objects: recorded, never resolved
    case 'c': { // GLOBAL
        std::string module(readLine());
        std::string name(readLine());
        push(makeGlobal(std::move(module), std::move(name)));
        break;
    }
    case 0x93: { // STACK_GLOBAL
        Value* name = pop();
        Value* module = pop();
        if (!module->isString() || !name->isString())
            fail(Status::Corrupt, "pickle STACK_GLOBAL operands are not strings", m_opAt);
        push(makeGlobal(module->text, name->text));
        break;
    }
    case 'R': { // REDUCE
        Value* args = pop();
        Value* callable = pop();
        push(reduce(callable, args));
        break;
    }
    case 0x81: { // NEWOBJ
        Value* args = pop();
        Value* cls = pop();
        push(makeObject(ObjectHow::NewObj, cls, args));
        break;
    }
    case 0x92: { // NEWOBJ_EX
        Value* kwargs = pop();
        Value* args = pop();
        Value* cls = pop();
        push(makeObject(ObjectHow::NewObjEx, cls, args, kwargs));
        break;
    }
    case 'i': { // INST
        std::string module(readLine());
        std::string name(readLine());
        Value* cls = makeGlobal(std::move(module), std::move(name));
        Value* args = makeSequence(ValueKind::Tuple, popMark());
        push(makeObject(ObjectHow::Inst, cls, args));
        break;
    }
    case 'o': { // OBJ
        std::vector<Value*> items = popMark();
        if (items.empty()) fail(Status::Corrupt, "pickle OBJ without a class", m_opAt);
        Value* cls = items.front();
        items.erase(items.begin());
        push(makeObject(ObjectHow::Obj, cls, makeSequence(ValueKind::Tuple, items)));
        break;
    }
    case 'b': { // BUILD
        Value* state = pop();
        Value* target = top();
        if (target->shared) { // never change a shared constant: the BUILD applies to this occurrence only
            Value* copy = make(target->kind);
            copy->integer = target->integer;
            copy->boolean = target->boolean;
            m_stack.back() = target = copy;
        }
        if (target->hasState) m_result.replacedStates.emplace_back(target, target->state);
        target->state = state;
        target->hasState = true;
        break;
    }
    case 'Q': { // BINPERSID
        Value* pid = pop();
        Value* value = make(ValueKind::PersistentId);
        fillList(value->items, &pid, &pid + 1);
        m_result.persistentIds.push_back(value);
        push(value);
        break;
    }
    case 'P': { // PERSID
        Value* pid = makeString(ValueKind::String, readLine());
        Value* value = make(ValueKind::PersistentId);
        fillList(value->items, &pid, &pid + 1);
        m_result.persistentIds.push_back(value);
        push(value);
        break;
    }
    default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        fail(Status::Corrupt, std::string("unknown pickle opcode ") + hex, m_opAt);
    }
    }
}

} // namespace

std::string mapPython2Module(const std::string& module)
{
    if (module == "__builtin__" || module == "exceptions") return "builtins";
    if (module == "copy_reg") return "copyreg";
    if (module == "torch.tensor") return "torch._tensor";
    if (module == "cPickle") return "pickle";
    if (module == "UserDict") return "collections";
    return module;
}

Result<UnpickleResult> unpickle(const uint8_t* data, uint64_t size, ValueArena& arena, uint64_t baseOffset,
                                const Progress& progress)
{
    try {
        Machine machine(data, size, arena, baseOffset, progress);
        return machine.run();
    } catch (const PickleFailure& failure) {
        Error error = failure.error;
        if (error.status != Status::Cancelled) error.offset += baseOffset;
        return error;
    } catch (const std::bad_alloc&) {
        return makeError(Status::LimitExceeded, "pickle needs more memory than is available", baseOffset);
    }
}

} // namespace ckpt
