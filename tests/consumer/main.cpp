// Consumer check: compiled with other flags than the library (see CMakeLists.txt), it builds a small graph,
// differentiates it and compares with the analytic gradient. The graph holds an op of its own, written with the
// installed op-author API (autodiff/op.hpp, which xvis.hpp leaves out), so extending xvis works from a package.
#include <xvis/autodiff/op.hpp>
#include <xvis/xvis.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>

#ifdef XTENSOR_USE_XSIMD
#error "the consumer must build without XTENSOR_USE_XSIMD: xvis must not push it onto consumers"
#endif

namespace {

// y = x³, dy/dx = 3x².
struct Cube : xvis::OpImpl<Cube> {
    std::string type() const override { return "consumer_cube"; }
    xvis::Shape infer_shape(const std::vector<xvis::Node>& inputs) const override { return inputs[0].shape(); }
    template <class T>
    void compute(const xvis::OpArgs<T>& a) const {
        for (std::size_t i = 0; i < xvis::shape_size(a.out_shape()); ++i) a.output[i] = a.in(0)[i] * a.in(0)[i] * a.in(0)[i];
    }
    std::vector<xvis::Node> vjp(const xvis::Node& out, const xvis::Node& grad) const override {
        return {grad * (3.0 * xvis::square(out.inputs()[0]))};
    }
};

}  // namespace

int main() {
    using namespace xvis;
    Tensor t({2, 3}, {1, 2, 3, 4, 5, 6});
    if (reinterpret_cast<std::uintptr_t>(t.data()) % 64 != 0) {
        std::fprintf(stderr, "tensor storage is not 64-byte aligned\n");
        return 1;
    }
    // loss = Σ tanh(x)² + Σ x³; d loss / dx = 2 tanh(x) (1 − tanh(x)²) + 3x²
    register_custom_op_type("consumer_cube", __FILE__);
    Node x = placeholder({2, 3}, "x");
    Node loss = sum(square(tanh(x))) + sum(make_node(std::make_shared<Cube>(), {x}));
    Node g = gradients(loss, {x})[0];
    Function f = compile({loss, g}, {x});
    const auto& out = f(t);
    double worst = 0, expected_loss = 0;
    for (std::size_t i = 0; i < t.size(); ++i) {
        const double xi = double(t[i]), th = std::tanh(xi);
        expected_loss += th * th + xi * xi * xi;
        // relative to the size of the gradient (3x² reaches 108 in float)
        worst = std::fmax(worst, std::fabs(out[1][i] - (2 * th * (1 - th * th) + 3 * xi * xi)) / (1 + 3 * xi * xi));
    }
    worst = std::fmax(worst, std::fabs(out[0].item() - expected_loss) / expected_loss);
    std::printf("xvis consumer: %s, loss %g, worst relative error %g\n", build_info_string().c_str(), out[0].item(), worst);
    return worst < 1e-5 ? 0 : 1;
}
