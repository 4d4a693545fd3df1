#include <xvis/visualization/integrated_gradients.hpp>

#include <cmath>
#include <stdexcept>

namespace xvis {

namespace {
DataFormat format_of(const Model& model, const std::optional<DataFormat>& f) { return f.value_or(model_data_format(model)); }
}  // namespace

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

IntegratedGradients::IntegratedGradients(const Model& model, LayerId layer, std::vector<std::int64_t> filters, const Shape& input_shape,
                                         IntegratedGradientsOptions o)
    : grad_(model, layer, filters, input_shape, format_of(model, o.data_format), false, o.backprop_modifier, std::nullopt, "IntegratedGradients"),
      baseline_(grad_.input_shape(), 0.0f),
      point_(grad_.input_shape()),
      average_(grad_.input_shape()),
      attribution_(grad_.input_shape()) {
    integration_rule(o.method, o.steps, alphas_, weights_);
    if (o.baseline) {
        const Shape& shape = grad_.input_shape();
        const Tensor& b = *o.baseline;
        const Shape one(shape.begin() + 1, shape.end());
        if (b.shape() == shape) baseline_ = b;
        else if (b.shape() == one || (b.rank() == shape.size() && b.shape()[0] == 1 && std::equal(one.begin(), one.end(), b.shape().begin() + 1)))
            for (std::size_t i = 0; i < baseline_.size(); ++i) baseline_[i] = b[i % b.size()];  // one baseline for every sample
        else
            throw ShapeError("IntegratedGradients: baseline " + shape_to_string(b.shape()) + " must match the input " + shape_to_string(shape) +
                             " (or one sample of it)");
    }
}

const Tensor& IntegratedGradients::operator()(const Tensor& x) {
    detail::check_input(x, grad_.input_shape(), "IntegratedGradients");
    std::fill(average_.begin(), average_.end(), 0.0f);
    for (std::size_t k = 0; k < alphas_.size(); ++k) {
        const auto a = static_cast<float>(alphas_[k]), w = static_cast<float>(weights_[k]);
        for (std::size_t i = 0; i < x.size(); ++i) point_[i] = baseline_[i] + a * (x[i] - baseline_[i]);
        grad_.run(point_);
        const Tensor& g = grad_.gradient();
        for (std::size_t i = 0; i < g.size(); ++i) average_[i] += w * g[i];
    }
    for (std::size_t i = 0; i < x.size(); ++i) attribution_[i] = average_[i] * (x[i] - baseline_[i]);
    return attribution_;
}

InputXGradient::InputXGradient(const Model& model, LayerId layer, std::vector<std::int64_t> filters, const Shape& input_shape,
                               BackpropModifier backprop, std::optional<DataFormat> f)
    : grad_(model, layer, filters, input_shape, format_of(model, f), false, backprop, std::nullopt, "InputXGradient"),
      attribution_(grad_.input_shape()) {}

const Tensor& InputXGradient::operator()(const Tensor& x) {
    grad_.run(x);
    const Tensor& g = grad_.gradient();
    for (std::size_t i = 0; i < x.size(); ++i) attribution_[i] = g[i] * x[i];
    return attribution_;
}

Tensor integrated_gradients(const Model& model, LayerId layer, const std::vector<std::int64_t>& filters, const Tensor& seed,
                            const IntegratedGradientsOptions& o) {
    return explain_once<IntegratedGradients>("integrated_gradients", model, std::move(layer), filters, seed, o);
}

Tensor input_x_gradient(const Model& model, LayerId layer, const std::vector<std::int64_t>& filters, const Tensor& seed,
                        BackpropModifier backprop, std::optional<DataFormat> f) {
    return explain_once<InputXGradient>("input_x_gradient", model, std::move(layer), filters, seed, backprop, f);
}

}  // namespace xvis
