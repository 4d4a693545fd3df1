// erf, the Gauss error function (ONNX Erf; exact GELU is x·(1 + erf(x/√2))/2). Forward: std::erf per element
// (no SIMD erf in xsimd's portable set; the loop is split across threads for large tensors). VJP composed from
// primitives: 2/√π · exp(−x²) · g, so second derivatives come for free.
#include <xvis/autodiff/detail/op_registry.hpp>
#include <xvis/autodiff/op_support.hpp>
#include <xvis/autodiff/ops.hpp>
#include <xvis/tensor/detail/strided.hpp>

#include <cmath>

namespace xvis {
namespace {

class ErfOp : public OpImpl<ErfOp> {
public:
    static constexpr const char* name = "erf";
    std::string type() const override { return name; }
    Shape infer_shape(const std::vector<Node>& in) const override {
        expect_num_inputs(type(), in, 1);
        return in[0].shape();
    }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        const std::size_t n = shape_size(a.out_shape());
        const T* x = a.in(0);
        T* y = a.output;
        // erf costs ~20 flops: the element threshold of cheap element-wise kernels is conservative enough.
        kernels::detail::parallel_ranges(n, n >= kernels::detail::parallel_threshold, 64, [&](std::size_t b, std::size_t e) {
            for (std::size_t i = b; i < e; ++i) y[i] = std::erf(x[i]);
        });
    }
    std::vector<Node> vjp(const Node& out, const Node& g) const override {
        const Node& x = out.inputs()[0];
        const double two_over_sqrt_pi = 1.1283791670955126;  // 2/√π
        return {mul(g, scale(exp(neg(square(x))), two_over_sqrt_pi))};
    }
};

}  // namespace

std::vector<OpTypeInfo> detail::erf_op_types() { return {{ErfOp::name, detail::autodiff_source(__FILE__)}}; }

Node erf(const Node& x) { return make_node(std::make_shared<ErfOp>(), {x}); }

}  // namespace xvis
