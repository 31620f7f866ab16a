#pragma once

#include <algorithm>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace ckpt
{

// Copies of many short strings (tensor names of a JSON header) in a few large blocks, instead of one heap block
// per string. A returned view stays valid, at the same address, for the pool's life (moves of the pool included):
// blocks are never reallocated, so views can key a hash index while the pool grows.
class TextPool
{
public:
    std::string_view add(std::string_view text)
    {
        if (text.empty()) return {};
        if (text.size() > kBlockBytes / 4) { // a long string gets a block of its own; the current one stays open
            m_blocks.emplace_back(new char[text.size()]);
            std::memcpy(m_blocks.back().get(), text.data(), text.size());
            return {m_blocks.back().get(), text.size()};
        }
        if (m_free < text.size()) {
            m_blocks.emplace_back(new char[kBlockBytes]);
            m_next = m_blocks.back().get();
            m_free = kBlockBytes;
        }
        char* at = m_next;
        std::memcpy(at, text.data(), text.size());
        m_next += text.size();
        m_free -= text.size();
        return {at, text.size()};
    }

private:
    static constexpr size_t kBlockBytes = 64 * 1024;

    std::vector<std::unique_ptr<char[]>> m_blocks;
    char* m_next = nullptr;
    size_t m_free = 0;
};

} // namespace ckpt
