#include "core/edit/atomicfile.h"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ckpt
{

namespace
{

constexpr int kCreateAttempts = 100; // 62^6 random names: a hundred clashes is a hostile directory
constexpr char kNameChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

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
    // Not mkstemp: it makes the file 0600, and fixing that needs the process umask, which can only be read by
    // setting it (racing every thread that creates files meanwhile). open(O_CREAT | O_EXCL, 0666) lets the
    // kernel apply the umask (and a default ACL), so the export gets the permissions of any new file.
    static std::atomic<uint64_t> counter{0};
    const std::string prefix = directoryOf(target) + "/." + baseName(target) + ".ckpt-";
    for (int attempt = 0; attempt < kCreateAttempts; ++attempt) {
        uint64_t unique = 0;
        if (::getrandom(&unique, sizeof unique, GRND_NONBLOCK) != sizeof unique) // no entropy yet: still unique
            unique = static_cast<uint64_t>(::getpid()) << 40 ^ static_cast<uint64_t>(::time(nullptr));
        unique ^= counter.fetch_add(1);
        std::string path = prefix;
        for (int i = 0; i < 6; ++i, unique /= 62) // six letters and digits, like mkstemp's
            path += kNameChars[unique % 62];
        int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno == EEXIST) continue;
        if (fd < 0) return ioError("cannot create a temporary file in " + directoryOf(target));
        file->m_fd = fd;
        file->m_tempPath = path;
        return file;
    }
    return makeError(Status::IoError,
                     "cannot create a temporary file in " + directoryOf(target) + ": every name tried exists");
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
