// Op-table rows for the one-pass activation gradients (sigmoid_grad, tanh_grad, erf_grad, silu_grad,
// gelu_grad) and for the compositions gradients() differentiates with them (SiLU and GELU as models export
// them): the gradient check of a composition row runs the composite VJP against finite differences.
#include "op_table.hpp"
#include "reference/autodiff_reference.hpp"

#include <cmath>

namespace xvis::test {

namespace R = xvis::reference;

namespace {

constexpr double two_over_sqrt_pi = 1.1283791670955126;

double sigmoid_d(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// c·x·(k + erf(a·x)).
double gelu_value(double x, double a, double k, double c) { return c * x * (k + std::erf(a * x)); }

TensorD ternary(const Values& v, const std::function<double(double, double, double)>& f) {
    TensorD y(v[0].shape());
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = f(v[0][i], v[1][i], v[2][i]);
    return y;
}

}  // namespace

std::vector<OpCase> activation_grad_cases() {
    std::vector<OpCase> t;
    using Binary = Node (*)(const Node&, const Node&);
    struct BinaryRow {
        const char* name;
        Binary op;
        std::function<double(double, double)> f;
        Sampler s;
    };
    const BinaryRow binaries[] = {
        {"sigmoid_grad", &xvis::sigmoid_grad, [](double y, double g) { return g * y * (1 - y); },
         each({uniform(0.05, 0.95), uniform()})},
        {"tanh_grad", &xvis::tanh_grad, [](double y, double g) { return g * (1 - y * y); }, uniform(-0.95, 0.95)},
        {"erf_grad", &xvis::erf_grad, [](double x, double g) { return g * two_over_sqrt_pi * std::exp(-x * x); },
         uniform(-2, 2)},
    };
    for (const auto& b : binaries) {
        for (const auto& [suffix, shapes] : std::vector<std::pair<std::string, std::vector<Shape>>>{
                 {"same", {{3, 4}, {3, 4}}}, {"bcast_a", {{4}, {3, 4}}}, {"large", {{37, 29}, {37, 29}}}}) {
            const Binary op = b.op;
            const auto f = b.f;
            t.push_back(OpCase(std::string(b.name) + "_" + suffix, shapes,
                               [op](const Inputs& x) { return op(x[0], x[1]); },
                               [f](const Values& v) { return R::binary(v[0], v[1], f); })
                            .sampler(b.s));
        }
    }

    // The fused VJPs as ops of three independent inputs (x, the forward's σ(x) / erf(a·x), g).
    t.push_back(OpCase("silu_grad", {{3, 5}, {3, 5}, {3, 5}},
                       [](const Inputs& x) { return silu_grad(x[0], x[1], x[2]); },
                       [](const Values& v) {
                           return ternary(v, [](double x, double s, double g) { return g * s * (1 + x * (1 - s)); });
                       })
                    .sampler(each({uniform(-3, 3), uniform(0.05, 0.95), uniform()})));
    for (const auto& [name, a, k, c] : {std::tuple{"gelu_grad", 0.7071067811865476, 1.0, 0.5},
                                        std::tuple{"gelu_grad_odd_constants", 1.3, -0.25, 2.0}}) {
        const double pa = a, pk = k, pc = c;
        t.push_back(OpCase(name, {{3, 5}, {3, 5}, {3, 5}},
                           [=](const Inputs& x) { return gelu_grad(x[0], x[1], x[2], pa, pk, pc); },
                           [=](const Values& v) {
                               return ternary(v, [=](double x, double e, double g) {
                                   return g * pc * (pk + e + x * pa * two_over_sqrt_pi * std::exp(-pa * pa * x * x));
                               });
                           })
                        .sampler(each({uniform(-3, 3), uniform(-1, 1), uniform()})));
    }
    // Large and odd: the vector tails and the parallel path; σ(x) computed in the graph.
    t.push_back(OpCase("silu_grad_large", {{41, 33}, {41, 33}},
                       [](const Inputs& x) { return silu_grad(x[0], sigmoid(x[0]), x[1]); },
                       [](const Values& v) {
                           return R::binary(v[0], v[1], [](double x, double g) {
                               const double s = sigmoid_d(x);
                               return g * s * (1 + x * (1 - s));
                           });
                       })
                    .sampler(uniform(-3, 3)));

    // Compositions: the gradient check differentiates them through the composite VJPs.
    t.push_back(OpCase("silu_composed", {{4, 7}}, [](const Inputs& x) { return x[0] * sigmoid(x[0]); },
                       [](const Values& v) { return R::unary(v[0], [](double x) { return x * sigmoid_d(x); }); })
                    .sampler(uniform(-4, 4)));
    t.push_back(OpCase("silu_composed_reversed_large", {{50, 41}}, [](const Inputs& x) { return sigmoid(x[0]) * x[0]; },
                       [](const Values& v) { return R::unary(v[0], [](double x) { return x * sigmoid_d(x); }); })
                    .sampler(uniform(-4, 4)));
    // PyTorch's export: ((x · (erf(x / √2) + 1)) · 0.5), constants as nodes (√2 rounded to float as in ONNX).
    const double sqrt2f = static_cast<float>(std::sqrt(2.0));
    t.push_back(OpCase("gelu_composed_onnx", {{4, 7}},
                       [sqrt2f](const Inputs& x) {
                           return (x[0] * (erf(x[0] / scalar(sqrt2f)) + scalar(1.0))) * scalar(0.5);
                       },
                       [sqrt2f](const Values& v) {
                           return R::unary(v[0], [sqrt2f](double x) { return gelu_value(x, 1 / sqrt2f, 1, 0.5); });
                       })
                    .sampler(uniform(-3, 3)));
    // Keras' form 0.5·x·(1 + erf(x·(1/√2))) with scale / add_scalar ops, the constant first.
    t.push_back(OpCase("gelu_composed_keras", {{3, 11}},
                       [](const Inputs& x) { return (0.5 * x[0]) * (1.0 + erf(x[0] * 0.7071067811865476)); },
                       [](const Values& v) {
                           return R::unary(v[0], [](double x) { return gelu_value(x, 0.7071067811865476, 1, 0.5); });
                       })
                    .sampler(uniform(-3, 3)));
    return t;
}

}  // namespace xvis::test
