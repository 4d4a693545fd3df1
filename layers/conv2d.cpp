#include <xvis/autodiff/ops.hpp>
#include <xvis/layers/conv2d.hpp>

#include <stdexcept>

namespace xvis {

Conv2D::Conv2D(std::size_t filters, std::array<std::size_t, 2> kernel, Conv2DOptions options)
    : Layer(options.name, "conv2d"), filters_(filters), kernel_(kernel), o_(std::move(options)), activation_(o_.activation) {
    if (filters_ == 0 || kernel_[0] == 0 || kernel_[1] == 0 || o_.strides[0] == 0 || o_.strides[1] == 0 ||
        o_.dilation[0] == 0 || o_.dilation[1] == 0 || o_.groups == 0)
        throw std::invalid_argument("Conv2D '" + name() + "': filters, kernel, strides, dilation and groups must be >= 1");
    if (filters_ % o_.groups)
        throw std::invalid_argument("Conv2D '" + name() + "': " + std::to_string(filters_) + " filters are not divisible by " +
                                    std::to_string(o_.groups) + " groups");
}

Conv2D::Conv2D(std::size_t filters, std::array<std::size_t, 2> kernel, ActivationKind activation, Padding padding, std::string name)
    : Conv2D(filters, kernel, [&] {
          Conv2DOptions o;
          o.activation = activation;
          o.padding = padding;
          o.name = std::move(name);
          return o;
      }()) {}

Conv2D::Conv2D(std::size_t filters, std::array<std::size_t, 2> kernel, const std::string& activation, const std::string& padding,
               std::string name)
    : Conv2D(filters, kernel, from_string<ActivationKind>(activation), from_string<Padding>(padding), std::move(name)) {}

Conv2DOptions Conv2D::options() const {
    Conv2DOptions o = o_;
    o.activation = activation_;
    o.name = name();
    return o;
}

LayerNodes Conv2D::build(const std::vector<Node>& inputs, const BuildContext& ctx) {
    if (inputs.size() != 1 || inputs[0].rank() != 4)
        fail(inputs, "expected one rank-4 input (" + std::string(to_string(o_.data_format)) + ")");
    const Node x = to_channels_first(inputs[0], o_.data_format);
    const std::size_t channels = x.shape()[1];
    if (channels % o_.groups)
        fail(inputs, std::to_string(channels) + " input channels are not divisible by " + std::to_string(o_.groups) + " groups");
    kernels::Conv2dParams p;
    p.stride_h = o_.strides[0];
    p.stride_w = o_.strides[1];
    p.dilation_h = o_.dilation[0];
    p.dilation_w = o_.dilation[1];
    p.groups = o_.groups;
    if (o_.padding == Padding::same) {
        const auto ph = same_padding(x.shape()[2], kernel_[0], p.stride_h, p.dilation_h);
        const auto pw = same_padding(x.shape()[3], kernel_[1], p.stride_w, p.dilation_w);
        p.pad_top = ph.before;
        p.pad_bottom = ph.after;
        p.pad_left = pw.before;
        p.pad_right = pw.after;
    }
    const auto kernel = add_weight("kernel", {filters_, channels / o_.groups, kernel_[0], kernel_[1]}, o_.kernel_initializer, ctx.seed);
    Node y = conv2d(x, parameter(kernel, name() + "/kernel"), p);
    y.set_name(name() + "/conv2d");  // profiles and messages name the layer
    if (o_.use_bias) {
        const auto bias = add_weight("bias", {filters_}, o_.bias_initializer, ctx.seed);
        y = add(y, reshape(parameter(bias, name() + "/bias"), {filters_, 1, 1}));
    }
    y = from_channels_first(y, o_.data_format);
    return {apply_activation(y, activation_), y};
}

}  // namespace xvis
