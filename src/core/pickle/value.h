#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "core/pickle/valuelist.h"

namespace ckpt
{

// The value graph a pickle describes, recorded instead of executed. A GLOBAL becomes a Global node
// (module + name), REDUCE/NEWOBJ/INST/OBJ become Object nodes holding the callable, its arguments and
// any BUILD state, SETITEM(S)/APPEND(S) applied to an Object land in its entries/items. Nothing is
// imported or called, so the graph can hold anything a hostile file asks for and stay inert.
enum class ValueKind : uint8_t {
    None,
    Bool,
    Int,    // fits in int64
    BigInt, // LONG payload that does not fit: text holds the little-endian two's complement bytes
    Float,
    String, // text: UTF-8
    Bytes,  // text: raw bytes (BINBYTES, BYTEARRAY8, or SHORT_BINSTRING/BINSTRING kept raw)
    List,
    Tuple,
    Dict,
    Set,
    FrozenSet,
    Global,       // text: module, text2: name (Python-2 names already mapped)
    Object,       // callable(args) [+ BUILD state] [+ items/entries appended]
    PersistentId, // BINPERSID/PERSID: items[0] is the id (a Tuple for torch, a String for PERSID)
};

enum class ObjectHow : uint8_t { Reduce, NewObj, NewObjEx, Inst, Obj };

struct Value {
    ValueKind kind = ValueKind::None;
    ObjectHow how = ObjectHow::Reduce; // Object only
    bool hasState = false;             // Object: BUILD was applied (state may itself be None)
    bool boolean = false;
    bool shared = false; // one node stands for every occurrence of this constant (small int, None, bool, ())
    int64_t integer = 0;
    double real = 0.0;
    std::string text;
    std::string text2;
    const Value* callable = nullptr; // Object: the Global (or other value) that was called
    const Value* args = nullptr;     // Object: the argument tuple
    const Value* kwargs = nullptr;   // Object (NEWOBJ_EX): keyword arguments
    const Value* state = nullptr;    // Object: BUILD state; also for BUILD on non-objects
    ValueList<const Value*> items;   // List, Tuple, Set, FrozenSet, PersistentId; Object: APPENDed items
    ValueList<std::pair<const Value*, const Value*>> entries; // Dict; Object: SETITEMed pairs
    uint64_t offset = 0;                                      // byte offset of the opcode that created it

    bool isString() const { return kind == ValueKind::String; }
    // None, a bool, a number, a string or bytes: a value with no parts.
    bool isScalar() const
    {
        return kind == ValueKind::None || kind == ValueKind::Bool || kind == ValueKind::Int ||
               kind == ValueKind::BigInt || kind == ValueKind::Float || kind == ValueKind::String ||
               kind == ValueKind::Bytes;
    }
    bool isGlobal(const char* module, const char* name) const
    {
        return kind == ValueKind::Global && text == module && text2 == name;
    }
    // For Objects: the Global that was called, or nullptr.
    const Value* callableGlobal() const { return callable && callable->kind == ValueKind::Global ? callable : nullptr; }
    // Dict/Object entry lookup by string key; nullptr if absent.
    const Value* find(const std::string& key) const;
};

// The items of a tuple or list; an empty list for any other value, nullptr included (rebuild arguments read
// positionally from a file that may put anything there).
const ValueList<const Value*>& sequenceItems(const Value* v);

// Owns every Value of one document. Stable addresses, freed together; cycles are harmless. Values are
// constructed in place in blocks that double up to 2 MiB, so a pickle of a million values costs a few
// dozen allocations (std::deque made one 512-byte chunk per two Values). Full-size blocks are 2 MiB
// aligned and offered to the kernel as huge pages: a 40,000-tensor file then takes tens of page faults
// for its values instead of fifteen thousand.
class ValueArena
{
public:
    ValueArena() = default;
    ValueArena(const ValueArena&) = delete;
    ValueArena& operator=(const ValueArena&) = delete;
    ~ValueArena();

    Value* make(ValueKind kind, uint64_t offset = 0)
    {
        if (m_used == m_capacity) grow();
        Value* v = new (m_current + m_used++) Value;
        v->kind = kind;
        v->offset = offset;
        ++m_count;
        return v;
    }
    size_t size() const { return m_count; }

    // Makes room in `list` for at least `needed` elements in the arena's own memory, doubling, so that filling a
    // list costs no heap block (the space a list outgrows stays with the arena: at most as much again).
    template <class T> void reserveList(ValueList<T>& list, size_t needed)
    {
        if (needed <= list.capacity()) return;
        size_t capacity = list.capacity() ? 2 * list.capacity() : needed;
        if (capacity < needed) capacity = needed;
        list.adoptArenaMemory(static_cast<T*>(allocateListMemory(capacity * sizeof(T))), capacity);
    }

private:
    struct Block {
        Value* values;
        size_t capacity;
        bool hugeAligned;
    };
    void grow();
    void* allocateListMemory(size_t bytes);

    std::vector<Block> m_blocks;
    // Element arrays of the lists above, bump-allocated from chunks that double up to kMaxListChunk bytes.
    std::vector<void*> m_listChunks;
    char* m_listNext = nullptr;
    size_t m_listLeft = 0;
    size_t m_listChunkBytes = 0;
    Value* m_current = nullptr;
    size_t m_capacity = 0; // of the current block
    size_t m_used = 0;     // constructed in the current block
    size_t m_count = 0;
};

// Python-like one-line rendering for display ("{'lr': 0.1, ...}"), bounded in length and depth.
std::string renderValue(const Value* value, size_t maxChars = 200);

} // namespace ckpt
