#pragma once
// Internal to xvis's kernel .cpp files: run-time CPU dispatch. The kernels with an AVX-512 version (the GEMM
// micro-kernel, TotalVariation's planes) compile it with target attributes, never with a flag on a file, and take
// it where the CPU has it; everything else stays at the build's instruction set (XVIS_ARCH).

// x86-64 with GCC or Clang: the AVX-512 versions are compiled.
#if defined(__x86_64__) && defined(__GNUC__)
#define XVIS_AVX512_KERNELS 1
#endif

namespace xvis::kernels::detail {

#ifdef XVIS_AVX512_KERNELS
bool cpu_has_avx512();  // the CPU runs AVX-512F (cpu_features.cpp)
#else
inline bool cpu_has_avx512() { return false; }
#endif

}  // namespace xvis::kernels::detail
