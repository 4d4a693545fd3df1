#pragma once
// Op: the unit of the graph. Each op states its output shape (checked when a node is built), computes its
// forward pass on raw buffers in float or double, and gives its vector-Jacobian product as new graph nodes,
// so gradients are themselves differentiable. Forward, VJP, typed attributes and the op-type registration of
// each op live side by side in one autodiff/ops_*.cpp (see docs/autodiff.md, "Adding an op").
#include <xvis/autodiff/op_attributes.hpp>
#include <xvis/autodiff/op_registry.hpp>
#include <xvis/tensor/shape.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace xvis {

class Node;

// Buffers of one forward call. Inputs are read-only and never alias the output (unless alias_of() says so,
// in which case forward is not called at all).
template <class T>
struct OpArgs {
    const T* const* inputs;
    const Shape* const* input_shapes;
    std::size_t num_inputs;
    T* output;
    const Shape* output_shape;
    T* workspace;  // workspace_size() elements
    const T* prepared = nullptr;  // prepare()'s output for this input (see Op::prepared_input), or null

    const T* in(std::size_t i) const { return inputs[i]; }
    const Shape& in_shape(std::size_t i) const { return *input_shapes[i]; }
    const Shape& out_shape() const { return *output_shape; }
};

class Op {
public:
    virtual ~Op() = default;
    // Op type, e.g. "relu": the key of gradient overrides, shown in messages and to_dot(). make_node() only
    // builds registered types (op_registry.hpp).
    virtual std::string type() const = 0;
    // Everything the op was built with besides its inputs, typed and exact (doubles unrounded), e.g. conv2d's
    // stride [2, 2], pad [1, 1, 1, 1], dilation [1, 1], groups 1. to_string() gives the display form.
    virtual OpAttributes attributes() const { return OpAttributes(type()); }
    // Output shape for these inputs; throws ShapeError naming type(), the input nodes and their shapes.
    virtual Shape infer_shape(const std::vector<Node>& inputs) const = 0;
    // Scratch elements forward() needs (allocated once per compiled function).
    virtual std::size_t workspace_size(const std::vector<Shape>& /*inputs*/, const Shape& /*output*/) const { return 0; }
    virtual void forward(const OpArgs<float>& args) const = 0;
    virtual void forward(const OpArgs<double>& args) const = 0;
    // Vector-Jacobian product: for output node `out` (whose inputs are out.inputs()) and incoming gradient
    // `grad` (out's shape), one gradient per input. An invalid Node means "no gradient" (zero, or an input
    // that is not differentiable). A gradient may have out's shape where the input was broadcast: the engine
    // reduces it to the input's shape (sum_to), once, for every op.
    virtual std::vector<Node> vjp(const Node& out, const Node& grad) const = 0;
    // Index of the input whose buffer the output shares (pure views: reshape, stop_gradient), or -1.
    virtual int alias_of() const { return -1; }

    // Prepared input (as ONNX Runtime's PrePack): what forward() derives from input prepared_input() alone on
    // every call, e.g. Winograd's transformed filters from a convolution's weights. When that input is a
    // constant or a parameter, a compiled function that runs more than once calls prepare() into a buffer of
    // prepared_size() elements that it keeps, again whenever the parameter's contents change, and passes the
    // buffer as args.prepared; otherwise args.prepared is null and forward() derives what it needs itself. The
    // two may differ by rounding (a prepared convolution can take another algorithm), never by more.
    virtual int prepared_input() const { return -1; }
    virtual std::size_t prepared_size(const std::vector<Shape>& /*inputs*/, const Shape& /*output*/) const { return 0; }
    virtual void prepare(const float* /*input*/, float* /*prepared*/) const {}
    virtual void prepare(const double* /*input*/, double* /*prepared*/) const {}
};

// Writes forward() once, as a template over the scalar type: derive as `struct MyOp : OpImpl<MyOp>` and give
// `template <class T> void compute(const OpArgs<T>&) const`.
template <class Derived>
class OpImpl : public Op {
public:
    void forward(const OpArgs<float>& a) const final { static_cast<const Derived*>(this)->compute(a); }
    void forward(const OpArgs<double>& a) const final { static_cast<const Derived*>(this)->compute(a); }
};

}  // namespace xvis
