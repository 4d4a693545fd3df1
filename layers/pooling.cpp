#include <xvis/autodiff/ops.hpp>
#include <xvis/layers/pooling.hpp>

#include <stdexcept>

namespace xvis {

Pooling2D::Pooling2D(bool is_max, std::array<std::size_t, 2> pool_size, std::array<std::size_t, 2> strides, Padding padding,
                     DataFormat format, std::string name, const char* prefix)
    : Layer(std::move(name), prefix), max_(is_max), pool_(pool_size), strides_(strides), padding_(padding), format_(format) {
    if (strides_[0] == 0 && strides_[1] == 0) strides_ = pool_;
    if (pool_[0] == 0 || pool_[1] == 0 || strides_[0] == 0 || strides_[1] == 0)
        throw std::invalid_argument(this->name() + ": pool_size and strides must be >= 1");
}

LayerNodes Pooling2D::build(const std::vector<Node>& inputs, const BuildContext&) {
    if (inputs.size() != 1 || inputs[0].rank() != 4) fail(inputs, "expected one rank-4 input");
    const Node x = to_channels_first(inputs[0], format_);
    kernels::Pool2dParams p;
    p.kernel_h = pool_[0];
    p.kernel_w = pool_[1];
    p.stride_h = strides_[0];
    p.stride_w = strides_[1];
    p.count_include_pad = false;
    if (padding_ == Padding::same) {
        const auto ph = same_padding(x.shape()[2], pool_[0], strides_[0], 1);
        const auto pw = same_padding(x.shape()[3], pool_[1], strides_[1], 1);
        p.pad_top = ph.before;
        p.pad_bottom = ph.after;
        p.pad_left = pw.before;
        p.pad_right = pw.after;
    }
    const Node y = max_ ? max_pool2d(x, p) : avg_pool2d(x, p);
    return {from_channels_first(y, format_)};
}

LayerNodes GlobalAveragePooling2D::build(const std::vector<Node>& inputs, const BuildContext&) {
    if (inputs.size() != 1 || inputs[0].rank() != 4) fail(inputs, "expected one rank-4 input");
    return {global_avg_pool(to_channels_first(inputs[0], format_))};
}

}  // namespace xvis
