#include <xvis/layers/batch_normalization.hpp>
#include <xvis/layers/conv2d.hpp>
#include <xvis/layers/pooling.hpp>
#include <xvis/visualization/cam.hpp>
#include <xvis/visualization/saliency.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace xvis {

namespace detail {

namespace {

// The grid's sides for `positions` tokens: the ones given, one derived from the other, or the square root.
std::pair<std::size_t, std::size_t> grid_sides(const TokenGrid& g, std::size_t positions, const Shape& s, const std::string& call) {
    std::size_t h = g.height, w = g.width;
    if (h == 0 && w == 0) {
        h = w = static_cast<std::size_t>(std::llround(std::sqrt(static_cast<double>(positions))));
        if (h * w != positions)
            throw ShapeError(call + ": token_grid: the " + std::to_string(positions) + " tokens of " + shape_to_string(s) + " after skipping " +
                             std::to_string(g.skip) + " are not a square grid; give its height and width");
    } else if (h == 0 || w == 0) {
        const std::size_t known = h ? h : w;
        if (positions % known != 0)
            throw ShapeError(call + ": token_grid: " + std::to_string(positions) + " tokens of " + shape_to_string(s) + " after skipping " +
                             std::to_string(g.skip) + " are not rows of " + std::to_string(known));
        (h ? w : h) = positions / known;
    }
    if (h * w != positions)
        throw ShapeError(call + ": token_grid " + std::to_string(h) + "x" + std::to_string(w) + " needs " + std::to_string(h * w) +
                         " tokens after skipping " + std::to_string(g.skip) + "; " + shape_to_string(s) + " has " + std::to_string(positions));
    return {h, w};
}

}  // namespace

MapLayout map_layout(const Shape& s, DataFormat f, const std::string& call, const std::optional<TokenGrid>& grid) {
    if (grid) {
        if (s.size() != 3)
            throw ShapeError(call + ": token_grid needs the penultimate layer's output as tokens [N, T, C]; it is " + shape_to_string(s));
        if (grid->skip >= s[1])
            throw ShapeError(call + ": token_grid skips " + std::to_string(grid->skip) + " tokens of " + shape_to_string(s) + ": none left");
        const auto [h, w] = grid_sides(*grid, s[1] - grid->skip, s, call);
        if (h * w <= 1) throw ShapeError(call + ": token_grid " + shape_to_string(s) + " is a 1x1 map: nothing to localize");
        return {s[0], s[2], h, w, false, grid->skip, s[1]};
    }
    if (s.size() != 3 && s.size() != 4)
        throw ShapeError(call + ": the penultimate layer's output " + shape_to_string(s) + " must have 1 or 2 spatial axes (rank 3 or 4)");
    const bool cf = f == DataFormat::channels_first;
    const std::size_t c = s[channel_axis(s.size(), f)];
    const std::size_t h = s.size() == 4 ? (cf ? s[2] : s[1]) : 1;
    const std::size_t w = cf ? s.back() : s[s.size() - 2];
    if (h * w <= 1) throw ShapeError(call + ": the penultimate layer's output " + shape_to_string(s) + " has spatial size 1x1: nothing to localize");
    return {s[0], c, h, w, cf};
}

void check_map_rank(const Shape& a, const Shape& input, const std::optional<TokenGrid>& grid, const std::string& call) {
    if (grid || a.size() != 3 || input.size() != 4) return;
    throw ShapeError(call + ": the penultimate layer's output " + shape_to_string(a) + " has one spatial axis, the input " + shape_to_string(input) +
                     " two; if it holds transformer tokens [N, T, C], read them as a map with token_grid (command line: --tokens)");
}

Shape heatmap_shape(const Shape& input, std::size_t n, DataFormat f) {
    const bool cf = f == DataFormat::channels_first;
    const std::size_t ih = input.size() == 4 ? (cf ? input[2] : input[1]) : 1;
    const std::size_t iw = cf ? input.back() : input[input.size() - 2];
    return input.size() == 4 ? Shape{n, ih, iw} : Shape{n, iw};
}

void upsample_cam(const Tensor& cam, Interpolation interpolation, bool normalize, Tensor& heatmap) {
    const std::size_t n = cam.shape()[0], h = cam.shape()[1], w = cam.shape()[2];
    const std::size_t iw = heatmap.shape().back(), ih = heatmap.size() / (n * iw);
    for (std::size_t b = 0; b < n; ++b) resize_plane(cam.data() + b * h * w, h, w, heatmap.data() + b * ih * iw, ih, iw, interpolation);
    if (normalize) finish_saliency(heatmap, true, true, DataFormat::channels_first, heatmap);
}

namespace {
// Tokens are channels last: a token grid with feature_format channels_first contradicts itself.
void check_token_layout(const CamOptions& o, const std::string& call) {
    if (o.token_grid && o.feature_format == DataFormat::channels_first)
        throw std::invalid_argument(call + ": token_grid reads tokens [N, T, C], channels last; feature_format is channels_first");
}
}  // namespace

DataFormat cam_feature_format(const Model& model, std::int64_t index, const CamOptions& o, DataFormat input_format, const std::string& call) {
    check_token_layout(o, call);
    if (o.token_grid) {
        if (!o.penultimate_layer)
            throw std::invalid_argument(call + ": token_grid needs penultimate_layer, the layer of tokens to map (a ViT: the LayerNorm "
                                        "before the last block's attention)");
        return DataFormat::channels_last;
    }
    if (o.feature_format) return *o.feature_format;
    const LayerPtr& l = model.layer(index);
    if (auto conv = std::dynamic_pointer_cast<Conv2D>(l)) return conv->data_format();
    // A model of Keras layers keeps the input's layout throughout; an imported ONNX graph computes in NCHW.
    for (const auto& other : model.layers())
        if (std::dynamic_pointer_cast<Conv2D>(other) || std::dynamic_pointer_cast<Pooling2D>(other) ||
            std::dynamic_pointer_cast<BatchNormalization>(other))
            return input_format;
    return DataFormat::channels_first;
}

}  // namespace detail

namespace {

// weights and relu(Σ_c weight · A_c) per sample into r.weights and r.cam.
void combine(CamResult& r, const detail::MapLayout& m, CamWeighting how) {
    const Tensor &a = r.activations, &g = r.gradients;
    std::fill(r.cam.begin(), r.cam.end(), 0.0f);
    const std::size_t P = m.h * m.w;
    for (std::size_t b = 0; b < m.n; ++b) {
        float* out = r.cam.data() + b * P;
        for (std::size_t k = 0; k < m.c; ++k) {
            if (how == CamWeighting::layercam) {
                for (std::size_t p = 0; p < P; ++p) {
                    const float wk = std::max(g[m.at(b, k, p)], 0.0f);
                    r.weights[m.at(b, k, p)] = wk;
                    out[p] += wk * a[m.at(b, k, p)];
                }
                continue;
            }
            double wk = 0;
            if (how == CamWeighting::gradcam) {
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
            r.weights[b * m.c + k] = static_cast<float>(wk);
            for (std::size_t p = 0; p < P; ++p) out[p] += static_cast<float>(wk) * a[m.at(b, k, p)];
        }
        for (std::size_t p = 0; p < P; ++p) out[p] = std::max(out[p], 0.0f);
    }
}

const char* name_of(CamWeighting w) {
    switch (w) {
        case CamWeighting::gradcam: return "GradCam";
        case CamWeighting::gradcam_plus_plus: return "GradCamPlusPlus";
        case CamWeighting::layercam: return "LayerCam";
    }
    return "GradCam";
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
    const ModelGraph& g = model.graph();
    for (std::int64_t i = idx - 1; i >= 0; --i) {
        if (std::dynamic_pointer_cast<InputLayer>(model.layer(i))) continue;
        const Node& out = g.layer_output(i);
        const Shape& s = out.shape();
        if (s.size() == 4 && s[2] * s[3] > 1 && out.kind() == NodeKind::op) return i;
    }
    throw std::invalid_argument("find_penultimate_layer: no Conv2D, pooling layer or 4-D feature map before layer " + std::to_string(layer) + " ('" +
                                model.layer(layer)->name() + "'); name one with penultimate_layer");
}

GradCam::GradCam(const Model& model, LayerId layer, std::vector<std::int64_t> filters, const Shape& input_shape, CamOptions o,
                 CamWeighting weighting)
    : penultimate_(find_penultimate_layer(model, layer.index(model), o.penultimate_layer)),
      o_(std::move(o)),
      format_(o_.data_format.value_or(model_data_format(model))),
      feature_format_(detail::cam_feature_format(model, penultimate_, o_, format_, name_of(weighting))),
      grad_(model, layer, filters, input_shape, format_, o_.use_logits, o_.backprop_modifier, penultimate_, name_of(weighting)),
      weighting_(weighting),
      modifier_(grad_modifier(o_.grad_modifier)) {
    const Shape& a = grad_.gradient().shape();
    detail::check_map_rank(a, grad_.input_shape(), o_.token_grid, name_of(weighting));
    const detail::MapLayout m = detail::map_layout(a, feature_format_, name_of(weighting), o_.token_grid);
    r_.activations = Tensor(a);
    r_.gradients = Tensor(a);
    r_.weights = weighting == CamWeighting::layercam ? Tensor(a) : Tensor({m.n, m.c});
    r_.cam = Tensor({m.n, m.h, m.w});
    r_.heatmap = Tensor(detail::heatmap_shape(grad_.input_shape(), m.n, format_));
}

const CamResult& GradCam::explain(const Tensor& x) {
    grad_.run(x);
    std::copy(grad_.wrt_value().begin(), grad_.wrt_value().end(), r_.activations.begin());
    std::copy(grad_.gradient().begin(), grad_.gradient().end(), r_.gradients.begin());
    if (modifier_) modifier_(r_.gradients);
    combine(r_, detail::map_layout(r_.activations.shape(), feature_format_, name_of(weighting_), o_.token_grid), weighting_);
    detail::upsample_cam(r_.cam, o_.interpolation, o_.normalize, r_.heatmap);
    return r_;
}

Tensor visualize_cam(const Model& model, LayerId layer, const std::vector<std::int64_t>& filters, const Tensor& seed, const CamOptions& o) {
    return explain_once<GradCam>("visualize_cam", model, std::move(layer), filters, seed, o);
}
Tensor gradcam_plus_plus(const Model& model, LayerId layer, const std::vector<std::int64_t>& filters, const Tensor& seed, const CamOptions& o) {
    return explain_once<GradCamPlusPlus>("gradcam_plus_plus", model, std::move(layer), filters, seed, o);
}
Tensor layercam(const Model& model, LayerId layer, const std::vector<std::int64_t>& filters, const Tensor& seed, const CamOptions& o) {
    return explain_once<LayerCam>("layercam", model, std::move(layer), filters, seed, o);
}

Tensor visualize_cam_with_losses(const Node& input, const WeightedLosses& losses, const Node& penultimate, const Tensor& seed_input,
                                 const CamOptions& o) {
    const Tensor seed = with_batch_axis(seed_input, input.shape(), "visualize_cam");
    const DataFormat format = o.data_format.value_or(DataFormat::channels_first);
    ScoreGradient sg(input, losses, o.backprop_modifier, penultimate);
    sg.run(seed);
    CamResult r;
    r.activations = sg.wrt_value();
    r.gradients = sg.gradient();
    if (const auto m = grad_modifier(o.grad_modifier)) m(r.gradients);
    detail::check_map_rank(r.gradients.shape(), input.shape(), o.token_grid, "visualize_cam");
    detail::check_token_layout(o, "visualize_cam");
    const detail::MapLayout m = detail::map_layout(r.gradients.shape(), o.feature_format.value_or(format), "visualize_cam", o.token_grid);
    r.weights = Tensor({m.n, m.c});
    r.cam = Tensor({m.n, m.h, m.w});
    combine(r, m, CamWeighting::gradcam);
    r.heatmap = Tensor(detail::heatmap_shape(input.shape(), m.n, format));
    detail::upsample_cam(r.cam, o.interpolation, o.normalize, r.heatmap);
    return r.heatmap;
}

}  // namespace xvis
