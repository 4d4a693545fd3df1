#include <xvis/autodiff/ops.hpp>
#include <xvis/losses/activation_maximization.hpp>

#include <algorithm>
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
    // Per-channel means weighted by how often each channel is listed: one reduction however many filters. The
    // listed channels are gathered first, so the loss reads only them (a 512-channel map: 784 of 401 KB for one
    // filter) and its gradient is their slices in a zero tensor.
    const std::size_t rank = output_.rank();
    const std::size_t c_axis = channel_axis(rank, format_);
    std::vector<std::int64_t> unique;
    std::vector<double> counts;
    for (auto k : filters_) {
        const auto it = std::find(unique.begin(), unique.end(), k);
        if (it == unique.end()) {
            unique.push_back(k);
            counts.push_back(1.0);
        } else {
            counts[static_cast<std::size_t>(it - unique.begin())] += 1.0;
        }
    }
    Axes others;
    for (std::size_t i = 0; i < rank; ++i)
        if (i != c_axis) others.push_back(static_cast<std::int64_t>(i));
    const std::size_t channels = output_.shape()[c_axis];
    // Gathering pays when the listed channels are a small part of the map (a quarter or less: for 1 of an
    // image's 3 channels, gather and its adjoint's zero fill took 16 µs against 13 for the reduction over all).
    if (unique.size() * 4 > channels) {
        TensorD weights({channels}, 0.0);
        for (std::size_t i = 0; i < unique.size(); ++i) weights[static_cast<std::size_t>(unique[i])] = counts[i];
        return neg(sum(mul(mean(output_, others), constant(weights, "filter_weights"))));
    }
    TensorD index({unique.size()}, 0.0), weights({unique.size()}, 0.0);
    for (std::size_t i = 0; i < unique.size(); ++i) index[i] = double(unique[i]), weights[i] = counts[i];
    const Node listed = gather(output_, constant(index, "filter_indices"), static_cast<std::int64_t>(c_axis));
    return neg(sum(mul(mean(listed, others), constant(weights, "filter_weights"))));  // means of the listed channels
}

}  // namespace xvis
