#include <xvis/image/normalize.hpp>
#include <xvis/tensor/random.hpp>
#include <xvis/visualization/saliency.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace xvis {

namespace {

GradModifier modifier_of(const SaliencyOptions& o) {
    return o.custom_grad_modifier ? o.custom_grad_modifier : grad_modifier(o.grad_modifier);
}

// keras-vis normalize on each sample: (a − min) / (max − min + 1e-7).
void normalize_samples(Tensor& t) {
    if (t.size() == 0) return;
    const std::size_t n = t.shape()[0], per = t.size() / n;
    for (std::size_t s = 0; s < n; ++s) normalize_inplace(t.data() + s * per, per);
}

// g (before any modifier) → the finished map: modified = modifier(g), map = finish(modified).
const Tensor& finish_map(const Tensor& g, const GradModifier& modifier, const SaliencyOptions& o, DataFormat format, Tensor& modified,
                         Tensor& map) {
    const Tensor* src = &g;
    if (modifier) {
        std::copy(g.begin(), g.end(), modified.begin());
        modifier(modified);
        src = &modified;
    }
    finish_saliency(*src, o.keepdims, o.normalize, format, map);
    return map;
}

}  // namespace

Shape saliency_shape(const Shape& s, bool keepdims, DataFormat format) {
    if (keepdims || s.size() < 3) return s;
    const std::size_t c_axis = channel_axis(s.size(), format);
    Shape out;
    for (std::size_t i = 0; i < s.size(); ++i)
        if (i != c_axis) out.push_back(s[i]);
    return out;
}

namespace {
// out.shape() == saliency_shape(s, ...), without building that shape (finish_saliency runs per explanation).
bool has_saliency_shape(const Shape& out, const Shape& s, bool keepdims, DataFormat format) {
    if (keepdims || s.size() < 3) return out == s;
    const std::size_t c_axis = channel_axis(s.size(), format);
    if (out.size() + 1 != s.size()) return false;
    for (std::size_t i = 0, j = 0; i < s.size(); ++i)
        if (i != c_axis && out[j++] != s[i]) return false;
    return true;
}
}  // namespace

void finish_saliency(const Tensor& grads, bool keepdims, bool normalize, DataFormat format, Tensor& out) {
    if (!has_saliency_shape(out.shape(), grads.shape(), keepdims, format))
        throw ShapeError("finish_saliency: output " + shape_to_string(out.shape()) + " for gradients " + shape_to_string(grads.shape()) +
                         ", expected " + shape_to_string(saliency_shape(grads.shape(), keepdims, format)));
    if (keepdims || grads.rank() < 3) {
        if (&grads != &out) std::copy(grads.begin(), grads.end(), out.begin());
    } else {
        const std::size_t c_axis = channel_axis(grads.rank(), format);
        const std::size_t n = grads.shape()[0], c = grads.shape()[c_axis];
        const std::size_t spatial = grads.size() / (n * c);
        for (std::size_t b = 0; b < n; ++b)
            for (std::size_t p = 0; p < spatial; ++p) {
                float m = -INFINITY;
                for (std::size_t k = 0; k < c; ++k) {
                    const std::size_t idx = format == DataFormat::channels_first ? (b * c + k) * spatial + p : (b * spatial + p) * c + k;
                    m = std::max(m, grads[idx]);
                }
                out[b * spatial + p] = m;
            }
    }
    if (normalize) normalize_samples(out);
}

Tensor finish_saliency(const Tensor& grads, bool keepdims, bool normalize, DataFormat format) {
    Tensor out(saliency_shape(grads.shape(), keepdims, format));
    finish_saliency(grads, keepdims, normalize, format, out);
    return out;
}

Saliency::Saliency(const Model& model, LayerId layer, std::vector<std::int64_t> filters, const Shape& input_shape, SaliencyOptions o)
    : format_(o.data_format.value_or(model_data_format(model))),
      grad_(model, layer, filters, input_shape, format_, false, o.backprop_modifier, std::nullopt, "Saliency"),
      modifier_(modifier_of(o)),
      o_(std::move(o)),
      modified_(modifier_ ? Tensor(grad_.input_shape()) : Tensor()),
      map_(saliency_shape(grad_.input_shape(), o_.keepdims, format_)) {}

const Tensor& Saliency::operator()(const Tensor& x) {
    grad_.run(x);
    return finish_map(grad_.gradient(), modifier_, o_, format_, modified_, map_);
}

SmoothGrad::SmoothGrad(const Model& model, LayerId layer, std::vector<std::int64_t> filters, const Shape& input_shape, SmoothGradOptions o)
    : format_(o.data_format.value_or(model_data_format(model))),
      grad_(model, layer, filters, input_shape, format_, false, o.backprop_modifier, std::nullopt, "SmoothGrad"),
      modifier_(modifier_of(o)),
      o_(std::move(o)),
      sigma_(grad_.input_shape()[0]),
      noisy_(grad_.input_shape()),
      average_(grad_.input_shape()),
      modified_(modifier_ ? Tensor(grad_.input_shape()) : Tensor()),
      map_(saliency_shape(grad_.input_shape(), o_.keepdims, format_)) {
    if (o_.samples < 1) throw std::invalid_argument("SmoothGrad: samples " + std::to_string(o_.samples) + " must be >= 1");
    if (!(o_.noise >= 0)) throw std::invalid_argument("SmoothGrad: noise " + std::to_string(o_.noise) + " must be >= 0");
}

const Tensor& SmoothGrad::operator()(const Tensor& x) {
    detail::check_input(x, grad_.input_shape(), "SmoothGrad");
    const std::size_t n = x.shape()[0], per = x.size() / n;
    for (std::size_t b = 0; b < n; ++b) {
        const auto [lo, hi] = std::minmax_element(x.data() + b * per, x.data() + (b + 1) * per);
        sigma_[b] = o_.noise * (*hi - *lo);
    }
    std::fill(average_.begin(), average_.end(), 0.0f);
    Rng rng(o_.seed);
    for (int s = 0; s < o_.samples; ++s) {
        for (std::size_t i = 0; i < x.size(); ++i) noisy_[i] = x[i] + static_cast<float>(sigma_[i / per] * rng.normal());
        grad_.run(noisy_);
        const Tensor& g = grad_.gradient();
        for (std::size_t i = 0; i < g.size(); ++i) average_[i] += g[i];
    }
    for (auto& v : average_) v /= static_cast<float>(o_.samples);
    return finish_map(average_, modifier_, o_, format_, modified_, map_);  // modifier after averaging, as tf-keras-vis
}

Tensor visualize_saliency(const Model& model, LayerId layer, const std::vector<std::int64_t>& filters, const Tensor& seed,
                          const SaliencyOptions& o) {
    return explain_once<Saliency>("visualize_saliency", model, std::move(layer), filters, seed, o);
}

Tensor smoothgrad(const Model& model, LayerId layer, const std::vector<std::int64_t>& filters, const Tensor& seed, const SmoothGradOptions& o) {
    return explain_once<SmoothGrad>("smoothgrad", model, std::move(layer), filters, seed, o);
}

Tensor visualize_saliency_with_losses(const Node& input, const WeightedLosses& losses, const Tensor& seed_input, const SaliencyOptions& o) {
    const Tensor seed = with_batch_axis(seed_input, input.shape(), "visualize_saliency");
    if (seed.shape() != input.shape())
        throw ShapeError("visualize_saliency: seed batch " + shape_to_string(seed.shape()) + " does not match the input " + input.describe());
    ScoreGradient sg(input, losses, o.backprop_modifier);
    Tensor grads = sg.run(seed);
    if (const auto m = modifier_of(o)) m(grads);
    return finish_saliency(grads, o.keepdims, o.normalize, o.data_format.value_or(DataFormat::channels_first));
}

}  // namespace xvis
