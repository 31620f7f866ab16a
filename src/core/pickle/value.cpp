#include "core/pickle/value.h"

#include <sys/mman.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace ckpt
{

namespace
{

constexpr size_t kFirstBlockValues = 64;
constexpr size_t kHugePageBytes = size_t(2) << 20;
constexpr size_t kMaxBlockValues = kHugePageBytes / sizeof(Value);
constexpr size_t kFirstListChunk = size_t(4) << 10;
constexpr size_t kMaxListChunk = size_t(1) << 20;

} // namespace

ValueArena::~ValueArena()
{
    for (size_t b = 0; b < m_blocks.size(); ++b) {
        const Block& block = m_blocks[b];
        size_t constructed = b + 1 == m_blocks.size() ? m_used : block.capacity;
        for (size_t i = 0; i < constructed; ++i)
            block.values[i].~Value();
        if (block.hugeAligned)
            ::operator delete(block.values, std::align_val_t(kHugePageBytes));
        else
            ::operator delete(block.values);
    }
    for (void* chunk : m_listChunks)
        std::free(chunk);
}

void* ValueArena::allocateListMemory(size_t bytes)
{
    bytes = (bytes + 7) & ~size_t(7); // pointers and pointer pairs: 8-byte alignment
    if (bytes > m_listLeft) {
        // A request larger than a chunk gets a chunk of its own; the current chunk's rest stays usable.
        m_listChunkBytes = m_listChunkBytes ? std::min(2 * m_listChunkBytes, kMaxListChunk) : kFirstListChunk;
        size_t chunkBytes = std::max(bytes, m_listChunkBytes);
        m_listChunks.reserve(m_listChunks.size() + 1); // so that recording the chunk cannot throw and leak it
        void* chunk = std::malloc(chunkBytes);
        if (!chunk) throw std::bad_alloc();
        m_listChunks.push_back(chunk);
        if (chunkBytes > m_listChunkBytes) return chunk;
        m_listNext = static_cast<char*>(chunk);
        m_listLeft = chunkBytes;
    }
    void* memory = m_listNext;
    m_listNext += bytes;
    m_listLeft -= bytes;
    return memory;
}

void ValueArena::grow()
{
    size_t capacity = m_blocks.empty() ? kFirstBlockValues : std::min(m_capacity * 2, kMaxBlockValues);
    bool huge = capacity == kMaxBlockValues;
    Block block{nullptr, capacity, huge};
    if (huge) {
        block.values = static_cast<Value*>(::operator new(kHugePageBytes, std::align_val_t(kHugePageBytes)));
        ::madvise(block.values, kHugePageBytes, MADV_HUGEPAGE); // a hint: without THP it changes nothing
    } else {
        block.values = static_cast<Value*>(::operator new(capacity * sizeof(Value)));
    }
    m_blocks.push_back(block);
    m_current = block.values;
    m_capacity = capacity;
    m_used = 0;
}

const Value* Value::find(const std::string& key) const
{
    for (const auto& [k, v] : entries)
        if (k && k->kind == ValueKind::String && k->text == key) return v;
    return nullptr;
}

const ValueList<const Value*>& sequenceItems(const Value* v)
{
    static const ValueList<const Value*> empty;
    return v && (v->kind == ValueKind::Tuple || v->kind == ValueKind::List) ? v->items : empty;
}

namespace
{

// Python's repr of a float: shortest round-trip digits, always with a '.' or an exponent.
std::string floatRepr(double value)
{
    if (std::isnan(value)) return "nan";
    if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
    char buffer[64];
    auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    std::string text(buffer, result.ptr);
    if (text.find_first_of(".en") == std::string::npos) text += ".0";
    return text;
}

std::string quote(const std::string& text)
{
    std::string out = "'";
    for (char c : text) {
        if (c == '\'' || c == '\\') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out + "'";
}

class Renderer
{
public:
    explicit Renderer(size_t maxChars) : m_max(maxChars) {}

    void render(const Value* v, int depth)
    {
        if (full()) return;
        if (!v) {
            m_out += "?";
            return;
        }
        if (depth > 6) {
            m_out += "...";
            return;
        }
        switch (v->kind) {
        case ValueKind::None:
            m_out += "None";
            break;
        case ValueKind::Bool:
            m_out += v->boolean ? "True" : "False";
            break;
        case ValueKind::Int:
            m_out += std::to_string(v->integer);
            break;
        case ValueKind::BigInt:
            m_out += "<" + std::to_string(v->text.size()) + "-byte integer>";
            break;
        case ValueKind::Float:
            m_out += floatRepr(v->real);
            break;
        case ValueKind::String:
            m_out += quote(v->text);
            break;
        case ValueKind::Bytes:
            m_out += "b<" + std::to_string(v->text.size()) + " bytes>";
            break;
        case ValueKind::List:
            sequence("[", v->items, "]", depth);
            break;
        case ValueKind::Tuple:
            sequence("(", v->items, v->items.size() == 1 ? ",)" : ")", depth);
            break;
        case ValueKind::Set:
            sequence("{", v->items, "}", depth);
            break;
        case ValueKind::FrozenSet:
            sequence("frozenset({", v->items, "})", depth);
            break;
        case ValueKind::Dict:
            mapping("{", v->entries, "}", depth);
            break;
        case ValueKind::Global:
            m_out += v->text + "." + v->text2;
            break;
        case ValueKind::PersistentId:
            m_out += "<persistent id>";
            break;
        case ValueKind::Object:
            object(v, depth);
            break;
        }
    }
    std::string take()
    {
        if (m_out.size() > m_max) m_out = m_out.substr(0, m_max - 3) + "...";
        return std::move(m_out);
    }

private:
    bool full() const { return m_out.size() > m_max; }
    void sequence(const char* open, const ValueList<const Value*>& items, const char* close, int depth)
    {
        m_out += open;
        for (size_t i = 0; i < items.size() && !full(); ++i) {
            if (i) m_out += ", ";
            render(items[i], depth + 1);
        }
        m_out += close;
    }
    void mapping(const char* open, const ValueList<std::pair<const Value*, const Value*>>& entries, const char* close,
                 int depth)
    {
        m_out += open;
        for (size_t i = 0; i < entries.size() && !full(); ++i) {
            if (i) m_out += ", ";
            render(entries[i].first, depth + 1);
            m_out += ": ";
            render(entries[i].second, depth + 1);
        }
        m_out += close;
    }
    void object(const Value* v, int depth)
    {
        const Value* cls = v->callableGlobal();
        std::string name = cls ? cls->text2 : "object";
        if (cls && cls->text == "torch" && cls->text2 == "device" && v->args) {
            m_out += "device(";
            for (size_t i = 0; i < v->args->items.size(); ++i) {
                if (i) m_out += ", ";
                render(v->args->items[i], depth + 1);
            }
            m_out += ")";
            return;
        }
        m_out += name + "(";
        bool first = true;
        if (v->state && v->state->kind == ValueKind::Dict) {
            for (const auto& [key, value] : v->state->entries) {
                if (full()) break;
                if (!first) m_out += ", ";
                first = false;
                m_out += key && key->isString() ? key->text : "?";
                m_out += "=";
                render(value, depth + 1);
            }
        } else if (v->args) {
            for (size_t i = 0; i < v->args->items.size() && !full(); ++i) {
                if (!first) m_out += ", ";
                first = false;
                render(v->args->items[i], depth + 1);
            }
        }
        if (!v->entries.empty()) {
            if (!first) m_out += ", ";
            mapping("{", v->entries, "}", depth);
        }
        m_out += ")";
    }

    size_t m_max;
    std::string m_out;
};

} // namespace

std::string renderValue(const Value* value, size_t maxChars)
{
    Renderer renderer(maxChars);
    renderer.render(value, 0);
    return renderer.take();
}

} // namespace ckpt
