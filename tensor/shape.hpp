#pragma once
// Shapes: a list of extents, row-major. Helpers used by kernels, ops and error messages.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace xvis {

using Shape = std::vector<std::size_t>;
inline constexpr std::size_t max_rank = 6;

// Thrown for every shape or argument mismatch; the message names the call, the shapes and what was expected.
class ShapeError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

// Product of the extents (1 for rank 0).
std::size_t shape_size(const Shape& shape) noexcept;
// "[2, 3, 4]"; "[]" for a scalar.
std::string shape_to_string(const Shape& shape);
// Row-major element strides: strides[i] = prod(shape[i+1:]).
std::vector<std::size_t> row_major_strides(const Shape& shape);
// NumPy broadcasting of two shapes (aligned at the right; extents equal or one of them 1).
// Throws ShapeError naming `call` and both shapes.
Shape broadcast_shapes(const Shape& a, const Shape& b, const std::string& call);
// True when `from` broadcasts to `to` (NumPy rules).
bool broadcastable_to(const Shape& from, const Shape& to) noexcept;
// Maps axis in [-rank, rank) to [0, rank); throws ShapeError naming `call` otherwise.
std::size_t normalize_axis(std::int64_t axis, std::size_t rank, const std::string& call);
// Throws ShapeError naming `call` when rank > max_rank.
void check_rank(const Shape& shape, const std::string& call);

}  // namespace xvis
