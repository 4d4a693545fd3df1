#pragma once
// A 128-bit hash of a block of memory, to tell whether its contents changed since they were last hashed (the
// compiled functions' prepared weights, autodiff/detail/prepared_inputs.hpp).
//   h(data) = Σ_i XXH3_128(chunk_i, seed i) + XXH3_128(bytes)   (each half mod 2^64; chunks of 256 KiB)
// Chunks are hashed on the team's threads (weights larger than the caches are read at memory speed, and one
// core does not reach the machine's bandwidth); the sum does not depend on their order, so the hash is the
// same with any number of threads. A change of the contents leaves it unchanged with probability about 2^-128
// (XXH3 is not cryptographic: fine against accidents, not against an adversary who picks the weights).
#include <cstddef>
#include <cstdint>

namespace xvis::kernels {

struct ContentHash {
    std::uint64_t low = 0, high = 0;
    bool operator==(const ContentHash& o) const { return low == o.low && high == o.high; }
    bool operator!=(const ContentHash& o) const { return !(*this == o); }
};

// Hash of bytes [data, data + bytes). data may be null when bytes is 0.
ContentHash content_hash(const void* data, std::size_t bytes);

}  // namespace xvis::kernels
