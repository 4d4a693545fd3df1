#pragma once
// NumPy's .npy format (version 1.0), for float32 arrays, so that other tools (numpy.load, Julia's NPZ, ...)
// read xvis's raw maps. The layout (numpy.lib.format, "NEP 1"):
//   "\x93NUMPY" 0x01 0x00 | header length HLEN (uint16, little-endian) | header | data
// where the header is the ASCII dict "{'descr': '<f4', 'fortran_order': False, 'shape': (d0, d1, ), }" padded
// with spaces and ended by '\n' so that 10 + HLEN is a multiple of 64 (numpy's alignment), and the data are the
// elements as little-endian IEEE float32 in C (row-major) order. A rank-0 tensor has shape "()", rank 1 "(n,)".
#include <xvis/tensor/tensor.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace xvis {

// The whole file's bytes for `a` (its shape and elements, C order).
std::vector<std::uint8_t> encode_npy(const Tensor& a);
// Writes encode_npy(a) to `path` atomically (image/atomic_file.hpp). Throws std::runtime_error naming the path.
void write_npy(const std::string& path, const Tensor& a);

// Reads a version 1.0 / 2.0 .npy of little-endian float32 ('<f4') in C order, as written by write_npy or
// numpy.save(np.float32 array). Anything else (another dtype, fortran_order True, a truncated file, a header
// or shape that does not parse, more elements than the file holds) throws std::runtime_error naming `name`
// (read_npy: the path) and what was found.
Tensor decode_npy(const std::vector<std::uint8_t>& bytes, const std::string& name = "npy");
Tensor read_npy(const std::string& path);

}  // namespace xvis
