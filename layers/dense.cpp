#include <xvis/autodiff/ops.hpp>
#include <xvis/layers/dense.hpp>

#include <stdexcept>

namespace xvis {

Dense::Dense(std::size_t units, ActivationKind activation, std::string name, bool use_bias, Initializer kernel_initializer)
    : Layer(std::move(name), "dense"), units_(units), activation_(activation), use_bias_(use_bias), kernel_init_(kernel_initializer) {
    if (units_ == 0) throw std::invalid_argument("Dense '" + this->name() + "': units must be >= 1");
}

Dense::Dense(std::size_t units, const std::string& activation, std::string name, bool use_bias, Initializer kernel_initializer)
    : Dense(units, from_string<ActivationKind>(activation), std::move(name), use_bias, kernel_initializer) {}

LayerNodes Dense::build(const std::vector<Node>& inputs, const BuildContext& ctx) {
    if (inputs.size() != 1 || inputs[0].rank() < 2) fail(inputs, "expected one input of rank >= 2 ([batch, ..., features])");
    const Node& x = inputs[0];
    const std::size_t in = x.shape().back();
    const auto kernel = add_weight("kernel", {in, units_}, kernel_init_, ctx.seed);
    // Rank > 2: apply over the last axis, as Keras does.
    Node flat = x.rank() == 2 ? x : reshape(x, {x.size() / in, in});
    Node y = matmul(flat, parameter(kernel, name() + "/kernel"));
    y.set_name(name() + "/matmul");  // profiles and messages name the layer
    if (use_bias_) y = add(y, parameter(add_weight("bias", {units_}, Initializer::zeros, ctx.seed), name() + "/bias"));
    if (x.rank() != 2) {
        Shape s = x.shape();
        s.back() = units_;
        y = reshape(y, s);
    }
    return {apply_activation(y, activation_), y};
}

}  // namespace xvis
