#pragma once
// Internal (the GEMM's portable and AVX-512 micro-kernels): prefetching an A operand that streams from memory.
// A prepared A read once from memory (Winograd's filters, 16 MiB for a 512-channel layer) arrives in runs of
// kc·MR elements per panel, too short for the hardware prefetcher to follow (a 512-channel 7² layer read them at
// about 7 GB/s, BM_conv2d_cold). A that the GEMM has just packed is in L2 and needs none. No intrinsics
// (__builtin_prefetch), so it inlines into the portable kernel and into the AVX-512 one alike.
#include <cstddef>
#include <cstdint>

namespace xvis::kernels::gemm_detail {

// Rows of a panel [kc][MR] prefetched ahead of the one being multiplied (1.5 KiB in float, for MR = 6).
constexpr std::size_t prefetch_k = 64;
// A kernel prefetches once per this many k.
constexpr std::size_t prefetch_every = 8;

// Prefetches rows [k, k + prefetch_every) + prefetch_k of the panel at `panel` (3 lines in float). The address may
// lie past the panel: a prefetch never faults, and it is formed as an integer, not as an out-of-range pointer.
template <std::size_t MR, class T>
inline void prefetch_panel(const T* panel, std::size_t k) {
    const std::uintptr_t ahead = reinterpret_cast<std::uintptr_t>(panel + k * MR) + prefetch_k * MR * sizeof(T);
    for (std::uintptr_t line = 0; line < prefetch_every * MR * sizeof(T); line += 64)
        __builtin_prefetch(reinterpret_cast<const char*>(ahead + line));
}

}  // namespace xvis::kernels::gemm_detail
