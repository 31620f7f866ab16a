#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace ckpt
{

// Bounds-checked little-endian reads over a byte span. Every read reports failure instead of reading
// past the end; callers turn a failed read into Status::Truncated with the offset.
class ByteReader
{
public:
    ByteReader(const uint8_t* data, uint64_t size, uint64_t base = 0) : m_data(data), m_size(size), m_base(base) {}

    uint64_t position() const { return m_pos; }
    uint64_t fileOffset() const { return m_base + m_pos; } // position in the whole file, for errors
    uint64_t remaining() const { return m_size - m_pos; }
    bool atEnd() const { return m_pos >= m_size; }
    bool seek(uint64_t position)
    {
        if (position > m_size) return false;
        m_pos = position;
        return true;
    }
    bool skip(uint64_t count)
    {
        if (count > remaining()) return false;
        m_pos += count;
        return true;
    }
    const uint8_t* current() const { return m_data + m_pos; }

    template <class T> bool readLE(T& out)
    {
        if (sizeof(T) > remaining()) return false;
        uint64_t value = 0;
        for (size_t i = 0; i < sizeof(T); ++i)
            value |= static_cast<uint64_t>(m_data[m_pos + i]) << (8 * i);
        out = static_cast<T>(value);
        m_pos += sizeof(T);
        return true;
    }
    bool readU8(uint8_t& out) { return readLE(out); }
    bool readBytes(uint64_t count, std::string_view& out)
    {
        if (count > remaining()) return false;
        out = std::string_view(reinterpret_cast<const char*>(m_data + m_pos), count);
        m_pos += count;
        return true;
    }
    // A line ending in '\n' (not included), as text pickle opcodes use.
    bool readLine(std::string_view& out)
    {
        const void* nl = std::memchr(m_data + m_pos, '\n', remaining());
        if (!nl) return false;
        uint64_t length = static_cast<const uint8_t*>(nl) - (m_data + m_pos);
        out = std::string_view(reinterpret_cast<const char*>(m_data + m_pos), length);
        m_pos += length + 1;
        return true;
    }

private:
    const uint8_t* m_data;
    uint64_t m_size;
    uint64_t m_base;
    uint64_t m_pos = 0;
};

} // namespace ckpt
