// ONNX element-wise ops (arithmetic with NumPy broadcasting, activations, comparisons, Where, Cast), composed
// from autodiff primitives so that their gradients come for free.
#include <xvis/autodiff/ops.hpp>
#include <xvis/io/detail/onnx_ops.hpp>

#include <cmath>
#include <functional>
#include <optional>

namespace xvis::detail {

namespace {

using Fn = std::function<Node(const Node&)>;
using Fn2 = std::function<Node(const Node&, const Node&)>;

OnnxOpBuilder unary(Fn f) {
    return [f](OnnxOpNode& n) { return std::vector<Node>{f(n.input(0))}; };
}

// A binary op; an op on two integer tensors keeps the integer type (Div then truncates when folded).
OnnxOpBuilder binary(Fn2 f) {
    return [f](OnnxOpNode& n) { return std::vector<Node>{f(n.input(0), n.input(1))}; };
}

// Sum / Max / Min / Mean: variadic, broadcasting.
OnnxOpBuilder variadic(Fn2 f, bool mean) {
    return [f, mean](OnnxOpNode& n) {
        Node acc = n.input(0);
        for (std::size_t i = 1; i < n.inputs.size(); ++i) acc = f(acc, n.input(i));
        if (mean && n.inputs.size() > 1) acc = acc / double(n.inputs.size());
        return std::vector<Node>{acc};
    };
}

// Comparisons and logic: bool outputs, no gradient.
OnnxOpBuilder compare(Fn2 f) {
    return [f](OnnxOpNode& n) {
        n.output_types.assign(1, OnnxType::boolean);
        return std::vector<Node>{f(n.input(0), n.input(1))};
    };
}

// Ops without a derivative (Floor, Ceil, Round, Not, ...) are accepted only on values known at import,
// where they are computed directly (shape arithmetic); on run-time tensors they fail naming the node.
OnnxOpBuilder static_only(std::function<double(double)> f) {
    return [f](OnnxOpNode& n) {
        if (!n.all_static() || !n.has_input(0)) n.fail("is supported only on values known at import (shape arithmetic), not on run-time tensors");
        TensorD v = n.static_value(0);
        for (auto& x : v) x = f(x);
        return std::vector<Node>{constant(v)};
    };
}

Node zero() { return scalar(0.0); }

// elu-style negative branch: alpha·(e^min(x,0) − 1). min(x, 0) keeps e^x finite where the positive branch
// is taken, so the masked gradient is 0, not 0·inf.
Node expm1_negative(const Node& x, double alpha) { return (exp(minimum(x, zero())) - 1.0) * alpha; }

Node hard_sigmoid(const Node& x, double alpha, double beta) { return clip(x * alpha + beta, 0.0, 1.0); }

std::vector<Node> clip(OnnxOpNode& n) {
    Node x = n.input(0);
    const auto bound = [&](std::size_t i, const char* attr, double fallback) -> Node {
        if (n.opset < 11) return n.has(attr) ? scalar(n.attr_float(attr, fallback)) : Node{};
        if (!n.has_input(i)) return {};
        if (n.input(i).size() != 1) n.fail(std::string(attr) + " must be a scalar, got " + shape_to_string(n.input(i).shape()));
        return n.is_static(i) ? scalar(n.static_value(i).data()[0]) : reshape(n.input(i), {});
    };
    Node lo = bound(1, "min", -INFINITY), hi = bound(2, "max", INFINITY);
    // Constant bounds (ReLU6, the hard sigmoids): one primitive, one pass each way. Run-time ones: composed.
    const auto constant_bound = [](const Node& b, double none) -> std::optional<double> {
        if (!b.valid()) return none;
        if (b.kind() == NodeKind::constant) return b.value_double()[0];
        return std::nullopt;
    };
    const auto clo = constant_bound(lo, -INFINITY), chi = constant_bound(hi, INFINITY);
    if (clo && chi && !std::isnan(*clo) && !std::isnan(*chi)) return {clip(x, *clo, *chi)};
    if (lo.valid()) x = maximum(x, lo);
    if (hi.valid()) x = minimum(x, hi);
    return {x};
}

std::vector<Node> power(OnnxOpNode& n) {
    const Node& x = n.input(0);
    if (n.is_static(1) && n.input(1).size() == 1) {
        const double p = n.static_value(1).data()[0];
        if (p == 1.0) return {x};
        if (p == 2.0) return {square(x)};
        if (p == 0.5) return {sqrt(x)};
        return {pow(x, p)};
    }
    // A run-time exponent: x^y = e^{y·ln x} (defined for x > 0, as its gradient in y is).
    return {exp(n.input(1) * log(x))};
}

std::vector<Node> cast(OnnxOpNode& n) {
    const auto to = static_cast<OnnxType>(n.attr_int("to", 1));
    if (to == OnnxType::string) n.fail("cast to string is not supported");
    n.output_types.assign(1, to);
    const Node& x = n.input(0);
    // Float → integer truncates: exact on constants (folded); on run-time floats it would need a rounding op.
    if (is_integral(to) && !is_integral(n.input_types[0]) && !n.all_static())
        n.fail("casting a run-time float tensor to " + to_string(to) + " is not supported (it has no gradient)");
    if (n.all_static()) return {constant(n.static_value(0))};
    return {x};
}

std::vector<Node> dropout(OnnxOpNode& n) {
    // Inference: the identity; the optional mask output is all ones.
    // Training mode drops at random unless the ratio is 0 (torchvision's Swin exports attention dropout so).
    const bool training = n.opset >= 12 && n.has_input(2) && (!n.is_static(2) || n.static_scalar(2) != 0);
    const double ratio = n.has_input(1) && n.is_static(1) ? n.static_scalar(1) : n.opset < 12 ? n.attr_float("ratio", 0.5) : 0.5;
    if (!(ratio >= 0 && ratio < 1)) n.fail("ratio " + std::to_string(ratio).substr(0, 6) + " is outside [0, 1)");
    if (training && ratio != 0)
        n.fail("training_mode is on with ratio " + std::to_string(ratio) + ": xvis runs models at inference");
    std::vector<Node> out{n.input(0)};
    if (n.num_outputs() > 1) {
        TensorD ones(n.input(0).shape());
        std::fill(ones.begin(), ones.end(), 1.0);
        out.push_back(constant(ones));
        n.output_types.at(1) = OnnxType::boolean;
    }
    return out;
}

}  // namespace

void register_onnx_elementwise_ops(OnnxOpTable& t) {
    t["Add"] = binary([](const Node& a, const Node& b) { return a + b; });
    t["Sub"] = binary([](const Node& a, const Node& b) { return a - b; });
    t["Mul"] = binary([](const Node& a, const Node& b) { return a * b; });
    t["Div"] = binary([](const Node& a, const Node& b) { return a / b; });
    t["Pow"] = power;
    t["Sum"] = variadic([](const Node& a, const Node& b) { return a + b; }, false);
    t["Mean"] = variadic([](const Node& a, const Node& b) { return a + b; }, true);
    t["Max"] = variadic([](const Node& a, const Node& b) { return maximum(a, b); }, false);
    t["Min"] = variadic([](const Node& a, const Node& b) { return minimum(a, b); }, false);
    t["Sqrt"] = unary([](const Node& x) { return sqrt(x); });
    t["Exp"] = unary([](const Node& x) { return exp(x); });
    t["Log"] = unary([](const Node& x) { return log(x); });
    t["Neg"] = unary([](const Node& x) { return neg(x); });
    t["Abs"] = unary([](const Node& x) { return abs(x); });
    t["Reciprocal"] = unary([](const Node& x) { return scalar(1.0) / x; });
    t["Sign"] = unary([](const Node& x) { return sign(x); });
    t["Identity"] = unary([](const Node& x) { return x; });
    t["Dropout"] = dropout;
    t["Relu"] = unary([](const Node& x) { return relu(x); });
    t["Sigmoid"] = unary([](const Node& x) { return sigmoid(x); });
    t["Tanh"] = unary([](const Node& x) { return tanh(x); });
    t["Erf"] = unary([](const Node& x) { return erf(x); });
    t["Softsign"] = unary([](const Node& x) { return x / (abs(x) + 1.0); });
    // softplus(x) = ln(1 + e^x), taken as x past 20 (where they agree in float) so e^x never overflows; smooth
    // at 0 (a max(x, 0) + ln(1 + e^{−|x|}) form has the kinks of relu and |x| there, and a wrong gradient).
    t["Softplus"] = unary([](const Node& x) {
        return where(greater(x, scalar(20.0)), x, log(exp(minimum(x, scalar(20.0))) + 1.0));
    });
    t["LeakyRelu"] = [](OnnxOpNode& n) { return std::vector<Node>{leaky_relu(n.input(0), n.attr_float("alpha", 0.01))}; };
    // prelu(x) = max(x, 0) + slope·min(x, 0), slope broadcast (per channel: [C, 1, 1]).
    t["PRelu"] = [](OnnxOpNode& n) {
        const Node& x = n.input(0);
        Node slope = n.input(1);
        // Per-channel slopes written as [C] (older exporters) apply to axis 1, not the last axis.
        if (slope.rank() == 1 && x.rank() > 2 && slope.size() > 1 && slope.size() == x.shape()[1] && slope.size() != x.shape().back()) {
            Shape s(x.rank() - 1, 1);
            s[0] = slope.size();
            slope = reshape(slope, s);
        }
        return std::vector<Node>{relu(x) + slope * minimum(x, zero())};
    };
    t["Elu"] = [](OnnxOpNode& n) {
        return std::vector<Node>{relu(n.input(0)) + expm1_negative(n.input(0), n.attr_float("alpha", 1.0))};
    };
    t["Celu"] = [](OnnxOpNode& n) {
        const double a = n.attr_float("alpha", 1.0);
        return std::vector<Node>{relu(n.input(0)) + expm1_negative(n.input(0) / a, a)};
    };
    t["Selu"] = [](OnnxOpNode& n) {
        const double alpha = n.attr_float("alpha", 1.67326319217681884765625), gamma = n.attr_float("gamma", 1.05070102214813232421875);
        return std::vector<Node>{(relu(n.input(0)) + expm1_negative(n.input(0), alpha)) * gamma};
    };
    t["HardSigmoid"] = [](OnnxOpNode& n) {
        return std::vector<Node>{hard_sigmoid(n.input(0), n.attr_float("alpha", 0.2), n.attr_float("beta", 0.5))};
    };
    t["HardSwish"] = unary([](const Node& x) { return x * hard_sigmoid(x, 1.0 / 6.0, 0.5); });
    t["Clip"] = clip;
    t["Equal"] = compare([](const Node& a, const Node& b) { return equal(a, b); });
    t["Greater"] = compare([](const Node& a, const Node& b) { return greater(a, b); });
    t["GreaterOrEqual"] = compare([](const Node& a, const Node& b) { return greater_equal(a, b); });
    t["Less"] = compare([](const Node& a, const Node& b) { return greater(b, a); });
    t["LessOrEqual"] = compare([](const Node& a, const Node& b) { return greater_equal(b, a); });
    t["And"] = compare([](const Node& a, const Node& b) { return a * b; });
    t["Or"] = compare([](const Node& a, const Node& b) { return greater(a + b, zero()); });
    t["Xor"] = compare([](const Node& a, const Node& b) { return greater(abs(a - b), zero()); });
    t["Not"] = [](OnnxOpNode& n) {
        n.output_types.assign(1, OnnxType::boolean);
        return std::vector<Node>{equal(n.input(0), zero())};
    };
    t["Where"] = [](OnnxOpNode& n) {
        n.output_types.assign(1, n.input_types.at(1));
        return std::vector<Node>{where(n.input(0), n.input(1), n.input(2))};
    };
    t["Cast"] = cast;
    t["Floor"] = static_only([](double x) { return std::floor(x); });
    t["Ceil"] = static_only([](double x) { return std::ceil(x); });
    t["Round"] = static_only([](double x) { return std::nearbyint(x); });  // half to even, as ONNX
    // Mod: import-time values only (Swin's window masks); fmod = 0 takes the divisor's sign, as Python.
    t["Mod"] = [](OnnxOpNode& n) {
        if (!n.all_static()) n.fail("is supported only on values known at import (shape arithmetic), not on run-time tensors");
        const TensorD a = n.static_value(0), b = n.static_value(1);
        const Shape s = broadcast_shapes(a.shape(), b.shape(), "Mod");
        const bool c_style = n.attr_int("fmod", 0) != 0;
        TensorD out(s);
        const auto at = [&](const TensorD& t, std::size_t flat) {  // broadcast read
            std::size_t idx = 0, stride = 1;
            for (std::size_t d = s.size(); d-- > 0;) {
                const std::size_t coord = flat % s[d];
                flat /= s[d];
                const std::size_t td = d + t.rank() - s.size();
                if (d + t.rank() >= s.size() && t.shape()[td] != 1) idx += coord * stride;
                if (d + t.rank() >= s.size()) stride *= t.shape()[td];
            }
            return t.data()[idx];
        };
        for (std::size_t i = 0; i < out.size(); ++i) {
            const double x = at(a, i), y = at(b, i);
            if (y == 0) n.fail("division by zero");
            double r = std::fmod(x, y);
            if (!c_style && r != 0 && ((r < 0) != (y < 0))) r += y;
            out.data()[i] = r;
        }
        return std::vector<Node>{constant(out)};
    };
}

}  // namespace xvis::detail
