#include <xvis/autodiff/op_support.hpp>

namespace xvis {

void throw_op_error(const std::string& type, const std::vector<Node>& inputs, const std::string& what) {
    std::string s = type + ": ";
    if (!inputs.empty()) {
        s += inputs.size() == 1 ? "input " : "inputs ";
        for (std::size_t i = 0; i < inputs.size(); ++i) s += (i ? ", " : "") + inputs[i].describe();
        s += ": ";
    }
    throw ShapeError(s + what);
}

void expect_num_inputs(const std::string& type, const std::vector<Node>& inputs, std::size_t n) {
    if (inputs.size() != n)
        throw_op_error(type, inputs, "expected " + std::to_string(n) + " inputs, got " + std::to_string(inputs.size()));
}

void expect_rank(const std::string& type, const std::vector<Node>& inputs, std::size_t i, std::size_t rank) {
    if (inputs[i].rank() != rank)
        throw_op_error(type, inputs, "input " + std::to_string(i) + " must have rank " + std::to_string(rank) +
                                         ", has rank " + std::to_string(inputs[i].rank()));
}

std::uint32_t axes_mask(const std::string& type, const std::vector<Node>& inputs, const std::vector<std::int64_t>& axes,
                        std::size_t rank) {
    if (axes.empty()) return rank == 0 ? 0u : static_cast<std::uint32_t>((1u << rank) - 1);
    std::uint32_t mask = 0;
    for (auto a : axes) {
        const auto r = static_cast<std::int64_t>(rank);
        if (a < -r || a >= r)
            throw_op_error(type, inputs, "axis " + std::to_string(a) + " out of range for rank " + std::to_string(rank) +
                                             " (axes " + list_to_string(axes) + ")");
        const auto n = static_cast<std::size_t>(a < 0 ? a + r : a);
        if (mask & (1u << n)) throw_op_error(type, inputs, "axis " + std::to_string(a) + " repeated in " + list_to_string(axes));
        mask |= 1u << n;
    }
    return mask;
}

template <class V>
static std::string join(const V& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s + "]";
}
std::string list_to_string(const std::vector<std::int64_t>& v) { return join(v); }
std::string list_to_string(const std::vector<std::size_t>& v) { return join(v); }

}  // namespace xvis
