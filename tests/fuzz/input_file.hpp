#pragma once
// For fuzz targets whose API takes a path (read_idx, load_onnx): the input's bytes written to one file in a
// private temporary folder (mkdtemp), rewritten for every input and removed at exit. The folder holds nothing
// else, so an ONNX model's external-data references can only name that file or fail. The folder is made in
// XVIS_FUZZ_TMPDIR, else /dev/shm (memory: on a disk file system, rewriting a truncated file flushes it each time,
// which made the fuzzers wait on the disk, 300 exec/s instead of thousands), else TMPDIR, else /tmp.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include <fcntl.h>
#include <unistd.h>

namespace xvis_fuzz {

class InputFile {
public:
    explicit InputFile(const std::string& name) {
        std::string base = "/tmp";
        if (const char* t = std::getenv("XVIS_FUZZ_TMPDIR"); t && *t) base = t;
        else if (::access("/dev/shm", W_OK) == 0) base = "/dev/shm";
        else if (const char* t = std::getenv("TMPDIR"); t && *t) base = t;
        std::string pattern = base + "/xvis-fuzz-XXXXXX";
        if (!::mkdtemp(pattern.data())) throw std::runtime_error("fuzz: cannot create a folder from " + pattern);
        dir_ = pattern;
        path_ = dir_ + "/" + name;
    }
    ~InputFile() {
        ::unlink(path_.c_str());
        ::rmdir(dir_.c_str());
    }
    InputFile(const InputFile&) = delete;
    InputFile& operator=(const InputFile&) = delete;

    // Replaces the file's content with data[0, size); returns its path.
    const std::string& write(const uint8_t* data, size_t size) {
        const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) std::abort();  // the fuzzer's own environment is broken: not a finding in xvis
        for (size_t done = 0; done < size;) {
            const ssize_t n = ::write(fd, data + done, size - done);
            if (n <= 0) std::abort();
            done += static_cast<size_t>(n);
        }
        ::close(fd);
        return path_;
    }

private:
    std::string dir_, path_;
};

// Ends the process with the exception's message: an exception type the API does not document for bad input.
[[noreturn]] inline void unexpected(const char* target, const char* kind, const char* what) {
    std::fprintf(stderr, "%s: unexpected %s: %s\n", target, kind, what);
    std::fflush(stderr);
    std::abort();
}

}  // namespace xvis_fuzz
