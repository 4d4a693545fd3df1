// IDX bytes → read_idx, plain or gzipped (the reader decides from the content), read whole and as a one-item
// prefix. Expected: an IdxArray whose data holds prod(dims) bytes, or std::runtime_error "read_idx: '<path>': ...".
// Anything else (another exception type, a crash, a sanitizer report, a leak, a hang) is a finding.
#include "input_file.hpp"

#include <xvis/io/idx.hpp>

#include <cstring>
#include <exception>

namespace {

void check(const xvis::IdxArray& a, std::size_t max_items, std::size_t header_count) {
    if (a.dims.empty()) xvis_fuzz::unexpected("fuzz_idx", "result", "no dims");
    std::size_t total = 1;
    for (auto d : a.dims) total *= d;  // bounded: read_idx holds total bytes
    if (total != a.data.size()) xvis_fuzz::unexpected("fuzz_idx", "result", "data size differs from prod(dims)");
    if (max_items > 0 ? a.count() > max_items : a.count() != header_count)
        xvis_fuzz::unexpected("fuzz_idx", "result", "item count differs from the header / limit");
}

void read(const std::string& path, std::size_t max_items) {
    try {
        std::size_t header_count = 0;
        const xvis::IdxArray a = xvis::read_idx(path, max_items, &header_count);  // before header_count is read
        check(a, max_items, header_count);
    } catch (const std::runtime_error& e) {
        if (std::strncmp(e.what(), "read_idx: '", 11) != 0) xvis_fuzz::unexpected("fuzz_idx", "message", e.what());
    } catch (const std::exception& e) {
        xvis_fuzz::unexpected("fuzz_idx", "exception", e.what());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static xvis_fuzz::InputFile file("data.idx");
    const std::string& path = file.write(data, size);
    read(path, 0);
    read(path, 1);
    return 0;
}
