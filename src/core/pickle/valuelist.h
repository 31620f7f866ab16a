#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <iterator>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace ckpt
{

// The items or entries of one Value: a vector of pointers (or pointer pairs) in 16 bytes instead of 24, whose
// elements live either in the document's ValueArena (everything the unpickler builds: a 40,000-tensor state dict
// makes 200,000 small tuples, and one heap block each was most of the time spent opening it) or on the heap (values
// that other code builds or changes later through push_back and friends, which work as on a std::vector).
// A copy is always on the heap, so it never points into an arena it does not belong to.
template <class T> class ValueList
{
    static_assert(std::is_trivially_destructible_v<T>, "elements are never destroyed one by one");

public:
    using value_type = T;
    using iterator = T*;
    using const_iterator = const T*;

    ValueList() = default;
    ValueList(std::initializer_list<T> init) { assign(init.begin(), init.end()); }
    explicit ValueList(const std::vector<T>& items) { assign(items.begin(), items.end()); }
    ValueList(const ValueList& other) { assign(other.begin(), other.end()); }
    ValueList(ValueList&& other) noexcept { swap(other); }
    ~ValueList() { release(); }

    ValueList& operator=(const ValueList& other)
    {
        if (this != &other) assign(other.begin(), other.end());
        return *this;
    }
    ValueList& operator=(ValueList&& other) noexcept
    {
        ValueList moved(std::move(other));
        swap(moved);
        return *this;
    }
    ValueList& operator=(std::initializer_list<T> init)
    {
        assign(init.begin(), init.end());
        return *this;
    }
    ValueList& operator=(const std::vector<T>& items)
    {
        assign(items.begin(), items.end());
        return *this;
    }
    explicit operator std::vector<T>() const { return std::vector<T>(begin(), end()); }

    size_t size() const { return m_size; }
    bool empty() const { return m_size == 0; }
    T* begin() { return m_data; }
    T* end() { return m_data + m_size; }
    const T* begin() const { return m_data; }
    const T* end() const { return m_data + m_size; }
    T* data() { return m_data; }
    const T* data() const { return m_data; }
    T& operator[](size_t i) { return m_data[i]; }
    const T& operator[](size_t i) const { return m_data[i]; }
    T& front() { return m_data[0]; }
    const T& front() const { return m_data[0]; }
    T& back() { return m_data[m_size - 1]; }
    const T& back() const { return m_data[m_size - 1]; }

    void clear() { m_size = 0; }
    void reserve(size_t capacity)
    {
        if (capacity > this->capacity()) moveTo(allocateHeap(capacity), capacity, true);
    }
    void push_back(const T& item)
    {
        const T copy = item; // `item` may be an element of this list, which reserve() moves
        if (m_size == capacity()) reserve(grownCapacity(m_size + 1));
        new (m_data + m_size) T(copy);
        ++m_size;
    }
    template <class... Args> T& emplace_back(Args&&... args)
    {
        T item(std::forward<Args>(args)...);
        push_back(item);
        return back();
    }
    void resize(size_t size, const T& fill = T())
    {
        reserve(size);
        for (size_t i = m_size; i < size; ++i)
            new (m_data + i) T(fill);
        m_size = static_cast<uint32_t>(size);
    }
    template <class It> void assign(It first, It last)
    {
        const size_t count = static_cast<size_t>(std::distance(first, last));
        m_size = 0;
        reserve(count);
        for (T* out = m_data; first != last; ++first, ++out)
            new (out) T(*first);
        m_size = static_cast<uint32_t>(count);
    }
    // Inserts [first, last) before `at` (an iterator of this list).
    template <class It> T* insert(const T* at, It first, It last)
    {
        const size_t index = static_cast<size_t>(at - m_data);
        const size_t count = static_cast<size_t>(std::distance(first, last));
        reserve(grownCapacity(m_size + count));
        for (size_t i = m_size; i-- > index;)
            new (m_data + i + count) T(m_data[i]);
        for (size_t i = 0; i < count; ++i, ++first)
            new (m_data + index + i) T(*first);
        m_size = static_cast<uint32_t>(m_size + count);
        return m_data + index;
    }
    T* insert(const T* at, const T& item)
    {
        const T copy = item; // as in push_back
        return insert(at, &copy, &copy + 1);
    }
    T* erase(const T* at)
    {
        const size_t index = static_cast<size_t>(at - m_data);
        for (size_t i = index; i + 1 < m_size; ++i)
            new (m_data + i) T(m_data[i + 1]);
        --m_size;
        return m_data + index;
    }

    // For ValueArena: the list's elements move to `memory` (room for `capacity`, owned by the arena).
    void adoptArenaMemory(T* memory, size_t capacity) { moveTo(memory, capacity, false); }
    size_t capacity() const { return m_capacityAndHeap & ~kHeapBit; }

private:
    // Up to 2^31 - 1 elements (the pickle limit kMaxPickleContainerLength is far below).
    static constexpr size_t kMaxElements = (size_t(1) << 31) - 1;

    static size_t grownCapacity(size_t needed)
    {
        size_t capacity = 4;
        while (capacity < needed)
            capacity *= 2;
        return capacity;
    }
    static T* allocateHeap(size_t capacity)
    {
        if (capacity > kMaxElements) throw std::bad_alloc();
        void* memory = std::malloc(capacity * sizeof(T));
        if (!memory) throw std::bad_alloc();
        return static_cast<T*>(memory);
    }
    void moveTo(T* memory, size_t capacity, bool heap)
    {
        for (size_t i = 0; i < m_size; ++i)
            new (memory + i) T(m_data[i]);
        release();
        m_data = memory;
        m_capacityAndHeap = static_cast<uint32_t>(capacity) | (heap ? kHeapBit : 0);
    }
    void release()
    {
        if (heap()) std::free(m_data);
        m_data = nullptr;
        m_capacityAndHeap = 0;
    }
    void swap(ValueList& other) noexcept
    {
        std::swap(m_data, other.m_data);
        std::swap(m_size, other.m_size);
        std::swap(m_capacityAndHeap, other.m_capacityAndHeap);
    }

    T* m_data = nullptr;
    uint32_t m_size = 0;
    // The capacity, and in the top bit whether m_data came from malloc (else from an arena, or it is nullptr): 16
    // bytes in all, not 24.
    uint32_t m_capacityAndHeap = 0;
    static constexpr uint32_t kHeapBit = uint32_t(1) << 31;
    bool heap() const { return (m_capacityAndHeap & kHeapBit) != 0; }
};

} // namespace ckpt
