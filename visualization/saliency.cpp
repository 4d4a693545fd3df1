#include <xvis/autodiff/ops.hpp>
#include <xvis/image/normalize.hpp>
#include <xvis/losses/activation_maximization.hpp>
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

}  // namespace

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

WeightedLosses filter_score(Model& model, std::int64_t layer, const std::vector<std::int64_t>& filter_indices,
                            const Tensor& seed, DataFormat format, bool use_logits) {
    if (seed.shape()[0] != model.batch_size()) model.build(seed.shape()[0]);
    const LayerPtr& l = model.layer(layer);
    const Node target = use_logits ? l->pre_activation() : l->output();
    // AM is −(mean over the batch); weight −N makes the score the sum of each sample's mean activation.
    return {{std::make_shared<ActivationMaximization>(target, filter_indices, format), -static_cast<double>(seed.shape()[0])}};
}

Tensor explain_per_sample_if_needed(Model& model, const Tensor& seed, const std::function<Tensor(const Tensor&)>& explain) {
    const std::size_t n = seed.shape()[0];
    if (n > 1 && n != model.batch_size()) {
        try {
            model.build(n);
        } catch (const std::runtime_error& e) {
            if (std::string(e.what()).find("explain one image at a time") == std::string::npos) throw;
            Shape one = seed.shape();
            one[0] = 1;
            Tensor sample(one), out;
            const std::size_t per = sample.size();
            for (std::size_t i = 0; i < n; ++i) {
                std::copy(seed.data() + i * per, seed.data() + (i + 1) * per, sample.data());
                const Tensor r = explain(sample);
                if (i == 0) {
                    Shape s = r.shape();
                    s[0] = n;
                    out = Tensor(s);
                }
                std::copy(r.begin(), r.end(), out.data() + i * r.size());
            }
            return out;
        }
    }
    return explain(seed);
}

Tensor finish_saliency(const Tensor& grads, bool keepdims, bool normalize, DataFormat format) {
    Tensor out;
    if (keepdims || grads.rank() < 3) {
        out = grads;
    } else {
        const std::size_t c_axis = channel_axis(grads.rank(), format);
        Shape s;
        for (std::size_t i = 0; i < grads.rank(); ++i)
            if (i != c_axis) s.push_back(grads.shape()[i]);
        out = Tensor(s);
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
    return out;
}

Tensor visualize_saliency_with_losses(const Node& input, const WeightedLosses& losses, const Tensor& seed_input,
                                      const SaliencyOptions& o) {
    const Tensor seed = with_batch_axis(seed_input, input.shape(), "visualize_saliency");
    if (seed.shape() != input.shape())
        throw ShapeError("visualize_saliency: seed batch " + shape_to_string(seed.shape()) + " does not match the input " + input.describe());
    ScoreGradient sg(input, losses, o.backprop_modifier);
    Tensor grads = sg.run(seed);
    if (const auto m = modifier_of(o)) m(grads);
    return finish_saliency(grads, o.keepdims, o.normalize, o.data_format);
}

Tensor visualize_saliency(Model& model, std::int64_t layer, const std::vector<std::int64_t>& filter_indices,
                          const Tensor& seed_input, const SaliencyOptions& o) {
    const Tensor seed = with_batch_axis(seed_input, model.input().shape(), "visualize_saliency");
    return explain_per_sample_if_needed(model, seed, [&](const Tensor& s) {
        const WeightedLosses losses = filter_score(model, layer, filter_indices, s, o.data_format);
        return visualize_saliency_with_losses(model.input(), losses, s, o);
    });
}

Tensor smoothgrad(Model& model, std::int64_t layer, const std::vector<std::int64_t>& filter_indices, const Tensor& seed_input,
                  const SmoothGradOptions& o) {
    if (o.samples < 1) throw std::invalid_argument("smoothgrad: samples " + std::to_string(o.samples) + " must be >= 1");
    if (!(o.noise >= 0)) throw std::invalid_argument("smoothgrad: noise " + std::to_string(o.noise) + " must be >= 0");
    const Tensor batch = with_batch_axis(seed_input, model.input().shape(), "smoothgrad");
    return explain_per_sample_if_needed(model, batch, [&](const Tensor& seed) {
        const WeightedLosses losses = filter_score(model, layer, filter_indices, seed, o.data_format);
        ScoreGradient sg(model.input(), losses, o.backprop_modifier);
        const std::size_t n = seed.shape()[0], per = seed.size() / n;
        std::vector<double> sigma(n);
        for (std::size_t b = 0; b < n; ++b) {
            const auto [lo, hi] = std::minmax_element(seed.data() + b * per, seed.data() + (b + 1) * per);
            sigma[b] = o.noise * (*hi - *lo);
        }
        Tensor noisy(seed.shape()), total(seed.shape(), 0.0f);
        Rng rng(o.seed);
        for (int s = 0; s < o.samples; ++s) {
            for (std::size_t i = 0; i < seed.size(); ++i) noisy[i] = seed[i] + static_cast<float>(sigma[i / per] * rng.normal());
            const Tensor& g = sg.run(noisy);
            for (std::size_t i = 0; i < g.size(); ++i) total[i] += g[i];
        }
        for (auto& v : total) v /= static_cast<float>(o.samples);
        if (const auto m = modifier_of(o)) m(total);  // after averaging, as tf-keras-vis
        return finish_saliency(total, o.keepdims, o.normalize, o.data_format);
    });
}

void integration_rule(IntegrationMethod method, int steps, std::vector<double>& alphas, std::vector<double>& weights) {
    if (steps < 1) throw std::invalid_argument("integrated_gradients: steps " + std::to_string(steps) + " must be >= 1");
    alphas.assign(static_cast<std::size_t>(steps), 0.0);
    weights.assign(static_cast<std::size_t>(steps), 1.0 / steps);
    const double n = steps;
    switch (method) {
        case IntegrationMethod::riemann_middle:
            for (int k = 0; k < steps; ++k) alphas[k] = (k + 0.5) / n;
            break;
        case IntegrationMethod::riemann_trapezoid:
            if (steps == 1) {
                alphas[0] = 0.5;
                break;
            }
            for (int k = 0; k < steps; ++k) {
                alphas[k] = k / (n - 1);
                weights[k] = (k == 0 || k == steps - 1 ? 0.5 : 1.0) / (n - 1);
            }
            break;
        case IntegrationMethod::gauss_legendre:
            // Roots of P_n by Newton's method from Chebyshev guesses, mapped from [−1, 1] to [0, 1].
            for (int k = 0; k < steps; ++k) {
                double x = std::cos(M_PI * (k + 0.75) / (n + 0.5)), dp = 1;
                for (int it = 0; it < 100; ++it) {
                    double p0 = 1, p1 = x;
                    for (int j = 2; j <= steps; ++j) {
                        const double p2 = ((2 * j - 1) * x * p1 - (j - 1) * p0) / j;
                        p0 = p1;
                        p1 = p2;
                    }
                    dp = n * (x * p1 - p0) / (x * x - 1);
                    const double dx = p1 / dp;
                    x -= dx;
                    if (std::fabs(dx) < 1e-15) break;
                }
                alphas[k] = (1 - x) / 2;
                weights[k] = 1.0 / ((1 - x * x) * dp * dp);  // 2/((1−x²)P'²) on [−1, 1], halved for [0, 1]
            }
            break;
    }
}

Tensor integrated_gradients(Model& model, std::int64_t layer, const std::vector<std::int64_t>& filter_indices,
                            const Tensor& seed_input, const IntegratedGradientsOptions& o) {
    const Tensor x = with_batch_axis(seed_input, model.input().shape(), "integrated_gradients");
    const Tensor base = o.baseline ? with_batch_axis(*o.baseline, model.input().shape(), "integrated_gradients baseline") : Tensor(x.shape(), 0.0f);
    if (base.shape() != x.shape())
        throw ShapeError("integrated_gradients: baseline " + shape_to_string(base.shape()) + " must match the seed " + shape_to_string(x.shape()));
    std::vector<double> alphas, weights;
    integration_rule(o.method, o.steps, alphas, weights);
    const WeightedLosses losses = filter_score(model, layer, filter_indices, x, o.data_format);
    ScoreGradient sg(model.input(), losses, o.backprop_modifier);
    Tensor point(x.shape()), avg(x.shape(), 0.0f);
    for (std::size_t k = 0; k < alphas.size(); ++k) {
        for (std::size_t i = 0; i < x.size(); ++i) point[i] = base[i] + static_cast<float>(alphas[k]) * (x[i] - base[i]);
        const Tensor& g = sg.run(point);
        for (std::size_t i = 0; i < g.size(); ++i) avg[i] += static_cast<float>(weights[k]) * g[i];
    }
    for (std::size_t i = 0; i < x.size(); ++i) avg[i] *= x[i] - base[i];
    return avg;
}

Tensor input_x_gradient(Model& model, std::int64_t layer, const std::vector<std::int64_t>& filter_indices,
                        const Tensor& seed_input, const std::string& backprop, DataFormat format) {
    const Tensor batch = with_batch_axis(seed_input, model.input().shape(), "input_x_gradient");
    return explain_per_sample_if_needed(model, batch, [&](const Tensor& x) {
        ScoreGradient sg(model.input(), filter_score(model, layer, filter_indices, x, format), backprop);
        Tensor out = sg.run(x);
        for (std::size_t i = 0; i < x.size(); ++i) out[i] *= x[i];
        return out;
    });
}

}  // namespace xvis
