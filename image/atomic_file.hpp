#pragma once
// AtomicFile: writes a file whole or not at all. Bytes go to a temporary file created next to the target (same
// directory, hence same file system, so the final rename(2) is atomic); commit() flushes, fsyncs and renames it
// over the target. If commit() is never reached (an exception, a failed write) the temporary file is removed and
// the target is untouched: a crash mid-write never leaves a truncated image behind.
// Temporary names are hidden and marked: "<dir>/.<name>.tmp-<pid>-<n>" (the name cut to 200 bytes so the
// temporary fits NAME_MAX when the target's name does). A SIGKILL between creation and commit() leaves that file;
// the leading dot and ".tmp-" keep it from being taken for an output (docs/command-line.md, "Interruption").
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace xvis {

class AtomicFile {
public:
    // Creates the temporary file (see above; permissions 0666 minus the umask, as a plain open()).
    // Throws std::runtime_error naming `path` and the system's reason (e.g. a missing directory).
    explicit AtomicFile(std::string path);
    // Removes the temporary file unless commit() succeeded. Never throws.
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    // Appends n bytes (buffered). Throws std::runtime_error naming the path on failure; the file is then aborted.
    void write(const void* data, std::size_t n);
    void write(const std::vector<std::uint8_t>& bytes) { write(bytes.data(), bytes.size()); }
    // Flush, fsync, close and rename over the target. Throws std::runtime_error naming the path on failure (the
    // temporary file is then removed). Writing after commit() is a std::logic_error.
    void commit();
    // Discards everything written: closes and removes the temporary file. Idempotent, never throws.
    void abort() noexcept;

    const std::string& path() const noexcept { return path_; }
    // The temporary file's name while open (empty after commit() or abort()).
    const std::string& temp_path() const noexcept { return temp_path_; }
    // The temporary name AtomicFile uses for `path` with process id `pid` and counter `n`.
    static std::string temp_name(const std::string& path, long pid, unsigned long n);
    bool open() const noexcept { return fd_ >= 0; }

private:
    void flush_buffer();
    void write_all(const std::uint8_t* data, std::size_t n);  // straight to the file, retrying short writes
    [[noreturn]] void fail(const std::string& what, int err);

    std::string path_;
    std::string temp_path_;
    int fd_ = -1;
    std::vector<std::uint8_t> buffer_;  // batches the many small writes of the GIF encoder into few syscalls
};

}  // namespace xvis
