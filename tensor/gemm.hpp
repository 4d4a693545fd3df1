#pragma once
// General matrix multiply on row-major matrices: packed panels, a register-blocked xsimd FMA micro-kernel,
// OpenMP over blocks of C. Explicitly instantiated for float and double.
#include <cstddef>
#include <string>

namespace xvis::kernels {

// C[M×N] = alpha · op(A) · op(B) + beta · C, all row-major.
// op(A) is M×K: A is M×K with leading dimension lda >= K, or (trans_a) K×M with lda >= M.
// op(B) is K×N: B is K×N with ldb >= N, or (trans_b) N×K with ldb >= K. ldc >= N.
// beta == 0 overwrites C without reading it (NaN in C does not propagate). K == 0 gives C = beta · C.
template <class T>
void gemm(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, T alpha, const T* A,
          std::size_t lda, const T* B, std::size_t ldb, T beta, T* C, std::size_t ldc);

// Batched: for b in [0, batch): C_b = alpha · op(A_b) · op(B_b) + beta · C_b, with element strides between
// consecutive matrices (a stride of 0 reuses the same matrix, i.e. broadcasting).
template <class T>
void gemm_batched(std::size_t batch, bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K,
                  T alpha, const T* A, std::size_t lda, std::size_t stride_a, const T* B, std::size_t ldb,
                  std::size_t stride_b, T beta, T* C, std::size_t ldc, std::size_t stride_c);

// Process-wide choice of micro-kernel, for every GEMM and the convolutions built on it: `automatic` (the
// default) runs an AVX-512 kernel on CPUs that have it (x86-64 builds whose own kernels are avx2: twice the
// FMA width on the same packed panels), `portable` always the build's own xsimd kernel (to compare). Both sum every element in the same order, so they give the same bits. May change at any time.
enum class GemmKernel { automatic, portable };
void set_gemm_kernel(GemmKernel kernel);
GemmKernel gemm_kernel();
// Instruction set of the micro-kernel now: "avx512f", or the build's xsimd architecture ("fma3+avx2", "sse2").
std::string gemm_kernel_isa();

namespace detail {
// For conv2d: B read through a callback instead of memory, so an im2col panel never has to exist whole.
// fill(ctx, row, col, n, out) writes elements (row, col .. col + n) of the stored matrix (K×N, or N×K when
// trans_b) to out. The GEMM fills one cache-sized tile at a time and packs from it.
template <class T>
struct MatrixSource {
    void (*fill)(const void* ctx, std::size_t row, std::size_t col, std::size_t n, T* out);
    const void* ctx;
};
// gemm() with B given by `B` (no transposed-C trick: use it when N is not tiny).
template <class T>
void gemm_source_b(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, T alpha, const T* A,
                   std::size_t lda, const MatrixSource<T>& B, T beta, T* C, std::size_t ldc);

// Pre-packed operands, for a caller that packs an operand once and multiplies it many times (the Winograd
// convolution's transformed weights) or writes the other one packed in the first place (its transformed input).
// A is packed in MR-row panels laid out [⌈M/MR⌉][K][MR], B in NR-column panels laid out [⌈N/NR⌉][K][NR], so
// element (i, k) of A is pa[(i / MR)·K·MR + k·MR + i % MR] and (k, j) of B is pb[(j / NR)·K·NR + k·NR + j % NR].
struct GemmPanels {
    std::size_t mr, nr;
};
template <class T>
GemmPanels gemm_panels();
// op(A) (M×K; A is K×M when trans_a) into pa: ⌈M/MR⌉·MR·K elements, the padding rows zero.
template <class T>
void gemm_pack_a(bool trans_a, std::size_t M, std::size_t K, const T* A, std::size_t lda, T* pa);
// C[M×N] = pa · pb (overwritten; ldc >= N), on the calling thread. pb must be 64-byte aligned (aligned vector
// loads). Columns of pb past N are not read into C
// (they may hold anything).
template <class T>
void gemm_packed(std::size_t M, std::size_t N, std::size_t K, const T* pa, const T* pb, T* C, std::size_t ldc);
}  // namespace detail

}  // namespace xvis::kernels
