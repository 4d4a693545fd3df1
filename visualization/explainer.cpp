#include <xvis/layers/conv2d.hpp>
#include <xvis/losses/activation_maximization.hpp>
#include <xvis/visualization/explainer.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace xvis {

std::int64_t LayerId::index(const Model& model) const {
    if (index_) {
        model.layer(*index_);  // range check, naming the count
        return *index_;
    }
    return static_cast<std::int64_t>(model.find_layer_idx(name_));
}

std::string LayerId::to_string() const { return index_ ? std::to_string(*index_) : "'" + name_ + "'"; }

DataFormat model_data_format(const Model& model) {
    for (const auto& l : model.layers())
        if (auto conv = std::dynamic_pointer_cast<Conv2D>(l)) return conv->data_format();
    const Shape in = model.input_shape();
    const auto image_channels = [](std::size_t c) { return c == 1 || c == 3 || c == 4; };
    return in.size() == 3 && image_channels(in[2]) && !image_channels(in[0]) ? DataFormat::channels_last : DataFormat::channels_first;
}

Shape batch_input_shape(const Model& model, const Shape& shape, const std::string& call) {
    const Shape without = model.input_shape();
    if (shape == without) {
        Shape s{1};
        s.insert(s.end(), without.begin(), without.end());
        return s;
    }
    if (shape.size() == without.size() + 1 && shape[0] >= 1 && std::equal(without.begin(), without.end(), shape.begin() + 1)) return shape;
    throw ShapeError(call + ": input shape " + shape_to_string(shape) + " does not match the model input [N, " +
                     shape_to_string(without).substr(1) + " (with any batch size N >= 1, or without the batch axis)");
}

Tensor with_batch_axis(const Tensor& seed, const Shape& input, const std::string& call) {
    Shape without(input.begin() + 1, input.end());
    if (seed.rank() == without.size() && seed.shape() == without) {
        Tensor t = seed;
        Shape s{1};
        s.insert(s.end(), without.begin(), without.end());
        t.reshape(s);
        return t;
    }
    if (seed.rank() == input.size() && seed.rank() >= 1 && seed.shape()[0] >= 1 &&
        std::equal(without.begin(), without.end(), seed.shape().begin() + 1))
        return seed;
    throw ShapeError(call + ": seed_input of shape " + shape_to_string(seed.shape()) + " does not match the model input " +
                     shape_to_string(input) + " (with any batch size, or without the batch axis)");
}

namespace detail {

ModelGraph graph_for(const Model& model, std::size_t batch) {
    try {
        return model.graph(batch);
    } catch (const std::runtime_error& e) {
        if (batch == 1 || std::string(e.what()).find("explain one image at a time") == std::string::npos) throw;
    }
    return model.graph(1);
}

WeightedLosses filter_score(const Node& target, const std::vector<std::int64_t>& filter_indices, DataFormat format) {
    // AM is −(mean over the batch); weight −N makes the score the sum of each sample's mean activation.
    return {{std::make_shared<ActivationMaximization>(target, filter_indices, format), -static_cast<double>(target.shape().at(0))}};
}

void check_input(const Tensor& x, const Shape& shape, const char* call) {
    if (x.shape() != shape)
        throw ShapeError(std::string(call) + ": input of shape " + shape_to_string(x.shape()) + ", but this explainer was built for " + shape_to_string(shape) +
                         " (build another for other shapes)");
    // A NaN or infinite input makes every gradient and score NaN: the heat-map would be NaN with no hint why.
    // One pass, no allocation unless it throws (explainers promise no allocation after their first call).
    const float* p = x.data();
    const std::size_t n = x.size();
    std::size_t i = 0;
    while (i < n && std::isfinite(p[i])) ++i;
    if (i == n) return;
    std::string at;  // the multi-index of flat index i, row-major
    for (std::size_t rest = i, k = shape.size(); k-- > 0;) {
        at = std::to_string(rest % shape[k]) + (at.empty() ? "" : ", ") + at;
        rest /= shape[k];
    }
    throw std::invalid_argument(std::string(call) + ": input element [" + at + "] (flat index " + std::to_string(i) + ") of " +
                                shape_to_string(shape) + " is " + (std::isnan(p[i]) ? "nan" : p[i] > 0 ? "inf" : "-inf") +
                                ": inputs must be finite (check the image and its preprocessing)");
}

BatchedGradient::BatchedGradient(const Model& model, const LayerId& layer, const std::vector<std::int64_t>& filters, const Shape& input_shape,
                                 DataFormat format, bool use_logits, BackpropModifier backprop, const std::optional<std::int64_t>& wrt_layer,
                                 const std::string& call)
    : input_shape_(batch_input_shape(model, input_shape, call)), call_(call) {
    const std::int64_t index = layer.index(model);
    const std::size_t n = input_shape_[0];
    graph_ = graph_for(model, n);
    per_sample_ = graph_.batch_size() != n;
    const Node target = use_logits ? graph_.pre_activation(index) : graph_.layer_output(index);
    const Node wrt = wrt_layer ? graph_.layer_output(*wrt_layer) : Node{};
    sg_ = std::make_unique<ScoreGradient>(graph_.input(), filter_score(target, filters, format), backprop, wrt);
    if (per_sample_) {
        sample_ = Tensor(graph_.input().shape());
        Shape g = sg_->wrt().shape();
        if (g.empty() || g[0] != 1)
            throw ShapeError(call + ": the model explains one sample at a time, but the gradient target " + sg_->wrt().describe() + " has no batch axis");
        g[0] = n;
        grad_ = Tensor(g);
        wrt_ = Tensor(g);
    }
}

void BatchedGradient::run(const Tensor& x) {
    check_input(x, input_shape_, call_.c_str());
    if (!per_sample_) {
        sg_->run(x);
        return;
    }
    const std::size_t n = input_shape_[0], per = sample_.size(), out_per = grad_.size() / n;
    for (std::size_t b = 0; b < n; ++b) {
        std::copy(x.data() + b * per, x.data() + (b + 1) * per, sample_.data());
        sg_->run(sample_);
        std::copy(sg_->gradient().begin(), sg_->gradient().end(), grad_.data() + b * out_per);
        std::copy(sg_->wrt_value().begin(), sg_->wrt_value().end(), wrt_.data() + b * out_per);
    }
}

}  // namespace detail

}  // namespace xvis
