#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

namespace ckpt
{

// A hash table from string views (the caller keeps the text alive) to int32 values, in one flat array with
// linear probing. The key aligner looks up hundreds of thousands of key suffixes per 40,000-key list; in
// std::unordered_map each lookup walked bucket -> node -> text, three cache misses, and that was half its time.
class FlatStringIndex
{
public:
    explicit FlatStringIndex(size_t expected = 0) { rehash(capacityFor(expected)); }

    // The value slot of `key`, holding `value` when the key was new; the flag says whether it was inserted.
    std::pair<int32_t*, bool> tryEmplace(std::string_view key, int32_t value)
    {
        if ((m_size + 1) * 2 > m_slots.size()) rehash(m_slots.size() * 2);
        size_t hash = std::hash<std::string_view>{}(key);
        Slot& slot = m_slots[probe(key, hash)];
        if (slot.used) return {&slot.value, false};
        slot = Slot{key, hash, value, true};
        ++m_size;
        return {&slot.value, true};
    }

    // The value of `key`, or nullptr.
    const int32_t* find(std::string_view key) const
    {
        const Slot& slot = m_slots[probe(key, std::hash<std::string_view>{}(key))];
        return slot.used ? &slot.value : nullptr;
    }

    size_t size() const { return m_size; }

private:
    struct Slot {
        std::string_view key;
        size_t hash = 0;
        int32_t value = 0;
        bool used = false;
    };

    // At most half full, so probe runs stay short.
    static size_t capacityFor(size_t expected)
    {
        size_t capacity = 16;
        while (capacity < expected * 2)
            capacity *= 2;
        return capacity;
    }

    // The slot holding `key`, or the empty slot where it would go.
    size_t probe(std::string_view key, size_t hash) const
    {
        const size_t mask = m_slots.size() - 1;
        for (size_t i = hash & mask;; i = (i + 1) & mask) {
            const Slot& slot = m_slots[i];
            if (!slot.used || (slot.hash == hash && slot.key == key)) return i;
        }
    }

    void rehash(size_t capacity)
    {
        std::vector<Slot> old = std::move(m_slots);
        m_slots.assign(capacity, Slot{});
        for (const Slot& slot : old)
            if (slot.used) m_slots[probe(slot.key, slot.hash)] = slot;
    }

    std::vector<Slot> m_slots;
    size_t m_size = 0;
};

} // namespace ckpt
