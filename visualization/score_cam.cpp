#include <xvis/autodiff/function.hpp>
#include <xvis/autodiff/ops.hpp>
#include <xvis/visualization/score_cam.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace xvis {

namespace {

// Per-sample score [N]: each sample's mean activation of the filters (weighted by how often each is listed).
Node sample_scores(const Node& out, const std::vector<std::int64_t>& filters, DataFormat f) {
    const std::size_t r = out.rank(), c = channel_axis(r, f), k = out.shape()[c];
    Axes others;
    for (std::size_t i = 1; i < r; ++i)
        if (i != c) others.push_back(static_cast<std::int64_t>(i));
    const Node per_channel = others.empty() ? out : mean(out, others);  // [N, K]
    if (filters.empty()) return mean(per_channel, {1});
    TensorD weights({k}, 0.0);
    for (auto i : filters) {
        const auto kk = static_cast<std::int64_t>(k);
        if (i < -kk || i >= kk) throw std::out_of_range("ScoreCam: filter index " + std::to_string(i) + " out of range for " + std::to_string(k) + " channels");
        weights[static_cast<std::size_t>(i < 0 ? i + kk : i)] += 1.0;
    }
    return sum(mul(per_channel, constant(weights)), {1});
}

}  // namespace

ScoreCam::ScoreCam(const Model& model, LayerId layer, std::vector<std::int64_t> filters, const Shape& input_shape, ScoreCamOptions o)
    : o_(std::move(o)), input_shape_(batch_input_shape(model, input_shape, "ScoreCam")), format_(o_.data_format.value_or(model_data_format(model))) {
    if (o_.batch == 0) throw std::invalid_argument("ScoreCam: batch must be >= 1");
    const std::int64_t index = layer.index(model);
    const std::int64_t pen = find_penultimate_layer(model, index, o_.penultimate_layer);
    feature_format_ = detail::cam_feature_format(model, pen, o_, format_, "ScoreCam");
    const std::size_t n = input_shape_[0];
    activation_graph_ = detail::graph_for(model, n);
    per_sample_ = activation_graph_.batch_size() != n;
    activations_ = std::make_unique<Function>(compile({activation_graph_.layer_output(pen)}, {activation_graph_.input()}));
    score_graph_ = detail::graph_for(model, o_.batch);
    const Node target = o_.use_logits ? score_graph_.pre_activation(index) : score_graph_.layer_output(index);
    scores_ = std::make_unique<Function>(compile({sample_scores(target, filters, format_)}, {score_graph_.input()}));

    Shape a = activation_graph_.layer_output(pen).shape();
    a[0] = n;
    detail::check_map_rank(a, input_shape_, o_.token_grid, "ScoreCam");
    const detail::MapLayout m = detail::map_layout(a, feature_format_, "ScoreCam", o_.token_grid);
    r_.activations = Tensor(a);
    r_.gradients = Tensor(Shape{0});  // gradient-free
    r_.weights = Tensor({m.n, m.c});
    r_.cam = Tensor({m.n, m.h, m.w});
    r_.heatmap = Tensor(detail::heatmap_shape(input_shape_, n, format_));
    if (per_sample_) sample_ = Tensor(activation_graph_.input().shape());
    masked_ = Tensor(score_graph_.input().shape(), 0.0f);
    const std::size_t iw = r_.heatmap.shape().back(), ih = r_.heatmap.size() / (n * iw);
    mask_ = Tensor({ih, iw});
    order_.reserve(m.c);
    s_.reserve(m.c);
    plane_.resize(m.h * m.w);
}

const CamResult& ScoreCam::explain(const Tensor& seed) {
    detail::check_input(seed, input_shape_, "ScoreCam");
    const std::size_t n = input_shape_[0];
    if (!per_sample_) {
        const Tensor& a = (*activations_)(seed)[0];
        std::copy(a.begin(), a.end(), r_.activations.begin());
    } else {
        const std::size_t per = sample_.size(), a_per = r_.activations.size() / n;
        for (std::size_t b = 0; b < n; ++b) {
            std::copy(seed.data() + b * per, seed.data() + (b + 1) * per, sample_.data());
            const Tensor& a = (*activations_)(sample_)[0];
            std::copy(a.begin(), a.end(), r_.activations.data() + b * a_per);
        }
    }
    const Tensor& a = r_.activations;
    const detail::MapLayout lay = detail::map_layout(a.shape(), feature_format_, "ScoreCam", o_.token_grid);
    const bool cf = format_ == DataFormat::channels_first;
    const std::size_t ic = input_shape_[channel_axis(input_shape_.size(), format_)];
    const std::size_t per = seed.size() / n, ip = per / ic;  // elements and spatial positions of one input
    const std::size_t ih = mask_.shape()[0], iw = mask_.shape()[1];
    const std::size_t chunk = score_graph_.batch_size();
    const std::size_t P = lay.h * lay.w;
    std::fill(r_.cam.begin(), r_.cam.end(), 0.0f);
    std::fill(r_.weights.begin(), r_.weights.end(), 0.0f);
    for (std::size_t b = 0; b < n; ++b) {
        // Channels by descending activation variance (ties: lower index first); keep max_channels of them.
        order_.clear();
        for (std::size_t k = 0; k < lay.c; ++k) {
            double m = 0, v = 0;
            for (std::size_t p = 0; p < P; ++p) m += a[lay.at(b, k, p)];
            m /= P;
            for (std::size_t p = 0; p < P; ++p) v += (a[lay.at(b, k, p)] - m) * (a[lay.at(b, k, p)] - m);
            order_.emplace_back(-v, k);
        }
        std::sort(order_.begin(), order_.end());  // (−variance, channel) pairs are distinct: a stable order
        if (o_.max_channels && o_.max_channels < order_.size()) order_.resize(o_.max_channels);
        s_.assign(order_.size(), 0.0);
        for (std::size_t start = 0; start < order_.size(); start += chunk) {
            const std::size_t count = std::min(chunk, order_.size() - start);
            for (std::size_t j = 0; j < count; ++j) {
                const std::size_t k = order_[start + j].second;
                for (std::size_t p = 0; p < P; ++p) plane_[p] = a[lay.at(b, k, p)];
                resize_plane(plane_.data(), lay.h, lay.w, mask_.data(), ih, iw, o_.interpolation);
                const auto [lo, hi] = std::minmax_element(mask_.begin(), mask_.end());
                const float lo_v = *lo, range = *hi - *lo;
                for (std::size_t p = 0; p < ip; ++p) {
                    const float mv = range > 0 ? (mask_[p] - lo_v) / range : 0.0f;
                    for (std::size_t ch = 0; ch < ic; ++ch) {
                        const std::size_t src = cf ? b * per + ch * ip + p : b * per + p * ic + ch;
                        const std::size_t dst = cf ? j * per + ch * ip + p : j * per + p * ic + ch;
                        masked_[dst] = seed[src] * mv;
                    }
                }
            }
            const Tensor& out = (*scores_)(masked_)[0];
            for (std::size_t j = 0; j < count; ++j) s_[start + j] = out[j];
        }
        // softmax over the kept channels
        const double smax = *std::max_element(s_.begin(), s_.end());
        double z = 0;
        for (auto& v : s_) z += (v = std::exp(v - smax));
        float* out = r_.cam.data() + b * P;
        for (std::size_t j = 0; j < order_.size(); ++j) {
            const auto w = static_cast<float>(s_[j] / z);
            r_.weights[b * lay.c + order_[j].second] = w;
            for (std::size_t p = 0; p < P; ++p) out[p] += w * a[lay.at(b, order_[j].second, p)];
        }
        for (std::size_t p = 0; p < P; ++p) out[p] = std::max(out[p], 0.0f);
    }
    detail::upsample_cam(r_.cam, o_.interpolation, o_.normalize, r_.heatmap);
    return r_;
}

Tensor score_cam(const Model& model, LayerId layer, const std::vector<std::int64_t>& filters, const Tensor& seed, const ScoreCamOptions& o) {
    return explain_once<ScoreCam>("score_cam", model, std::move(layer), filters, seed, o);
}

}  // namespace xvis
