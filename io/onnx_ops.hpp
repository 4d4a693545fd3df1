#pragma once
// The extension point of import_onnx: a table from ONNX op type to a graph builder. A builder gets one ONNX
// node as an OnnxOpNode (decoded attributes, the graph nodes of its inputs, their ONNX element types) and
// returns one graph node per ONNX output. Builders compose existing ops (autodiff/ops.hpp), so every imported
// model is differentiable without derivative code here.
//
// Values known at import (initializers of integer type, Constant nodes, Shape of a tensor, and anything
// computed only from those) arrive as constant nodes: a builder reads them with static_ints / static_value
// (Reshape's shape, Slice's starts, Clip's bounds). After a builder ran on constant inputs only, the importer
// evaluates its outputs at once (constant folding), so the differentiable graph holds only real tensor ops.
// Float initializers arrive as parameter nodes (weights: shared storage, readable with static_value too).
#include <xvis/autodiff/node.hpp>
#include <xvis/io/onnx_import.hpp>  // OnnxAttribute
#include <xvis/io/onnx_type.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace xvis {

class OnnxOpNode : public OnnxAttributes {
public:
    int opset = 13;  // of the default domain
    std::vector<std::string> input_names;  // "" for a skipped optional input
    std::vector<Node> inputs;              // invalid for a skipped optional input
    std::vector<OnnxType> input_types;
    std::vector<std::string> output_names;
    // Element type of each output; preset to input_types[0] (float32 without inputs). Builders of ops that
    // change the type (Shape, Cast, comparisons, ConstantOfShape, Constant) set it.
    std::vector<OnnxType> output_types;
    // The batch the model was exported with (dim 0 of its first input) and the batch being built: a constant
    // Reshape shape that bakes the exported batch in follows the built batch instead.
    std::size_t export_batch = 1, batch = 1;
    // The largest tensor a builder may create from import-time values (ConstantOfShape, Range, Tile, ...).
    std::size_t max_elements = std::size_t(1) << 22;

    std::size_t num_outputs() const { return output_names.size(); }

    bool has_input(std::size_t i) const { return i < inputs.size() && inputs[i].valid(); }
    // Input i; fails naming it when it is missing.
    const Node& input(std::size_t i) const;
    // True when input i's value is known at import (a constant or a weight).
    bool is_static(std::size_t i) const;
    // The value of a static input (fails naming the input and its producer when it is computed at run time).
    TensorD static_value(std::size_t i) const;
    std::vector<std::int64_t> static_ints(std::size_t i) const;  // values rounded; fails on non-integers
    double static_scalar(std::size_t i) const;                   // one value (any shape of one element)
    // Every input given is a constant (the importer then folds this node's outputs).
    bool all_static() const;
};

using OnnxOpBuilder = std::function<std::vector<Node>(OnnxOpNode&)>;

// The table import_onnx uses (ONNX op type → builder); add entries to import more ops.
std::map<std::string, OnnxOpBuilder>& onnx_op_builders();

// Helpers for builders: an axis attribute in [−rank, rank) → [0, rank) (fails naming the node otherwise).
std::size_t onnx_axis(const OnnxOpNode& n, std::int64_t axis, std::size_t rank);
// A constant node holding `values` with `shape` (exact in double).
Node onnx_constant(const Shape& shape, const std::vector<double>& values);
// Elements of `shape`, or SIZE_MAX when the product overflows (shape_size wraps around).
std::size_t onnx_checked_size(const Shape& shape);

}  // namespace xvis
