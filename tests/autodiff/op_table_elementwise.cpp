// Op-table rows: element-wise binary (with broadcasting), where, unary, scalar operators, broadcast_to /
// sum_to, and the ops without a gradient (stop_gradient, comparisons, sign).
#include "op_table.hpp"
#include "reference/autodiff_reference.hpp"

#include <cmath>

namespace xvis::test {

namespace R = xvis::reference;

namespace {

using BinaryBuilder = Node (*)(const Node&, const Node&);
using BinaryRef = std::function<double(double, double)>;
using UnaryRef = std::function<double(double)>;

Reference binary_ref(BinaryRef f) {
    return [f](const Values& v) { return R::binary(v[0], v[1], f); };
}
Reference unary_ref(UnaryRef f) {
    return [f](const Values& v) { return R::unary(v[0], f); };
}

// One row per broadcasting pattern: equal shapes, a row vector, rank-3 against rank-2, a scalar on either side.
void add_binary_rows(std::vector<OpCase>& t, const std::string& name, BinaryBuilder op, BinaryRef f, Sampler s) {
    const std::vector<std::pair<std::string, std::vector<Shape>>> patterns = {
        {"same", {{2, 3}, {2, 3}}},
        {"bcast_row", {{2, 3}, {3}}},
        {"bcast_3d", {{2, 1, 4}, {3, 1}}},
        {"scalar_b", {{2, 3}, {}}},
        {"scalar_a", {{}, {2, 3}}},
    };
    for (const auto& [suffix, shapes] : patterns)
        t.push_back(OpCase(name + "_" + suffix, shapes, [op](const Inputs& x) { return op(x[0], x[1]); }, binary_ref(f))
                        .sampler(s));
}

void add_unary_row(std::vector<OpCase>& t, const std::string& name, std::function<Node(const Node&)> op, UnaryRef f,
                   Sampler s = uniform()) {
    t.push_back(OpCase(name, {{3, 4}}, [op](const Inputs& x) { return op(x[0]); }, unary_ref(f)).sampler(s));
}

}  // namespace

std::vector<OpCase> elementwise_cases() {
    std::vector<OpCase> t;
    const Sampler away_from_zero_b = each({uniform(), signed_magnitude(0.5, 2.0)});

    add_binary_rows(t, "add", &xvis::add, [](double a, double b) { return a + b; }, uniform());
    add_binary_rows(t, "sub", &xvis::sub, [](double a, double b) { return a - b; }, uniform());
    add_binary_rows(t, "mul", &xvis::mul, [](double a, double b) { return a * b; }, uniform());
    add_binary_rows(t, "div", &xvis::div, [](double a, double b) { return a / b; }, away_from_zero_b);
    add_binary_rows(t, "maximum", &xvis::maximum, [](double a, double b) { return a >= b ? a : b; }, distinct());
    add_binary_rows(t, "minimum", &xvis::minimum, [](double a, double b) { return a <= b ? a : b; }, distinct());

    // where: the condition is 0/1 and has no gradient (a constant in the gradient check).
    t.push_back(OpCase("where_bcast", {{2, 3}, {2, 3}, {3}},
                       [](const Inputs& x) { return where(x[0], x[1], x[2]); },
                       [](const Values& v) { return R::where(v[0], v[1], v[2]); })
                    .sampler(each({integers(0, 1), uniform(), uniform()}))
                    .constants({0}));
    t.push_back(OpCase("where_cond_bcast", {{2, 1}, {1, 3}, {2, 3}},
                       [](const Inputs& x) { return where(x[0], x[1], x[2]); },
                       [](const Values& v) { return R::where(v[0], v[1], v[2]); })
                    .sampler(each({integers(0, 1), uniform(), uniform()}))
                    .constants({0}));

    add_unary_row(t, "neg", [](const Node& x) { return neg(x); }, [](double x) { return -x; });
    add_unary_row(t, "exp", [](const Node& x) { return exp(x); }, [](double x) { return std::exp(x); });
    add_unary_row(t, "log", [](const Node& x) { return log(x); }, [](double x) { return std::log(x); }, uniform(0.2, 2.0));
    add_unary_row(t, "pow_3", [](const Node& x) { return pow(x, 3.0); }, [](double x) { return x * x * x; });
    add_unary_row(t, "pow_2", [](const Node& x) { return pow(x, 2.0); }, [](double x) { return x * x; });
    add_unary_row(t, "pow_1", [](const Node& x) { return pow(x, 1.0); }, [](double x) { return x; });
    add_unary_row(t, "pow_0", [](const Node& x) { return pow(x, 0.0); }, [](double) { return 1.0; });
    add_unary_row(t, "pow_0_5", [](const Node& x) { return pow(x, 0.5); }, [](double x) { return std::sqrt(x); },
                  uniform(0.5, 2.0));
    add_unary_row(t, "pow_m1_5", [](const Node& x) { return pow(x, -1.5); }, [](double x) { return 1.0 / (x * std::sqrt(x)); },
                  uniform(0.5, 2.0));
    add_unary_row(t, "abs", [](const Node& x) { return abs(x); }, [](double x) { return x < 0 ? -x : x; }, distinct());
    add_unary_row(t, "sqrt", [](const Node& x) { return sqrt(x); }, [](double x) { return std::sqrt(x); }, uniform(0.3, 2.0));
    add_unary_row(t, "square", [](const Node& x) { return square(x); }, [](double x) { return x * x; });
    add_unary_row(t, "relu", [](const Node& x) { return relu(x); }, [](double x) { return x > 0 ? x : 0.0; }, distinct());
    add_unary_row(t, "leaky_relu", [](const Node& x) { return leaky_relu(x, 0.1); },
                  [](double x) { return x > 0 ? x : 0.1 * x; }, distinct());
    add_unary_row(t, "leaky_relu_default", [](const Node& x) { return leaky_relu(x); },
                  [](double x) { return x > 0 ? x : 0.01 * x; }, distinct());
    add_unary_row(t, "sigmoid", [](const Node& x) { return sigmoid(x); }, [](double x) { return 1.0 / (1.0 + std::exp(-x)); },
                  uniform(-3, 3));
    add_unary_row(t, "tanh", [](const Node& x) { return tanh(x); }, [](double x) { return std::tanh(x); }, uniform(-2, 2));
    add_unary_row(t, "scale", [](const Node& x) { return scale(x, -2.5); }, [](double x) { return -2.5 * x; });
    add_unary_row(t, "add_scalar", [](const Node& x) { return add_scalar(x, 0.7); }, [](double x) { return x + 0.7; });

    // The scalar operators are compositions: check them together.
    t.push_back(OpCase("operators", {{2, 3}, {2, 3}},
                       [](const Inputs& x) {
                           return (2.0 - x[0]) * x[1] / 4.0 + (x[0] + 1.5) * 3.0 - (-x[1]) + 0.5 * (x[0] - 2.0) +
                                  (1.0 + x[1]) / x[0] - x[1] * 2.0;
                       },
                       [](const Values& v) {
                           return R::binary(v[0], v[1], [](double a, double b) {
                               return (2.0 - a) * b / 4.0 + (a + 1.5) * 3.0 + b + 0.5 * (a - 2.0) + (1.0 + b) / a - b * 2.0;
                           });
                       })
                    .sampler(each({signed_magnitude(0.5, 2.0), uniform()})));

    // Broadcasting helpers.
    t.push_back(OpCase("broadcast_to_row", {{3}}, [](const Inputs& x) { return broadcast_to(x[0], {2, 3}); },
                       [](const Values& v) { return R::broadcast_to(v[0], {2, 3}); }));
    t.push_back(OpCase("broadcast_to_rank3", {{2, 1}}, [](const Inputs& x) { return broadcast_to(x[0], {4, 2, 3}); },
                       [](const Values& v) { return R::broadcast_to(v[0], {4, 2, 3}); }));
    t.push_back(OpCase("broadcast_to_scalar", {{}}, [](const Inputs& x) { return broadcast_to(x[0], {2, 2}); },
                       [](const Values& v) { return R::broadcast_to(v[0], {2, 2}); }));
    t.push_back(OpCase("sum_to_row", {{2, 3}}, [](const Inputs& x) { return sum_to(x[0], {3}); },
                       [](const Values& v) { return R::sum_to(v[0], {3}); }));
    t.push_back(OpCase("sum_to_keep_axis", {{2, 3, 4}}, [](const Inputs& x) { return sum_to(x[0], {2, 1, 4}); },
                       [](const Values& v) { return R::sum_to(v[0], {2, 1, 4}); }));
    t.push_back(OpCase("sum_to_scalar", {{2, 3}}, [](const Inputs& x) { return sum_to(x[0], {}); },
                       [](const Values& v) { return R::sum_to(v[0], {}); }));

    // relu_grad(x, g, alpha) = x > 0 ? g : alpha·g (linear in g; no gradient to x, which is kept off 0).
    for (double alpha : {0.0, 0.2})
        t.push_back(OpCase(alpha == 0 ? "relu_grad" : "relu_grad_alpha", {{3, 4}, {3, 4}},
                           [alpha](const Inputs& x) { return relu_grad(x[0], x[1], alpha); },
                           [alpha](const Values& v) {
                               return R::binary(v[0], v[1], [alpha](double x, double g) { return x > 0 ? g : alpha * g; });
                           })
                        .sampler(distinct()));

    // clip(x, lo, hi) = min(max(x, lo), hi) (ONNX Clip, ReLU6), one-sided and empty bounds; clip_grad is linear
    // in g (no gradient to x, which is kept off the bounds).
    for (const auto& [name, lo, hi] : {std::tuple{"clip", -0.3, 0.4}, std::tuple{"clip_lower_only", -0.3, double(INFINITY)},
                                       std::tuple{"clip_empty_range", 0.3, -0.2}}) {
        const double l = lo, h = hi;
        t.push_back(OpCase(name, {{3, 4}}, [=](const Inputs& x) { return clip(x[0], l, h); },
                           unary_ref([=](double x) { return std::min(std::max(x, l), h); }))
                        .sampler(distinct()));
    }
    t.push_back(OpCase("clip_grad", {{3, 4}, {3, 4}}, [](const Inputs& x) { return clip_grad(x[0], x[1], -0.3, 0.4); },
                       binary_ref([](double x, double g) { return x >= -0.3 && x <= 0.4 ? g : 0.0; }))
                    .sampler(distinct()));
    t.push_back(OpCase("clip_large", {{41, 33}}, [](const Inputs& x) { return clip(x[0], 0.0, 0.5); },
                       unary_ref([](double x) { return std::min(std::max(x, 0.0), 0.5); }))
                    .sampler(distinct(0.001)));

    // Larger, odd sizes: SIMD tails and the kernels' parallel paths.
    t.push_back(OpCase("add_large_bcast", {{33, 65}, {65}}, [](const Inputs& x) { return x[0] + x[1]; },
                       binary_ref([](double a, double b) { return a + b; })));
    t.push_back(OpCase("mul_large_bcast_inner", {{17, 9, 31}, {17, 1, 31}}, [](const Inputs& x) { return x[0] * x[1]; },
                       binary_ref([](double a, double b) { return a * b; })));
    t.push_back(OpCase("div_large_bcast_outer", {{5, 130}, {5, 1}}, [](const Inputs& x) { return x[0] / x[1]; },
                       binary_ref([](double a, double b) { return a / b; }))
                    .sampler(each({uniform(), signed_magnitude(0.5, 2.0)})));
    t.push_back(OpCase("unary_chain_large", {{37, 29}},
                       [](const Inputs& x) { return tanh(exp(x[0]) * 0.5) + sigmoid(x[0]) * square(x[0]); },
                       unary_ref([](double x) { return std::tanh(std::exp(x) * 0.5) + x * x / (1.0 + std::exp(-x)); })));
    t.push_back(OpCase("relu_large", {{1000}}, [](const Inputs& x) { return relu(x[0]); },
                       unary_ref([](double x) { return x > 0 ? x : 0.0; }))
                    .sampler(distinct(0.002)));

    // No gradient: the symbolic gradient must be exactly zero.
    t.push_back(OpCase("stop_gradient", {{2, 3}}, [](const Inputs& x) { return stop_gradient(x[0]); },
                       [](const Values& v) { return v[0]; })
                    .no_gradient());
    t.push_back(OpCase("equal", {{3, 4}, {4}}, [](const Inputs& x) { return equal(x[0], x[1]); },
                       binary_ref([](double a, double b) { return a == b ? 1.0 : 0.0; }))
                    .sampler(integers(0, 2))
                    .no_gradient());
    t.push_back(OpCase("greater", {{3, 4}, {4}}, [](const Inputs& x) { return greater(x[0], x[1]); },
                       binary_ref([](double a, double b) { return a > b ? 1.0 : 0.0; }))
                    .sampler(integers(0, 2))
                    .no_gradient());
    t.push_back(OpCase("greater_equal", {{3, 4}, {4}}, [](const Inputs& x) { return greater_equal(x[0], x[1]); },
                       binary_ref([](double a, double b) { return a >= b ? 1.0 : 0.0; }))
                    .sampler(integers(0, 2))
                    .no_gradient());
    t.push_back(OpCase("sign", {{3, 4}}, [](const Inputs& x) { return sign(x[0]); },
                       unary_ref([](double x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0; }))
                    .sampler(integers(-2, 2))
                    .no_gradient());
    return t;
}

}  // namespace xvis::test
