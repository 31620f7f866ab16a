#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <sys/mman.h>
#include <unistd.h>

#include "core/io/mappedfile.h"
#include "core/model/checkpoint.h"
#include "core/pickle/value.h"

namespace ckpt::fuzz
{

// The loaders take a mapped file, not a buffer: the input goes into an anonymous memory file (no disk, no
// name clashes between parallel fuzzers) and is mapped back through /proc, exactly as a user's file would be.
class MemoryFile
{
public:
    MemoryFile() : m_fd(memfd_create("ckpt-fuzz", MFD_CLOEXEC)) {}
    ~MemoryFile()
    {
        if (m_fd >= 0) ::close(m_fd);
    }
    MemoryFile(const MemoryFile&) = delete;
    MemoryFile& operator=(const MemoryFile&) = delete;

    // Replaces the content with `data` and returns a path that opens it.
    std::string write(const uint8_t* data, size_t size)
    {
        if (m_fd < 0 || ::ftruncate(m_fd, 0) != 0) __builtin_trap();
        size_t done = 0;
        while (done < size) {
            ssize_t n = ::pwrite(m_fd, data + done, size - done, static_cast<off_t>(done));
            if (n <= 0) __builtin_trap();
            done += static_cast<size_t>(n);
        }
        return path();
    }
    // Overwrites one byte in place (corruption tests flip and restore without rewriting the file).
    void patch(uint64_t offset, uint8_t byte)
    {
        if (::pwrite(m_fd, &byte, 1, static_cast<off_t>(offset)) != 1) __builtin_trap();
    }
    // Shrinks the content to `size` bytes.
    void truncate(uint64_t size)
    {
        if (::ftruncate(m_fd, static_cast<off_t>(size)) != 0) __builtin_trap();
    }
    std::string path() const { return "/proc/self/fd/" + std::to_string(m_fd); }

private:
    int m_fd;
};

// Touches everything a view would read from a document, so a wrong `available` flag, a dangling Value pointer or
// an out-of-range index shows up as a sanitizer report here rather than in the GUI.
inline uint64_t exercise(const Checkpoint& doc)
{
    uint64_t sum = doc.parameterCount() + static_cast<uint64_t>(doc.verdict());
    if (doc.root) sum += renderValue(doc.root).size();
    for (size_t i = 0; i < doc.storages.size(); ++i) {
        const uint8_t* bytes = doc.storageData(static_cast<int>(i));
        if (!bytes) continue;
        uint64_t n = doc.storages[i].nbytes;
        for (uint64_t at = 0; at < n; at += 4096)
            sum += bytes[at];
        if (n) sum += bytes[n - 1];
    }
    for (size_t i = 0; i < doc.tensors.size(); ++i) {
        const TensorInfo& t = doc.tensors[i];
        sum += t.numel() + t.nbytes + pathToString(t.path).size();
        if (t.storage >= static_cast<int>(doc.storages.size())) __builtin_trap();
        if (const uint8_t* first = doc.tensorData(static_cast<int>(i)); first && t.numel() > 0) sum += first[0];
        for (int part : t.parts)
            if (part < 0 || part >= static_cast<int>(doc.tensors.size())) __builtin_trap();
    }
    for (const WeightSet& set : doc.weightSets)
        for (const WeightEntry& e : set.entries)
            if (e.tensor >= static_cast<int>(doc.tensors.size())) __builtin_trap();
    for (const PlainValue& v : doc.values)
        sum += renderValue(v.value).size() + pathToString(v.path).size();
    for (const GlobalRef& g : doc.globals)
        sum += g.module.size() + g.name.size();
    if (const WeightSet* main = doc.mainWeightSet()) sum += main->entries.size();
    return sum;
}

} // namespace ckpt::fuzz
