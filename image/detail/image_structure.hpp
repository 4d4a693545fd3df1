#pragma once
// Internal to the image reader: structural checks of PNG and JPEG bytes before stb_image (2.27, Debian 12)
// decodes them. stb 2.27 trusts parts of the stream that the fuzzer showed can crash it: more than 256 Huffman
// codes in one JPEG table (writes past its tables), scans that use a Huffman table no DHT defined (reads
// uninitialized tables, then far out of bounds), an empty first PNG IDAT chunk (memcpy to a null pointer).
// These walk the same segments / chunks stb will read, in the same order, and refuse such files; they are
// strict (any JPEG marker stb would not accept is refused here too). Each fix has its input in
// tests/fuzz/regressions/image/.
#include <cstddef>
#include <cstdint>
#include <string>

namespace xvis::detail {

// "" when the segments before and between the scans are well formed; otherwise the reason, e.g. "DHT table
// AC 1 has 300 codes, more than 256". Entropy-coded data is skipped, not decoded.
std::string jpeg_structure_error(const std::uint8_t* data, std::size_t size);

// "" when the chunks (from the signature on) are well formed up to the first IDAT; otherwise the reason.
std::string png_structure_error(const std::uint8_t* data, std::size_t size);

}  // namespace xvis::detail
