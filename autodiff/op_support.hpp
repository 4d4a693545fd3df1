#pragma once
// Helpers for writing ops: uniform error messages that name the op, its input nodes and their shapes.
#include <xvis/autodiff/node.hpp>
#include <xvis/autodiff/op.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace xvis {

// Throws ShapeError: "<type>: inputs 'a' [2, 3], 'b' [4]: <what>".
[[noreturn]] void throw_op_error(const std::string& type, const std::vector<Node>& inputs, const std::string& what);
// Checks the input count.
void expect_num_inputs(const std::string& type, const std::vector<Node>& inputs, std::size_t n);
// Checks input i has the given rank.
void expect_rank(const std::string& type, const std::vector<Node>& inputs, std::size_t i, std::size_t rank);
// Bit mask of normalized axes (empty = all axes); throws on out-of-range or repeated axes.
std::uint32_t axes_mask(const std::string& type, const std::vector<Node>& inputs, const std::vector<std::int64_t>& axes,
                        std::size_t rank);
// "[0, 2]" for vectors of integers.
std::string list_to_string(const std::vector<std::int64_t>& v);
std::string list_to_string(const std::vector<std::size_t>& v);

}  // namespace xvis
