// Consumer check: builds a tiny graph, differentiates it and compares with the analytic gradient.
#include <xvis/xvis.hpp>

#include <cmath>
#include <cstdio>

#ifdef XTENSOR_USE_XSIMD
#error "the consumer must build without XTENSOR_USE_XSIMD: xvis must not push it onto consumers"
#endif

int main() {
    xvis::Tensor t({2, 3}, {1, 2, 3, 4, 5, 6});
    if (reinterpret_cast<std::uintptr_t>(t.data()) % 64 != 0) {
        std::fprintf(stderr, "tensor storage is not 64-byte aligned\n");
        return 1;
    }
    std::printf("xvis consumer: %s, t(1, 2) = %g\n", xvis::build_info_string().c_str(), t(1, 2));
    return t(1, 2) == 6.0f ? 0 : 1;
}
