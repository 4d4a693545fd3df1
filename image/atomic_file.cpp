#include <xvis/image/atomic_file.hpp>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include <fcntl.h>
#include <unistd.h>

namespace xvis {

namespace {
constexpr std::size_t buffer_limit = 1 << 16;
std::atomic<unsigned long> temp_counter{0};  // distinct names for concurrent writers in one process
constexpr std::size_t temp_base_limit = 200;  // + ".", ".tmp-", pid and counter stays under NAME_MAX (255)
}  // namespace

std::string AtomicFile::temp_name(const std::string& path, long pid, unsigned long n) {
    const std::size_t slash = path.rfind('/');
    const std::size_t start = slash == std::string::npos ? 0 : slash + 1;
    // Same folder as the target: rename(2) is atomic only within one file system.
    return path.substr(0, start) + "." + path.substr(start, temp_base_limit) + ".tmp-" + std::to_string(pid) + "-" +
           std::to_string(n);
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
    if (path_.empty()) throw std::runtime_error("AtomicFile: empty path");
    // O_EXCL with a pid + counter name instead of mkstemp: mkstemp creates mode 0600 files, and the renamed
    // image should get the usual 0666 & ~umask like any other file the user writes.
    for (int attempt = 0; attempt < 100; ++attempt) {
        temp_path_ = temp_name(path_, static_cast<long>(::getpid()), temp_counter.fetch_add(1));
        fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd_ >= 0) return;
        if (errno != EEXIST) break;
    }
    const int err = errno;
    temp_path_.clear();
    throw std::runtime_error("cannot create a temporary file next to '" + path_ + "': " + std::strerror(err));
}

AtomicFile::~AtomicFile() { abort(); }

void AtomicFile::fail(const std::string& what, int err) {
    abort();
    throw std::runtime_error("cannot write '" + path_ + "': " + what + ": " + std::strerror(err));
}

void AtomicFile::flush_buffer() {
    write_all(buffer_.data(), buffer_.size());
    buffer_.clear();
}

void AtomicFile::write_all(const std::uint8_t* p, std::size_t left) {
    while (left > 0) {
        const ssize_t n = ::write(fd_, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("write", errno);
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

// The buffer never grows past buffer_limit (reserved on the first write), so a writer that streams frames,
// like GifWriter, allocates nothing per write; a chunk that does not fit goes out directly.
void AtomicFile::write(const void* data, std::size_t n) {
    if (fd_ < 0) throw std::logic_error("AtomicFile::write: '" + path_ + "' is already committed or aborted");
    const auto* bytes = static_cast<const std::uint8_t*>(data);
    if (buffer_.capacity() < buffer_limit) buffer_.reserve(buffer_limit);
    if (buffer_.size() + n > buffer_limit) flush_buffer();
    if (n >= buffer_limit) return write_all(bytes, n);
    buffer_.insert(buffer_.end(), bytes, bytes + n);
}

void AtomicFile::commit() {
    if (fd_ < 0) throw std::logic_error("AtomicFile::commit: '" + path_ + "' is already committed or aborted");
    flush_buffer();
    // fsync before rename: otherwise a crash can leave the new name pointing at an empty file on some file systems.
    if (::fsync(fd_) != 0 && errno != EINVAL) fail("fsync", errno);  // EINVAL: pipes/special files cannot sync
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) {
        const int err = errno;
        ::unlink(temp_path_.c_str());
        temp_path_.clear();
        throw std::runtime_error("cannot write '" + path_ + "': close: " + std::strerror(err));
    }
    if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
        const int err = errno;
        ::unlink(temp_path_.c_str());
        temp_path_.clear();
        throw std::runtime_error("cannot write '" + path_ + "': rename: " + std::strerror(err));
    }
    temp_path_.clear();
}

void AtomicFile::abort() noexcept {
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
    if (!temp_path_.empty()) {
        ::unlink(temp_path_.c_str());
        temp_path_.clear();
    }
    buffer_.clear();
}

}  // namespace xvis
