#include <xvis/autodiff/ops.hpp>
#include <xvis/layers/batch_normalization.hpp>

#include <stdexcept>

namespace xvis {

BatchNormalization::BatchNormalization(double epsilon, DataFormat format, std::string name)
    : Layer(std::move(name), "batch_normalization"), epsilon_(epsilon), format_(format) {
    if (!(epsilon_ > 0)) throw std::invalid_argument("BatchNormalization '" + this->name() + "': epsilon must be > 0");
}

LayerNodes BatchNormalization::build(const std::vector<Node>& inputs, const BuildContext& ctx) {
    if (inputs.size() != 1 || inputs[0].rank() < 2) fail(inputs, "expected one input of rank >= 2");
    const Node& x = inputs[0];
    const std::size_t axis = channel_axis(x.rank(), format_);
    const std::size_t c = x.shape()[axis];
    const Node gamma = parameter(add_weight("gamma", {c}, Initializer::ones, ctx.seed), name() + "/gamma");
    const Node beta = parameter(add_weight("beta", {c}, Initializer::zeros, ctx.seed), name() + "/beta");
    const Node mean = parameter(add_weight("moving_mean", {c}, Initializer::zeros, ctx.seed), name() + "/moving_mean");
    const Node var = parameter(add_weight("moving_variance", {c}, Initializer::ones, ctx.seed), name() + "/moving_variance");
    // Folded per channel on [C] (cheap), then one multiply-add over the activation.
    const Node scale_c = div(gamma, sqrt(add_scalar(var, epsilon_)));
    const Node shift_c = sub(beta, mul(mean, scale_c));
    Shape bshape(x.rank() - axis, 1);
    bshape[0] = c;
    return {add(mul(x, reshape(scale_c, bshape)), reshape(shift_c, bshape))};
}

}  // namespace xvis
