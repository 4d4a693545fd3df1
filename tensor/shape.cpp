#include <xvis/tensor/shape.hpp>

#include <algorithm>

namespace xvis {

std::size_t shape_size(const Shape& shape) noexcept {
    std::size_t n = 1;
    for (auto e : shape) n *= e;
    return n;
}

std::string shape_to_string(const Shape& shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(shape[i]);
    }
    return s + "]";
}

std::vector<std::size_t> row_major_strides(const Shape& shape) {
    std::vector<std::size_t> strides(shape.size(), 1);
    for (std::size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * shape[i];
    return strides;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const std::string& call) {
    const std::size_t rank = std::max(a.size(), b.size());
    Shape out(rank);
    for (std::size_t i = 0; i < rank; ++i) {
        const std::size_t ea = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
        const std::size_t eb = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
        if (ea != eb && ea != 1 && eb != 1)
            throw ShapeError(call + ": shapes " + shape_to_string(a) + " and " + shape_to_string(b) +
                             " do not broadcast (axis " + std::to_string(i) + ": " + std::to_string(ea) + " vs " +
                             std::to_string(eb) + "; extents must be equal or 1)");
        out[i] = ea == 1 ? eb : ea;
    }
    return out;
}

bool broadcastable_to(const Shape& from, const Shape& to) noexcept {
    if (from.size() > to.size()) return false;
    const std::size_t off = to.size() - from.size();
    for (std::size_t i = 0; i < from.size(); ++i)
        if (from[i] != 1 && from[i] != to[off + i]) return false;
    return true;
}

std::size_t normalize_axis(std::int64_t axis, std::size_t rank, const std::string& call) {
    const auto r = static_cast<std::int64_t>(rank);
    if (axis < -r || axis >= r)
        throw ShapeError(call + ": axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank) +
                         " (expected -" + std::to_string(rank) + " <= axis < " + std::to_string(rank) + ")");
    return static_cast<std::size_t>(axis < 0 ? axis + r : axis);
}

void check_rank(const Shape& shape, const std::string& call) {
    if (shape.size() > max_rank)
        throw ShapeError(call + ": shape " + shape_to_string(shape) + " has rank " + std::to_string(shape.size()) +
                         "; xvis tensors have rank 0 to " + std::to_string(max_rank));
}

}  // namespace xvis
