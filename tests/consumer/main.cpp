// Consumer check: compiled with other flags than the library (see CMakeLists.txt), it builds a small graph,
// differentiates it and compares with the analytic gradient.
#include <xvis/xvis.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>

#ifdef XTENSOR_USE_XSIMD
#error "the consumer must build without XTENSOR_USE_XSIMD: xvis must not push it onto consumers"
#endif

int main() {
    using namespace xvis;
    Tensor t({2, 3}, {1, 2, 3, 4, 5, 6});
    if (reinterpret_cast<std::uintptr_t>(t.data()) % 64 != 0) {
        std::fprintf(stderr, "tensor storage is not 64-byte aligned\n");
        return 1;
    }
    // loss = Σ tanh(x)²; d loss / dx = 2 tanh(x) (1 − tanh(x)²)
    Node x = placeholder({2, 3}, "x");
    Node loss = sum(square(tanh(x)));
    Node g = gradients(loss, {x})[0];
    Function f = compile({loss, g}, {x});
    const auto& out = f(t);
    double worst = 0;
    for (std::size_t i = 0; i < t.size(); ++i) {
        const double th = std::tanh(double(t[i]));
        worst = std::fmax(worst, std::fabs(out[1][i] - 2 * th * (1 - th * th)));
    }
    std::printf("xvis consumer: %s, loss %g, worst gradient error %g\n", build_info_string().c_str(), out[0].item(), worst);
    return worst < 1e-5 ? 0 : 1;
}
