#pragma once
// Naive GEMM reference for tests: obviously correct triple loop, accumulated in double.
#include <cstddef>

namespace xvis::reference {

// C = alpha · op(A) · op(B) + beta · C, row-major; beta == 0 overwrites C without reading it.
template <class T>
void gemm(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, T alpha, const T* A,
          std::size_t lda, const T* B, std::size_t ldb, T beta, T* C, std::size_t ldc) {
    for (std::size_t i = 0; i < M; ++i)
        for (std::size_t j = 0; j < N; ++j) {
            double sum = 0.0;
            for (std::size_t k = 0; k < K; ++k) {
                const double a = trans_a ? A[k * lda + i] : A[i * lda + k];
                const double b = trans_b ? B[j * ldb + k] : B[k * ldb + j];
                sum += a * b;
            }
            const double prior = beta == T(0) ? 0.0 : double(beta) * double(C[i * ldc + j]);
            C[i * ldc + j] = T(double(alpha) * sum + prior);
        }
}

}  // namespace xvis::reference
