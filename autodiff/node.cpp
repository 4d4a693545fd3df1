#include <xvis/autodiff/node.hpp>
#include <xvis/autodiff/op.hpp>

#include <atomic>
#include <stdexcept>

namespace xvis {

struct NodeImpl {
    std::uint64_t id;
    std::string name;
    NodeKind kind;
    std::shared_ptr<const Op> op;
    std::vector<Node> inputs;
    Shape shape;
    Tensor value;                       // constants: float view
    TensorD value_double;               // constants: exact source
    std::shared_ptr<Tensor> parameter;  // parameters: shared storage

    // Releasing a long chain recursively would exhaust the stack (a 300k-node chain did): inputs that this
    // node holds the last reference to are taken apart on an explicit stack instead.
    ~NodeImpl() {
        std::vector<std::shared_ptr<NodeImpl>> pending;
        for (auto& in : inputs) pending.push_back(std::move(in.impl_));
        while (!pending.empty()) {
            std::shared_ptr<NodeImpl> p = std::move(pending.back());
            pending.pop_back();
            if (p && p.use_count() == 1)
                for (auto& in : p->inputs) pending.push_back(std::move(in.impl_));
        }
    }
};

namespace {

std::atomic<std::uint64_t> next_id{1};

// Leaf ops: the executor binds their values; they are never run and have no inputs to differentiate.
class LeafOp : public OpImpl<LeafOp> {
public:
    explicit LeafOp(const char* type) : type_(type) {}
    std::string type() const override { return type_; }
    Shape infer_shape(const std::vector<Node>&) const override {
        throw std::logic_error("leaf op has no inferred shape");
    }
    template <class T>
    void compute(const OpArgs<T>&) const {
        throw std::logic_error(std::string("leaf op '") + type_ + "' is bound, not run");
    }
    std::vector<Node> vjp(const Node&, const Node&) const override { return {}; }

private:
    const char* type_;
};

const std::shared_ptr<const Op>& leaf_op(NodeKind kind) {
    static const std::shared_ptr<const Op> placeholder_op = std::make_shared<LeafOp>("placeholder");
    static const std::shared_ptr<const Op> constant_op = std::make_shared<LeafOp>("constant");
    static const std::shared_ptr<const Op> parameter_op = std::make_shared<LeafOp>("parameter");
    return kind == NodeKind::placeholder ? placeholder_op : kind == NodeKind::constant ? constant_op : parameter_op;
}

std::shared_ptr<NodeImpl> new_impl(NodeKind kind, std::shared_ptr<const Op> op, Shape shape, std::string name) {
    auto impl = std::make_shared<NodeImpl>();
    impl->id = next_id.fetch_add(1, std::memory_order_relaxed);
    impl->kind = kind;
    impl->op = std::move(op);
    impl->shape = std::move(shape);
    impl->name = name.empty() ? impl->op->type() + "_" + std::to_string(impl->id) : std::move(name);
    return impl;
}

const NodeImpl& checked(const std::shared_ptr<NodeImpl>& impl) {
    if (!impl) throw std::logic_error("xvis::Node: use of an empty (invalid) node");
    return *impl;
}

}  // namespace

std::uint64_t Node::id() const { return checked(impl_).id; }
const std::string& Node::name() const { return checked(impl_).name; }
bool Node::has_default_name() const {
    const auto& impl = checked(impl_);
    return impl.name == impl.op->type() + "_" + std::to_string(impl.id);
}
Node& Node::set_name(std::string name) {
    checked(impl_);
    if (name.empty()) throw std::invalid_argument("Node::set_name: empty name for " + describe());
    impl_->name = std::move(name);
    return *this;
}
NodeKind Node::kind() const { return checked(impl_).kind; }
const Shape& Node::shape() const { return checked(impl_).shape; }
const Op& Node::op() const { return *checked(impl_).op; }
std::string Node::type() const { return op().type(); }
const std::vector<Node>& Node::inputs() const { return checked(impl_).inputs; }

const Tensor& Node::value() const {
    const auto& n = checked(impl_);
    if (n.kind == NodeKind::parameter) return *n.parameter;
    if (n.kind != NodeKind::constant) throw std::logic_error("Node::value: " + describe() + " is not a constant or parameter");
    return n.value;
}
const TensorD& Node::value_double() const {
    const auto& n = checked(impl_);
    if (n.kind != NodeKind::constant) throw std::logic_error("Node::value_double: " + describe() + " is not a constant");
    return n.value_double;
}
std::shared_ptr<Tensor> Node::parameter_storage() const {
    const auto& n = checked(impl_);
    if (n.kind != NodeKind::parameter) throw std::logic_error("Node::parameter_storage: " + describe() + " is not a parameter");
    return n.parameter;
}

std::string Node::describe() const {
    if (!impl_) return "<invalid node>";
    return "'" + impl_->name + "' " + shape_to_string(impl_->shape);
}

Node make_node(std::shared_ptr<const Op> op, std::vector<Node> inputs, std::string name) {
    if (!op) throw std::invalid_argument("make_node: null op");
    check_op_type_registered(op->type(), "make_node");  // an op is usable only once registered (and tested)
    for (std::size_t i = 0; i < inputs.size(); ++i)
        if (!inputs[i].valid())
            throw std::invalid_argument(op->type() + ": input " + std::to_string(i) + " is an empty (invalid) node");
    Shape shape = op->infer_shape(inputs);
    check_rank(shape, op->type());
    auto impl = new_impl(NodeKind::op, std::move(op), std::move(shape), std::move(name));
    impl->inputs = std::move(inputs);
    return Node(std::move(impl));
}

Node remake_node(const Node& node, std::vector<Node> inputs) {
    if (!node.valid() || node.kind() != NodeKind::op)
        throw std::invalid_argument("remake_node: " + node.describe() + " is not an op node");
    return make_node(node.impl()->op, std::move(inputs), node.has_default_name() ? std::string() : node.name());
}

Node placeholder(Shape shape, std::string name) {
    check_rank(shape, "placeholder");
    return Node(new_impl(NodeKind::placeholder, leaf_op(NodeKind::placeholder), std::move(shape), std::move(name)));
}

Node constant(const TensorD& value, std::string name) {
    auto impl = new_impl(NodeKind::constant, leaf_op(NodeKind::constant), value.shape(), std::move(name));
    impl->value_double = value;
    impl->value = value.cast<float>();
    return Node(std::move(impl));
}

Node constant(TensorD&& value, std::string name) {
    Shape shape = value.shape();
    auto impl = new_impl(NodeKind::constant, leaf_op(NodeKind::constant), std::move(shape), std::move(name));
    impl->value = value.cast<float>();
    impl->value_double = std::move(value);
    return Node(std::move(impl));
}

Node constant(const Tensor& value, std::string name) {
    auto impl = new_impl(NodeKind::constant, leaf_op(NodeKind::constant), value.shape(), std::move(name));
    impl->value = value;
    impl->value_double = value.cast<double>();
    return Node(std::move(impl));
}

Node scalar(double value) { return constant(TensorD::scalar(value), {}); }
Node zeros(const Shape& shape) { return constant(TensorD(shape, 0.0), {}); }

Node parameter(std::shared_ptr<Tensor> storage, std::string name) {
    if (!storage) throw std::invalid_argument("parameter: null storage for '" + name + "'");
    auto impl = new_impl(NodeKind::parameter, leaf_op(NodeKind::parameter), storage->shape(), std::move(name));
    impl->parameter = std::move(storage);
    return Node(std::move(impl));
}

}  // namespace xvis
