#pragma once
// IDX files (the MNIST / Fashion-MNIST format), plain or gzipped. Layout: magic bytes 00 00 <type> <ndim>, then
// ndim big-endian uint32 dimensions, then prod(dims) items in row-major order. Only type 0x08 (unsigned byte)
// is supported: it is what every MNIST-like dataset uses.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace xvis {

struct IdxArray {
    std::vector<std::size_t> dims;   // e.g. {60000, 28, 28}
    std::vector<std::uint8_t> data;  // prod(dims) bytes, row-major

    // Items along the first axis (dims[0]); the bytes of one item: prod(dims[1:]).
    std::size_t count() const { return dims.empty() ? 0 : dims[0]; }
    std::size_t item_size() const;
};

// Reads an IDX file; gzip is detected from the content (zlib reads plain files transparently), not the name.
// max_items > 0 reads only the first max_items items (dims[0] is then min(dims[0], max_items)); the header is
// still validated in full. header_count, when given, receives the item count the header declares (before the
// limit), so callers can check two files agree even when reading a prefix.
// Throws std::runtime_error naming `path` and what is wrong: cannot open, bad magic, unsupported type,
// truncated header or data, trailing bytes after the data, gzip stream errors.
IdxArray read_idx(const std::string& path, std::size_t max_items = 0, std::size_t* header_count = nullptr);

// Writes `a` as an IDX file of unsigned bytes (gzip-compressed when `gzip`). Needed by tests to make fixtures.
// Throws std::invalid_argument when data.size() != prod(dims) or dims is empty; std::runtime_error naming `path`
// when the file cannot be written.
void write_idx(const std::string& path, const IdxArray& a, bool gzip = false);

}  // namespace xvis
