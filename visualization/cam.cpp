#include <xvis/autodiff/ops.hpp>
#include <xvis/layers/conv2d.hpp>
#include <xvis/layers/pooling.hpp>
#include <xvis/visualization/cam.hpp>
#include <xvis/visualization/saliency.hpp>
#include <xvis/visualization/score_gradient.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace xvis {

namespace {

enum class Weighting { gradcam, plus_plus, layer };

// Spatial layout of a feature map [N, C, spatial...] or [N, spatial..., C] with 1 or 2 spatial axes.
struct MapLayout {
    std::size_t n, c, h, w;
    bool cf;
    std::size_t at(std::size_t b, std::size_t k, std::size_t p) const { return cf ? (b * c + k) * h * w + p : (b * h * w + p) * c + k; }
};

DataFormat feature_format(const CamOptions& o) { return o.feature_format.value_or(o.data_format); }

MapLayout layout_of(const Shape& s, DataFormat f, const std::string& call) {
    if (s.size() != 3 && s.size() != 4)
        throw ShapeError(call + ": the penultimate layer's output " + shape_to_string(s) +
                         " must have 1 or 2 spatial axes (rank 3 or 4)");
    const bool cf = f == DataFormat::channels_first;
    const std::size_t c = s[channel_axis(s.size(), f)];
    const std::size_t h = s.size() == 4 ? (cf ? s[2] : s[1]) : 1;
    const std::size_t w = cf ? s.back() : s[s.size() - 2];
    if (h * w <= 1) throw ShapeError(call + ": the penultimate layer's output " + shape_to_string(s) + " has spatial size 1x1: nothing to localize");
    return {s[0], c, h, w, cf};
}

// relu(Σ_c weight · A_c) per sample, [N, h, w].
Tensor combine(const Tensor& a, const Tensor& g, const MapLayout& m, Weighting how) {
    Tensor cam({m.n, m.h, m.w}, 0.0f);
    const std::size_t P = m.h * m.w;
    for (std::size_t b = 0; b < m.n; ++b) {
        float* out = cam.data() + b * P;
        for (std::size_t k = 0; k < m.c; ++k) {
            if (how == Weighting::layer) {
                for (std::size_t p = 0; p < P; ++p) out[p] += std::max(g[m.at(b, k, p)], 0.0f) * a[m.at(b, k, p)];
                continue;
            }
            double wk = 0;
            if (how == Weighting::gradcam) {
                for (std::size_t p = 0; p < P; ++p) wk += g[m.at(b, k, p)];
                wk /= static_cast<double>(P);
            } else {
                double sum_a = 0;
                for (std::size_t p = 0; p < P; ++p) sum_a += a[m.at(b, k, p)];
                for (std::size_t p = 0; p < P; ++p) {
                    const double gv = g[m.at(b, k, p)];
                    if (gv == 0) continue;
                    const double alpha = gv * gv / (2 * gv * gv + sum_a * gv * gv * gv + 1e-6);
                    wk += alpha * std::max(gv, 0.0);
                }
            }
            for (std::size_t p = 0; p < P; ++p) out[p] += static_cast<float>(wk) * a[m.at(b, k, p)];
        }
        for (std::size_t p = 0; p < P; ++p) out[p] = std::max(out[p], 0.0f);
    }
    return cam;
}

// Upsamples each [h, w] map to the input's spatial size, then normalizes per sample.
Tensor finish(const Tensor& cam, const Shape& input, const CamOptions& o) {
    const bool cf = o.data_format == DataFormat::channels_first;
    const std::size_t ih = input.size() == 4 ? (cf ? input[2] : input[1]) : 1;
    const std::size_t iw = cf ? input.back() : input[input.size() - 2];
    const std::size_t n = cam.shape()[0], h = cam.shape()[1], w = cam.shape()[2];
    Tensor up(input.size() == 4 ? Shape{n, ih, iw} : Shape{n, iw});
    for (std::size_t b = 0; b < n; ++b) resize_plane(cam.data() + b * h * w, h, w, up.data() + b * ih * iw, ih, iw, o.interpolation);
    return finish_saliency(up, true, o.normalize, o.data_format);
}

Tensor run_cam(Model& model, std::int64_t layer, const std::vector<std::int64_t>& filters, const Tensor& seed_input,
               const CamOptions& o, Weighting how, const std::string& call) {
    const Tensor batch = with_batch_axis(seed_input, model.input().shape(), call);
    return explain_per_sample_if_needed(model, batch, [&](const Tensor& seed) {
        const std::int64_t pen = find_penultimate_layer(model, layer, o.penultimate_layer);
        const WeightedLosses losses = filter_score(model, layer, filters, seed, o.data_format, o.use_logits);
        ScoreGradient sg(model.input(), losses, o.backprop_modifier, model.layer_output(pen));
        Tensor g = sg.run(seed);
        if (const auto m = grad_modifier(o.grad_modifier)) m(g);
        const MapLayout lay = layout_of(g.shape(), feature_format(o), call);
        return finish(combine(sg.wrt_value(), g, lay, how), model.input().shape(), o);
    });
}

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
        if (i < -kk || i >= kk) throw std::out_of_range("score_cam: filter index " + std::to_string(i) + " out of range for " + std::to_string(k) + " channels");
        weights[static_cast<std::size_t>(i < 0 ? i + kk : i)] += 1.0;
    }
    return sum(mul(per_channel, constant(weights)), {1});
}

}  // namespace

std::int64_t find_penultimate_layer(const Model& model, std::int64_t layer, std::optional<std::int64_t> penultimate) {
    const auto n = static_cast<std::int64_t>(model.num_layers());
    model.layer(layer);  // range check
    const std::int64_t idx = layer < 0 ? layer + n : layer;
    if (penultimate) {
        model.layer(*penultimate);
        const std::int64_t p = *penultimate < 0 ? *penultimate + n : *penultimate;
        if (p >= idx)
            throw std::invalid_argument("find_penultimate_layer: penultimate layer " + std::to_string(*penultimate) + " ('" +
                                        model.layer(p)->name() + "') must come before layer " + std::to_string(layer));
        return p;
    }
    for (std::int64_t i = idx - 2; i >= 0; --i) {
        const LayerPtr& l = model.layer(i);
        if (std::dynamic_pointer_cast<Conv2D>(l) || std::dynamic_pointer_cast<Pooling2D>(l)) return i;
    }
    // An imported graph has no Keras layers: its last 4-D feature map with more than one position (ResNet's
    // final block output, after the ReLU) is what Grad-CAM is computed on, as pytorch-grad-cam does.
    for (std::int64_t i = idx - 1; i >= 0; --i) {
        const LayerPtr& l = model.layer(i);
        if (std::dynamic_pointer_cast<InputLayer>(l)) continue;
        const Shape& s = l->output_shape();
        if (s.size() == 4 && s[2] * s[3] > 1 && l->output().kind() == NodeKind::op) return i;
    }
    throw std::invalid_argument("find_penultimate_layer: no Conv2D, pooling layer or 4-D feature map before layer " + std::to_string(layer) + " ('" +
                                model.layer(layer)->name() + "'); name one with penultimate_layer");
}

Tensor visualize_cam_with_losses(const Node& input, const WeightedLosses& losses, const Node& penultimate, const Tensor& seed_input,
                                 const CamOptions& o) {
    const Tensor seed = with_batch_axis(seed_input, input.shape(), "visualize_cam");
    ScoreGradient sg(input, losses, o.backprop_modifier, penultimate);
    Tensor g = sg.run(seed);
    if (const auto m = grad_modifier(o.grad_modifier)) m(g);
    return finish(combine(sg.wrt_value(), g, layout_of(g.shape(), feature_format(o), "visualize_cam"), Weighting::gradcam), input.shape(), o);
}

Tensor visualize_cam(Model& model, std::int64_t layer, const std::vector<std::int64_t>& filters, const Tensor& seed, const CamOptions& o) {
    return run_cam(model, layer, filters, seed, o, Weighting::gradcam, "visualize_cam");
}
Tensor gradcam_plus_plus(Model& model, std::int64_t layer, const std::vector<std::int64_t>& filters, const Tensor& seed, const CamOptions& o) {
    return run_cam(model, layer, filters, seed, o, Weighting::plus_plus, "gradcam_plus_plus");
}
Tensor layercam(Model& model, std::int64_t layer, const std::vector<std::int64_t>& filters, const Tensor& seed, const CamOptions& o) {
    return run_cam(model, layer, filters, seed, o, Weighting::layer, "layercam");
}

Tensor guided_gradcam(Model& model, std::int64_t layer, const std::vector<std::int64_t>& filters, const Tensor& seed_input,
                      const CamOptions& o) {
    SaliencyOptions so;
    so.backprop_modifier = "guided";
    so.grad_modifier = "";
    so.keepdims = true;
    so.normalize = false;
    so.data_format = o.data_format;
    Tensor gb = visualize_saliency(model, layer, filters, seed_input, so);
    CamOptions co = o;
    co.normalize = true;
    const Tensor cam = visualize_cam(model, layer, filters, seed_input, co);
    const MapLayout lay{gb.shape()[0], gb.shape()[channel_axis(gb.rank(), o.data_format)], 1, cam.size() / cam.shape()[0],
                        o.data_format == DataFormat::channels_first};
    for (std::size_t b = 0; b < lay.n; ++b)
        for (std::size_t k = 0; k < lay.c; ++k)
            for (std::size_t p = 0; p < lay.w; ++p) gb[lay.at(b, k, p)] *= cam[b * lay.w + p];
    return gb;
}

Tensor score_cam(Model& model, std::int64_t layer, const std::vector<std::int64_t>& filters, const Tensor& seed_input,
                 const ScoreCamOptions& o) {
    if (o.batch == 0) throw std::invalid_argument("score_cam: batch must be >= 1");
    const Tensor seed = with_batch_axis(seed_input, model.input().shape(), "score_cam");
    const std::size_t n = seed.shape()[0];
    const std::int64_t pen = find_penultimate_layer(model, layer, o.penultimate_layer);
    if (model.batch_size() != n) model.build(n);
    Function activations = compile({model.layer_output(pen)}, {model.input()});
    const Tensor a = activations(seed)[0];
    const MapLayout lay = layout_of(a.shape(), feature_format(o), "score_cam");

    model.build(o.batch);
    const LayerPtr& target = model.layer(layer);
    Function scores = compile({sample_scores(o.use_logits ? target->pre_activation() : target->output(), filters, o.data_format)},
                              {model.input()});
    const Shape in_shape = model.input().shape();  // a copy: the model is rebuilt for the seed's batch below
    const bool cf = o.data_format == DataFormat::channels_first;
    const std::size_t ic = in_shape[channel_axis(in_shape.size(), o.data_format)];
    const std::size_t per = seed.size() / n, ip = per / ic;  // elements and spatial positions of one input
    const std::size_t ih = in_shape.size() == 4 ? (cf ? in_shape[2] : in_shape[1]) : 1, iw = ip / ih;
    Tensor masked(in_shape, 0.0f), mask({ih, iw});
    Tensor cam({n, lay.h, lay.w}, 0.0f);
    const std::size_t P = lay.h * lay.w;
    for (std::size_t b = 0; b < n; ++b) {
        // Channels by descending activation variance; keep max_channels of them (Faster Score-CAM).
        std::vector<std::pair<double, std::size_t>> order;
        for (std::size_t k = 0; k < lay.c; ++k) {
            double m = 0, v = 0;
            for (std::size_t p = 0; p < P; ++p) m += a[lay.at(b, k, p)];
            m /= P;
            for (std::size_t p = 0; p < P; ++p) v += (a[lay.at(b, k, p)] - m) * (a[lay.at(b, k, p)] - m);
            order.emplace_back(-v, k);
        }
        std::stable_sort(order.begin(), order.end());
        if (o.max_channels && o.max_channels < order.size()) order.resize(o.max_channels);
        std::vector<double> s(order.size());
        std::vector<float> plane(P);
        for (std::size_t start = 0; start < order.size(); start += o.batch) {
            const std::size_t count = std::min(o.batch, order.size() - start);
            for (std::size_t j = 0; j < count; ++j) {
                const std::size_t k = order[start + j].second;
                for (std::size_t p = 0; p < P; ++p) plane[p] = a[lay.at(b, k, p)];
                resize_plane(plane.data(), lay.h, lay.w, mask.data(), ih, iw, o.interpolation);
                const auto [lo, hi] = std::minmax_element(mask.begin(), mask.end());
                const float lo_v = *lo, range = *hi - *lo;
                for (std::size_t p = 0; p < ip; ++p) {
                    const float mv = range > 0 ? (mask[p] - lo_v) / range : 0.0f;
                    for (std::size_t ch = 0; ch < ic; ++ch) {
                        const std::size_t src = cf ? b * per + ch * ip + p : b * per + p * ic + ch;
                        const std::size_t dst = cf ? j * per + ch * ip + p : j * per + p * ic + ch;
                        masked[dst] = seed[src] * mv;
                    }
                }
            }
            const Tensor& out = scores(masked)[0];
            for (std::size_t j = 0; j < count; ++j) s[start + j] = out[j];
        }
        // softmax over the kept channels
        const double smax = *std::max_element(s.begin(), s.end());
        double z = 0;
        for (auto& v : s) z += (v = std::exp(v - smax));
        float* out = cam.data() + b * P;
        for (std::size_t j = 0; j < order.size(); ++j)
            for (std::size_t p = 0; p < P; ++p) out[p] += static_cast<float>(s[j] / z) * a[lay.at(b, order[j].second, p)];
        for (std::size_t p = 0; p < P; ++p) out[p] = std::max(out[p], 0.0f);
    }
    model.build(n);  // leave the model as the other methods do: built for the seed's batch
    return finish(cam, in_shape, o);
}

}  // namespace xvis
