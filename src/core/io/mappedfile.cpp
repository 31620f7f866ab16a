#include "core/io/mappedfile.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ckpt
{

Result<std::shared_ptr<const MappedFile>> MappedFile::open(const std::string& path)
{
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
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
    std::shared_ptr<MappedFile> file(new MappedFile());
    file->m_path = path;
    file->m_size = static_cast<uint64_t>(info.st_size);
    if (file->m_size > 0) {
        // MAP_PRIVATE + PROT_READ: the input can never be modified through this mapping.
        void* address = ::mmap(nullptr, file->m_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (address == MAP_FAILED) {
            int err = errno;
            ::close(fd);
            return makeError(Status::IoError, std::string("cannot map: ") + std::strerror(err));
        }
        file->m_data = static_cast<const uint8_t*>(address);
    }
    ::close(fd);
    return std::shared_ptr<const MappedFile>(std::move(file));
}

MappedFile::~MappedFile()
{
    if (m_data) ::munmap(const_cast<uint8_t*>(m_data), m_size);
}

} // namespace ckpt
