#include "core/io/mappedfile.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/io/mappedfileguard.h"

namespace ckpt
{

namespace
{

int64_t modifiedNs(const struct stat& info)
{
    return static_cast<int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
}

} // namespace

Result<std::shared_ptr<const MappedFile>> MappedFile::open(const std::string& path)
{
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever. Only regular files go
    // on; for them the flag means nothing, and it is cleared anyway.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return makeError(Status::IoError, std::string("cannot open: ") + std::strerror(errno));
    struct stat info {
    };
    if (::fstat(fd, &info) != 0) {
        int err = errno;
        ::close(fd);
        return makeError(Status::IoError, std::string("cannot stat: ") + std::strerror(err));
    }
    if (S_ISDIR(info.st_mode)) {
        ::close(fd);
        return makeError(Status::IoError, "is a directory");
    }
    if (!S_ISREG(info.st_mode)) {
        ::close(fd);
        return makeError(Status::IoError, S_ISFIFO(info.st_mode)   ? "is a FIFO (named pipe), not a regular file"
                                          : S_ISSOCK(info.st_mode) ? "is a socket, not a regular file"
                                                                   : "is a device, not a regular file");
    }
    int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    std::shared_ptr<MappedFile> file(new MappedFile());
    file->m_path = path;
    file->m_size = static_cast<uint64_t>(info.st_size);
    file->m_device = static_cast<uint64_t>(info.st_dev);
    file->m_inode = static_cast<uint64_t>(info.st_ino);
    file->m_modifiedNs = modifiedNs(info);
    if (file->m_size > 0) {
        // MAP_PRIVATE + PROT_READ: the input can never be modified through this mapping.
        void* address = ::mmap(nullptr, file->m_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (address == MAP_FAILED) {
            int err = errno;
            ::close(fd);
            return makeError(Status::IoError, std::string("cannot map: ") + std::strerror(err));
        }
        file->m_data = static_cast<const uint8_t*>(address);
        file->m_guardSlot = mapguard::add(address, file->m_size, &file->m_faulted);
    }
    ::close(fd);
    return std::shared_ptr<const MappedFile>(std::move(file));
}

MappedFile::~MappedFile()
{
    mapguard::remove(m_guardSlot);
    if (m_data) ::munmap(const_cast<uint8_t*>(m_data), m_size);
}

VoidResult MappedFile::checkUnchanged() const
{
    auto changed = [](const std::string& how) {
        return makeError(Status::FileChanged, "the file changed on disk since it was opened (" + how +
                                                  "); what was read from it is discarded: reload it");
    };
    if (m_faulted.load(std::memory_order_relaxed)) return changed("it became shorter while it was being read");
    // A file replaced by rename (or deleted) leaves the mapped inode intact: what was read is consistent, so
    // only a change of the same inode counts (the GUI's watcher offers a reload for the rest).
    struct stat info {
    };
    if (::stat(m_path.c_str(), &info) != 0 || static_cast<uint64_t>(info.st_dev) != m_device ||
        static_cast<uint64_t>(info.st_ino) != m_inode)
        return Done{};
    if (static_cast<uint64_t>(info.st_size) != m_size)
        return changed("its size went from " + std::to_string(m_size) + " to " + std::to_string(info.st_size) +
                       " bytes");
    if (modifiedNs(info) != m_modifiedNs) return changed("it was rewritten in place");
    return Done{};
}

} // namespace ckpt
