#pragma once
// Node: a handle to one vertex of the symbolic graph (an op applied to input nodes, or a leaf). Nodes are
// immutable apart from their name and are shared: the graph is whatever is reachable from the nodes you hold.
// Leaves: placeholders (fed at run time), constants (fixed values) and parameters (tensors owned elsewhere,
// e.g. by a layer, read at every run, so weights can change between runs).
// Op is only declared here: building graphs needs ops.hpp, not the op-author API (op.hpp), which op authors and
// code that inspects node.op() include themselves.
#include <xvis/tensor/tensor.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace xvis {

class Op;

enum class NodeKind { op, placeholder, constant, parameter };

struct NodeImpl;

class Node {
public:
    Node() = default;
    explicit Node(std::shared_ptr<NodeImpl> impl) : impl_(std::move(impl)) {}

    bool valid() const noexcept { return impl_ != nullptr; }
    explicit operator bool() const noexcept { return valid(); }

    std::uint64_t id() const;                  // unique, increasing in creation order
    const std::string& name() const;           // "relu_12" unless named
    Node& set_name(std::string name);          // names label messages, to_dot() and lookups
    bool has_default_name() const;             // still "<type>_<id>" (never named)
    NodeKind kind() const;
    const Shape& shape() const;
    std::size_t rank() const { return shape().size(); }
    std::size_t size() const { return shape_size(shape()); }
    const Op& op() const;                      // leaves have ops too (type "placeholder", ...)
    std::string type() const;                  // op().type(): "relu", "placeholder", ...
    const std::vector<Node>& inputs() const;
    // Value of a constant (float view, and its exact double source) or a parameter (float; shared storage).
    const Tensor& value() const;
    const TensorD& value_double() const;       // constants only
    std::shared_ptr<Tensor> parameter_storage() const;  // parameters only

    // "relu_12 [1, 64, 56, 56]", for messages.
    std::string describe() const;

    bool same(const Node& other) const noexcept { return impl_ == other.impl_; }
    const NodeImpl* impl() const noexcept { return impl_.get(); }

private:
    friend struct NodeImpl;  // releases inputs iteratively (deep graphs would overflow the stack otherwise)
    std::shared_ptr<NodeImpl> impl_;
};

// Builds a node of `op` on `inputs`: checks op's type is registered (std::logic_error naming it otherwise, see
// op_registry.hpp) and every input is valid, then infers the shape (which throws ShapeError on mismatch). An
// empty name gives "<type>_<id>".
Node make_node(std::shared_ptr<const Op> op, std::vector<Node> inputs, std::string name = {});

// The op of `node` (an op node) on other inputs, named as `node` when it was named: what graph rewrites
// (compile()'s fusions) build. Shapes are inferred again (ShapeError when the inputs do not fit the op).
Node remake_node(const Node& node, std::vector<Node> inputs);

// Leaves.
Node placeholder(Shape shape, std::string name = {});
Node constant(const Tensor& value, std::string name = {});
Node constant(const TensorD& value, std::string name = {});
Node constant(TensorD&& value, std::string name = {});  // takes the values without copying them
Node scalar(double value);                    // rank-0 constant (exact in double runs)
Node zeros(const Shape& shape);
// A trainable or fixed weight: the node reads *storage at every run; its shape is fixed at creation.
Node parameter(std::shared_ptr<Tensor> storage, std::string name = {});

}  // namespace xvis
