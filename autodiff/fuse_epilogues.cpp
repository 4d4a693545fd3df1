#include <xvis/autodiff/fuse_epilogues.hpp>
#include <xvis/autodiff/op.hpp>
#include <xvis/autodiff/ops.hpp>
#include <xvis/autodiff/topo.hpp>

#include <unordered_map>
#include <unordered_set>

namespace xvis {
namespace {

using Key = const NodeImpl*;

kernels::Conv2dParams conv_params_of(const Node& conv) {
    const OpAttributes a = conv.op().attributes();
    const auto& s = a.get_ints("stride");
    const auto& p = a.get_ints("pad");
    const auto& d = a.get_ints("dilation");
    kernels::Conv2dParams c;
    c.stride_h = std::size_t(s[0]), c.stride_w = std::size_t(s[1]);
    c.pad_top = std::size_t(p[0]), c.pad_bottom = std::size_t(p[1]), c.pad_left = std::size_t(p[2]), c.pad_right = std::size_t(p[3]);
    c.dilation_h = std::size_t(d[0]), c.dilation_w = std::size_t(d[1]);
    c.groups = std::size_t(a.get_int("groups"));
    return c;
}

bool is_channel_bias(const Shape& b, const Shape& y) {
    if (b.size() < 3 || b.size() > 4 || y.size() != 4 || b[b.size() - 3] != y[1]) return false;
    return b[b.size() - 1] == 1 && b[b.size() - 2] == 1 && (b.size() == 3 || b[0] == 1) && b != y;
}

bool is_plain_relu_grad(const Node& n) {
    return n.type() == "relu_grad" && n.op().attributes().get_double("alpha") == 0.0 && n.inputs()[0].shape() == n.shape() &&
           n.inputs()[1].shape() == n.shape();
}

// Whether n is an activation's VJP that a backward-data convolution can end with (its gradient operand last,
// every operand of n's shape), and which.
bool activation_vjp_of(const Node& n, ActivationVjp& act) {
    const std::string t = n.type();
    if (t == "relu_grad") {
        act.kind = ActivationVjp::Kind::relu;
        return is_plain_relu_grad(n);
    }
    const OpAttributes a = n.op().attributes();
    if (t == "clip_grad") act.kind = ActivationVjp::Kind::clip, act.lo = a.get_double("lo"), act.hi = a.get_double("hi");
    else if (t == "silu_grad") act.kind = ActivationVjp::Kind::silu;
    else if (t == "gelu_grad") act.kind = ActivationVjp::Kind::gelu, act.a = a.get_double("a"), act.k = a.get_double("k"), act.c = a.get_double("c");
    else return false;
    for (const Node& in : n.inputs())
        if (in.shape() != n.shape()) return false;
    return true;
}

class Fuser {
public:
    explicit Fuser(const std::vector<Node>& outputs) : order_(topological_order(outputs)) {
        for (const Node& o : outputs) pinned_.insert(o.impl());
        for (const Node& n : order_)
            if (n.type() == "relu" && !relu_of_.count(n.inputs()[0].impl())) relu_of_[n.inputs()[0].impl()] = n;
        for (const Node& n : order_)
            for (std::size_t i = 0; i < n.inputs().size(); ++i) ++uses_[mask_source(n, i).impl()];
    }

    std::vector<Node> run(const std::vector<Node>& outputs) {
        for (const Node& n : order_) {
            if (n.kind() != NodeKind::op) continue;
            ActivationVjp act;
            Node fused = activation_vjp_of(n, act) ? fuse_backward(n, act) : fuse_forward(n);
            if (!fused) {
                std::vector<Node> in;
                bool changed = false;
                for (std::size_t i = 0; i < n.inputs().size(); ++i) {
                    in.push_back(mapped(mask_source(n, i)));
                    changed = changed || !in.back().same(n.inputs()[i]);
                }
                if (!changed) continue;
                fused = remake_node(n, std::move(in));
            }
            map_[n.impl()] = fused;
        }
        std::vector<Node> out;
        for (const Node& o : outputs) out.push_back(mapped(o));
        return out;
    }

private:
    // Input i of n as the rewritten graph reads it: ReLU's VJP takes its mask from the ReLU's output.
    Node mask_source(const Node& n, std::size_t i) const {
        const Node& in = n.inputs()[i];
        if (i == 0 && is_plain_relu_grad(n)) {
            auto it = relu_of_.find(in.impl());
            if (it != relu_of_.end()) return it->second;
        }
        return in;
    }
    Node mapped(const Node& n) const {
        auto it = map_.find(n.impl());
        return it == map_.end() ? n : it->second;
    }
    // Read by one node only, and not an output: its value need not exist on its own.
    bool internal(const Node& n) const {
        auto it = uses_.find(n.impl());
        return it != uses_.end() && it->second == 1 && !pinned_.count(n.impl());
    }
    static Node named(Node fused, const Node& top, const Node& conv) {
        if (!top.has_default_name()) fused.set_name(top.name());
        else if (!conv.has_default_name()) fused.set_name(conv.name());
        return fused;
    }

    // relu?(add?(add?(conv2d, bias), residual)) with every node under `top` internal.
    Node fuse_forward(const Node& top) const {
        Node t = top;
        const bool relu = t.type() == "relu";
        if (relu) {
            t = t.inputs()[0];
            if (!internal(t)) return {};
        }
        Node conv, bias, residual;
        // a = add(conv2d, bias) (or add(bias, conv2d)): sets conv and bias.
        const auto with_bias = [&](const Node& a) {
            if (a.type() != "add") return false;
            for (int side = 0; side < 2; ++side) {
                const Node& c = a.inputs()[side];
                const Node& b = a.inputs()[1 - side];
                if (c.type() == "conv2d" && internal(c) && c.shape() == a.shape() && is_channel_bias(b.shape(), a.shape())) {
                    conv = c, bias = b;
                    return true;
                }
            }
            return false;
        };
        if (t.type() == "conv2d") {
            if (!relu) return {};
            conv = t;
        } else if (!with_bias(t)) {
            if (t.type() != "add") return {};
            for (int side = 0; side < 2 && !conv; ++side) {  // add(conv2d or add(conv2d, bias), residual)
                const Node& a = t.inputs()[side];
                const Node& r = t.inputs()[1 - side];
                if (a.shape() != t.shape() || r.shape() != t.shape() || !internal(a)) continue;
                if (a.type() == "conv2d" || with_bias(a)) {
                    if (!conv) conv = a;
                    residual = r;
                }
            }
            if (!conv) return {};
        }
        const Node fused = conv2d_fused(mapped(conv.inputs()[0]), mapped(conv.inputs()[1]), bias ? mapped(bias) : Node(),
                                        residual ? mapped(residual) : Node(), conv_params_of(conv), relu);
        return named(fused, top, conv);
    }

    // act_vjp(aux..., conv2d_backward_data(dy, w) [+ residual]) with the inner nodes internal.
    Node fuse_backward(const Node& top, const ActivationVjp& act) const {
        const Node& g = top.inputs().back();
        if (!internal(g)) return {};
        Node bwd, residual;
        if (g.type() == "conv2d_backward_data") {
            bwd = g;
        } else if (g.type() == "add") {
            for (int side = 0; side < 2 && !bwd; ++side) {
                const Node& c = g.inputs()[side];
                if (c.type() == "conv2d_backward_data" && internal(c) && c.shape() == g.shape() && g.inputs()[1 - side].shape() == g.shape())
                    bwd = c, residual = g.inputs()[1 - side];
            }
        }
        if (!bwd) return {};
        std::vector<Node> aux;
        for (std::size_t i = 0; i + 1 < top.inputs().size(); ++i) aux.push_back(mapped(mask_source(top, i)));
        const Node fused = conv2d_backward_data_fused(mapped(bwd.inputs()[0]), mapped(bwd.inputs()[1]), residual ? mapped(residual) : Node(),
                                                      aux, bwd.shape(), conv_params_of(bwd), act);
        return named(fused, top, bwd);
    }

    std::vector<Node> order_;
    std::unordered_set<Key> pinned_;
    std::unordered_map<Key, Node> relu_of_;
    std::unordered_map<Key, std::size_t> uses_;
    std::unordered_map<Key, Node> map_;
};

}  // namespace

std::vector<Node> fuse_epilogues(const std::vector<Node>& outputs) { return Fuser(outputs).run(outputs); }

}  // namespace xvis
