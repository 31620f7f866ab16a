#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

namespace ckpt
{

// Entry numbers by name, for readers that keep the names themselves (a JSON header's tensor names, in a TextPool):
// one flat array of 8-byte slots (an entry number and 32 bits of its name's hash), at most half full, linear
// probing. A std::unordered_map<std::string, size_t> cost a node, a second copy of every name and three cache
// misses per lookup.
class FlatNameIndex
{
public:
    // The entry named `name` and false, or `next` (now that name's entry) and true. `nameOf(entry)` gives the name
    // of an entry already in the index; it is not asked for `next`, whose name the caller stores afterwards.
    template <class NameOf> std::pair<int32_t, bool> findOrAdd(std::string_view name, int32_t next, NameOf&& nameOf)
    {
        if ((m_size + 1) * 2 > m_slots.size()) rehash(m_slots.empty() ? 64 : m_slots.size() * 2);
        const auto hash = static_cast<uint32_t>(std::hash<std::string_view>{}(name));
        const size_t mask = m_slots.size() - 1;
        for (size_t i = hash & mask;; i = (i + 1) & mask) {
            Slot& slot = m_slots[i];
            if (slot.entry < 0) {
                slot = Slot{next, hash};
                ++m_size;
                return {next, true};
            }
            if (slot.hash == hash && nameOf(slot.entry) == name) return {slot.entry, false};
        }
    }

    // The entry named `name`, or -1.
    template <class NameOf> int32_t find(std::string_view name, NameOf&& nameOf) const
    {
        if (m_slots.empty()) return -1;
        const auto hash = static_cast<uint32_t>(std::hash<std::string_view>{}(name));
        const size_t mask = m_slots.size() - 1;
        for (size_t i = hash & mask;; i = (i + 1) & mask) {
            const Slot& slot = m_slots[i];
            if (slot.entry < 0) return -1;
            if (slot.hash == hash && nameOf(slot.entry) == name) return slot.entry;
        }
    }

    // Room for `count` entries without growing.
    void reserve(size_t count)
    {
        size_t capacity = 64;
        while (capacity < count * 2)
            capacity *= 2;
        if (capacity > m_slots.size()) rehash(capacity);
    }

    void clear()
    {
        m_slots.clear();
        m_size = 0;
    }

private:
    struct Slot {
        int32_t entry = -1; // -1: empty
        uint32_t hash = 0;
    };

    void rehash(size_t capacity)
    {
        std::vector<Slot> old = std::move(m_slots);
        m_slots.assign(capacity, Slot{});
        const size_t mask = capacity - 1;
        for (const Slot& slot : old) {
            if (slot.entry < 0) continue;
            size_t i = slot.hash & mask;
            while (m_slots[i].entry >= 0)
                i = (i + 1) & mask;
            m_slots[i] = slot;
        }
    }

    std::vector<Slot> m_slots;
    size_t m_size = 0;
};

} // namespace ckpt
