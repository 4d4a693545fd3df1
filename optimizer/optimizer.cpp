#include <xvis/autodiff/ops.hpp>
#include <xvis/optimizer/l2_normalize.hpp>
#include <xvis/optimizer/optimizer.hpp>
#include <xvis/optimizer/rmsprop.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace xvis {

namespace {
bool is_integer(double v) { return std::floor(v) == v; }

// Accepts [N, ...input], [...input] (adds the batch axis), or channels_last data for a channels_first input.
Tensor prepare_seed(const Tensor& seed, const Shape& input, DataFormat format) {
    Tensor s = seed;
    if (s.rank() + 1 == input.size()) {
        Shape with_batch{1};
        with_batch.insert(with_batch.end(), s.shape().begin(), s.shape().end());
        s.reshape(with_batch);
    }
    if (s.shape() == input) return s;
    if (format == DataFormat::channels_first && s.rank() == input.size() && s.rank() >= 3) {
        // channels_last → channels_first
        Shape moved{s.shape()[0], s.shape().back()};
        moved.insert(moved.end(), s.shape().begin() + 1, s.shape().end() - 1);
        if (moved == input) {
            Tensor out(input);
            const std::size_t c = input[1], spatial = s.size() / (input[0] * c);
            for (std::size_t n = 0; n < input[0]; ++n)
                for (std::size_t p = 0; p < spatial; ++p)
                    for (std::size_t k = 0; k < c; ++k) out[(n * c + k) * spatial + p] = s[(n * spatial + p) * c + k];
            return out;
        }
    }
    throw ShapeError("Optimizer::minimize: seed_input of shape " + shape_to_string(seed.shape()) +
                     " does not fit the input " + shape_to_string(input) + " (with or without the batch axis, in either data format)");
}
}  // namespace

std::vector<std::uint8_t> to_uint8(const Tensor& image) {
    std::vector<std::uint8_t> out(image.size());
    for (std::size_t i = 0; i < image.size(); ++i) out[i] = static_cast<std::uint8_t>(std::clamp(image[i], 0.0f, 255.0f));
    return out;
}

Optimizer::Optimizer(Node input, const WeightedLosses& losses, InputRange input_range, Node wrt, bool norm_grads,
                     DataFormat format, const GradientOverrides& overrides)
    : input_(std::move(input)), wrt_(wrt.valid() ? std::move(wrt) : input_), range_(input_range), format_(format) {
    if (!input_.valid() || input_.kind() != NodeKind::placeholder)
        throw std::invalid_argument("Optimizer: input must be the model's input placeholder");
    if (!(range_.first < range_.second))
        throw std::invalid_argument("Optimizer: input_range (" + std::to_string(range_.first) + ", " +
                                    std::to_string(range_.second) + ") must have lo < hi");
    BuiltLosses built = build_losses(losses, "Optimizer");
    names_ = built.names;
    std::vector<Node> outputs = built.values;
    const Node overall = built.overall;
    Node grads = gradients(overall, {wrt_}, overrides)[0];
    if (norm_grads) grads = l2_normalize(grads);
    outputs.push_back(overall);
    outputs.push_back(grads);
    outputs.push_back(wrt_);
    function_ = std::make_unique<Function>(outputs, std::vector<Node>{input_});
}

MinimizeResult Optimizer::minimize(const MinimizeOptions& o) {
    if (o.max_iter < 1) throw std::invalid_argument("Optimizer::minimize: max_iter " + std::to_string(o.max_iter) + " must be >= 1");
    const Shape& shape = input_.shape();
    const double lo = range_.first, hi = range_.second;
    Tensor x = o.seed_input ? prepare_seed(*o.seed_input, shape, format_)
                            : random_array(shape, (lo + hi) / 2, 0.05 * (hi - lo), o.seed);

    std::vector<std::shared_ptr<Callback>> callbacks = o.callbacks;
    if (o.verbose) callbacks.insert(callbacks.begin(), std::make_shared<Print>());

    // Everything the loop touches is allocated here.
    const std::size_t nl = names_.size();
    MinimizeResult r;
    r.best_input = x;
    r.last_losses.resize(nl);
    for (std::size_t k = 0; k < nl; ++k) r.last_losses[k].first = names_[k];
    RmsProp rmsprop;  // keras-vis: a fresh cache per minimize() call
    const bool step_input = wrt_.same(input_);
    if (step_input) rmsprop.reset(x.shape());
    r.grads = Tensor(wrt_.shape());
    r.wrt_value = Tensor(wrt_.shape());
    r.best_loss = std::numeric_limits<double>::infinity();

    for (int i = 0; i < o.max_iter; ++i) {
        for (const auto& m : o.input_modifiers) m->pre(x);
        const auto& out = (*function_)(x);
        for (std::size_t k = 0; k < nl; ++k) r.last_losses[k].second = out[k][0];
        const double overall = out[nl][0];
        if (!std::isfinite(overall)) {
            std::string detail;
            for (const auto& [n, v] : r.last_losses) detail += " " + n + "=" + std::to_string(v);
            throw std::runtime_error("Optimizer::minimize: the overall loss is " + std::to_string(overall) + " at iteration " +
                                     std::to_string(i + 1) + " (" + detail.substr(1) + "); stopping. Lower the regularizer weights, or check the "
                                     "input range and the seed");
        }
        std::copy(out[nl + 1].begin(), out[nl + 1].end(), r.grads.begin());
        std::copy(out[nl + 2].begin(), out[nl + 2].end(), r.wrt_value.begin());
        if (o.grad_modifier) o.grad_modifier(r.grads);
        for (const auto& c : callbacks) c->callback(i, r.last_losses, overall, r.grads, r.wrt_value);
        // The input that produced this loss (keras-vis keeps the next iterate instead: off by one).
        if (overall < r.best_loss) {
            r.best_loss = overall;
            r.best_iteration = i;
            std::copy(x.begin(), x.end(), r.best_input.begin());
        }
        if (step_input) rmsprop.step(x, r.grads);  // keras-vis RMSprop, no learning rate
        for (auto it = o.input_modifiers.rbegin(); it != o.input_modifiers.rend(); ++it) (*it)->post(x);
    }
    for (const auto& c : callbacks) c->on_end();
    r.integer_range = is_integer(lo) && is_integer(hi);
    r.image = to_channels_last(deprocess_batch(r.best_input, range_), format_);
    return r;
}

}  // namespace xvis
