// Pattern matching for gradients()'s composite VJPs (see detail/composite_vjp.hpp).
#include <xvis/autodiff/detail/composite_vjp.hpp>
#include <xvis/autodiff/op.hpp>
#include <xvis/autodiff/ops.hpp>

#include <cmath>
#include <string>
#include <utility>

namespace xvis::detail {
namespace {

std::optional<double> scalar_constant(const Node& n) {
    if (n.kind() != NodeKind::constant || n.size() != 1) return std::nullopt;
    return n.value_double()[0];
}

// n = u ∘ k as a `plain` node (k either side) or an `inverse` one (k second), k a one-element constant that
// leaves u's shape as it is: u and the factor or shift k means (inverted for `inverse`), if finite.
std::optional<std::pair<Node, double>> constant_operand(const Node& n, const char* plain, const char* inverse,
                                                        double (*invert)(double)) {
    const std::string t = n.type();
    if (t != plain && t != inverse) return std::nullopt;
    const auto& in = n.inputs();
    for (std::size_t i : {1, 0}) {
        if (t == inverse && i == 0) break;
        const auto k = scalar_constant(in[i]);
        if (!k || in[1 - i].shape() != n.shape()) continue;
        const double v = t == inverse ? invert(*k) : *k;
        if (std::isfinite(v)) return std::make_pair(in[1 - i], v);
    }
    return std::nullopt;
}

// n = s·u: scale(u, s), u·k, k·u or u/k.
std::optional<std::pair<Node, double>> as_scaled(const Node& n) {
    if (n.kind() != NodeKind::op) return std::nullopt;
    if (n.type() == "scale") return std::make_pair(n.inputs()[0], n.op().attributes().get_double("s"));
    return constant_operand(n, "mul", "div", [](double k) { return 1.0 / k; });
}

// n = u + s: add_scalar(u, s), u + k, k + u or u − k.
std::optional<std::pair<Node, double>> as_shifted(const Node& n) {
    if (n.kind() != NodeKind::op) return std::nullopt;
    if (n.type() == "add_scalar") return std::make_pair(n.inputs()[0], n.op().attributes().get_double("s"));
    return constant_operand(n, "add", "sub", [](double k) { return -k; });
}

// Splits n into coeff · Π factors through scale / constant-multiply / same-shape mul nodes; `root` is n itself,
// every other node passed through must be used once and goes to `inner`. Stops early past 2 factors.
void split_product(const Node& n, bool root, const std::function<std::size_t(const Node&)>& uses, double& coeff,
                   std::vector<Node>& factors, std::vector<Node>& inner) {
    if (factors.size() > 2) return;
    const bool through = root || uses(n) == 1;
    if (through) {
        if (const auto s = as_scaled(n)) {
            coeff *= s->second;
            if (!root) inner.push_back(n);
            split_product(s->first, false, uses, coeff, factors, inner);
            return;
        }
        const auto& in = n.inputs();
        if (n.kind() == NodeKind::op && n.type() == "mul" && in[0].shape() == n.shape() && in[1].shape() == n.shape()) {
            if (!root) inner.push_back(n);
            split_product(in[0], false, uses, coeff, factors, inner);
            split_product(in[1], false, uses, coeff, factors, inner);
            return;
        }
    }
    factors.push_back(n);
}

// SiLU: out = x·σ(x) (either order).
std::optional<CompositeVjp> match_silu(const Node& out) {
    if (out.kind() != NodeKind::op || out.type() != "mul") return std::nullopt;
    const auto& in = out.inputs();
    for (std::size_t i : {0, 1}) {
        const Node& x = in[i];
        const Node& s = in[1 - i];
        if (s.kind() == NodeKind::op && s.type() == "sigmoid" && s.inputs()[0].same(x) && x.shape() == out.shape())
            return CompositeVjp{x, {s}, [x, s](const Node& g) { return silu_grad(x, s, g); }};
    }
    return std::nullopt;
}

// GELU: out = c·x·(k + erf(a·x)), the constants anywhere in the product (PyTorch's export: ((x·(erf(x/√2) + 1))·0.5).
std::optional<CompositeVjp> match_gelu(const Node& out, const std::function<std::size_t(const Node&)>& uses) {
    double c = 1;
    std::vector<Node> factors, inner;
    split_product(out, true, uses, c, factors, inner);
    if (factors.size() != 2) return std::nullopt;
    for (std::size_t i : {0, 1}) {
        const Node& x = factors[1 - i];
        Node t = factors[i];
        double k = 0;
        std::vector<Node> chain = inner;
        if (const auto sh = as_shifted(t)) {
            chain.push_back(t);
            k = sh->second;
            t = sh->first;
        }
        if (t.kind() != NodeKind::op || t.type() != "erf" || t.shape() != out.shape()) continue;
        const Node e = t;
        chain.push_back(e);
        Node d = e.inputs()[0];
        double a = 1;
        if (const auto sc = as_scaled(d)) {
            chain.push_back(d);
            a = sc->second;
            d = sc->first;
        }
        if (!d.same(x)) continue;
        return CompositeVjp{x, std::move(chain), [x, e, a, k, c](const Node& g) { return gelu_grad(x, e, g, a, k, c); }};
    }
    return std::nullopt;
}

}  // namespace

std::optional<CompositeVjp> match_composite_vjp(const Node& out, const std::function<std::size_t(const Node&)>& uses) {
    if (auto m = match_silu(out)) return m;
    return match_gelu(out, uses);
}

}  // namespace xvis::detail
