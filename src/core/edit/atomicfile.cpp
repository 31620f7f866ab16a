#include "core/edit/atomicfile.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ckpt
{

namespace
{

Error ioError(const std::string& what)
{
    return makeError(Status::IoError, what + ": " + std::strerror(errno));
}

std::string directoryOf(const std::string& path)
{
    size_t slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

std::string baseName(const std::string& path)
{
    size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

} // namespace

Result<std::unique_ptr<AtomicFile>> AtomicFile::create(const std::string& target)
{
    std::unique_ptr<AtomicFile> file(new AtomicFile);
    file->m_target = target;
    std::string pattern = directoryOf(target) + "/." + baseName(target) + ".ckpt-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    int fd = ::mkstemp(buffer.data());
    if (fd < 0) return ioError("cannot create a temporary file in " + directoryOf(target));
    file->m_fd = fd;
    file->m_tempPath = buffer.data();
    // mkstemp makes the file 0600; an exported checkpoint should get the permissions of any new file.
    mode_t mask = ::umask(0);
    ::umask(mask);
    ::fchmod(fd, 0666 & ~mask);
    return file;
}

AtomicFile::~AtomicFile()
{
    if (m_fd >= 0) ::close(m_fd);
    if (!m_committed && !m_tempPath.empty()) ::unlink(m_tempPath.c_str());
}

VoidResult AtomicFile::write(const void* data, size_t size)
{
    if (m_fd < 0) return makeError(Status::IoError, "the output file is already closed");
    const char* bytes = static_cast<const char*>(data);
    size_t left = size;
    while (left > 0) {
        ssize_t written = ::write(m_fd, bytes, left);
        if (written < 0) {
            if (errno == EINTR) continue;
            return ioError("cannot write");
        }
        bytes += written;
        left -= static_cast<size_t>(written);
        m_position += static_cast<uint64_t>(written);
    }
    // Start writeback of what is written so far, so the final fsync does not wait for the whole file and
    // the page cache does not fill with dirty pages that throttle every writer at once.
    if (m_position - m_flushed >= kWritebackStep) {
        ::sync_file_range(m_fd, static_cast<off_t>(m_flushed), static_cast<off_t>(m_position - m_flushed),
                          SYNC_FILE_RANGE_WRITE);
        m_flushed = m_position;
    }
    return Done{};
}

VoidResult AtomicFile::writeAt(uint64_t offset, const void* data, size_t size)
{
    if (m_fd < 0) return makeError(Status::IoError, "the output file is already closed");
    const char* bytes = static_cast<const char*>(data);
    while (size > 0) {
        ssize_t written = ::pwrite(m_fd, bytes, size, static_cast<off_t>(offset));
        if (written < 0) {
            if (errno == EINTR) continue;
            return ioError("cannot write");
        }
        bytes += written;
        size -= static_cast<size_t>(written);
        offset += static_cast<uint64_t>(written);
    }
    return Done{};
}

VoidResult AtomicFile::close()
{
    if (m_fd < 0) return Done{};
    int fd = m_fd;
    m_fd = -1;
    if (::fsync(fd) != 0) {
        Error error = ioError("cannot flush to disk");
        ::close(fd);
        return error;
    }
    if (::close(fd) != 0) return ioError("cannot close");
    return Done{};
}

VoidResult AtomicFile::commit()
{
    if (auto closed = close(); !closed) return closed;
    if (::rename(m_tempPath.c_str(), m_target.c_str()) != 0)
        return ioError("cannot rename the finished file into place");
    m_committed = true;
    // The rename is durable only once the directory entry is on disk.
    int dirFd = ::open(directoryOf(m_target).c_str(), O_RDONLY | O_DIRECTORY);
    if (dirFd >= 0) {
        ::fsync(dirFd);
        ::close(dirFd);
    }
    return Done{};
}

} // namespace ckpt
