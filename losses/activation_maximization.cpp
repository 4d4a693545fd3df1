#include <xvis/autodiff/ops.hpp>
#include <xvis/losses/activation_maximization.hpp>

#include <stdexcept>

namespace xvis {

ActivationMaximization::ActivationMaximization(Node layer_output, std::vector<std::int64_t> filter_indices, DataFormat format)
    : output_(std::move(layer_output)), filters_(std::move(filter_indices)), format_(format) {
    if (!output_.valid()) throw std::invalid_argument("ActivationMaximization: the layer output is an empty node");
    const std::size_t rank = output_.rank();
    if (rank < 2 || rank > 5)
        throw ShapeError("ActivationMaximization: layer output " + output_.describe() +
                         " must have rank 2 to 5 (batch, channels, up to 3 spatial axes)");
    const auto channels = static_cast<std::int64_t>(output_.shape()[channel_axis(rank, format_)]);
    for (auto& k : filters_) {
        if (k < -channels || k >= channels)
            throw std::out_of_range("ActivationMaximization: filter index " + std::to_string(k) + " is out of range for " +
                                    output_.describe() + " with " + std::to_string(channels) + " channels (" +
                                    to_string(format_) + ")");
        if (k < 0) k += channels;
    }
}

Node ActivationMaximization::build_loss() const {
    if (filters_.empty()) return neg(mean(output_));
    // Per-channel means weighted by how often each channel is listed: one reduction however many filters.
    const std::size_t rank = output_.rank();
    const std::size_t c_axis = channel_axis(rank, format_);
    Axes others;
    for (std::size_t i = 0; i < rank; ++i)
        if (i != c_axis) others.push_back(static_cast<std::int64_t>(i));
    const Node per_channel = mean(output_, others);  // [C]
    TensorD weights({output_.shape()[c_axis]}, 0.0);
    for (auto k : filters_) weights[static_cast<std::size_t>(k)] += 1.0;
    return neg(sum(mul(per_channel, constant(weights, "filter_weights"))));
}

}  // namespace xvis
