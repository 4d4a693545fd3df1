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

// Accepts [N, ...input], [...input] (adds the batch axis), or channels_last data for a channels_first input;
// writes the seed into out (the input's shape).
void prepare_seed(const Tensor& s, const Shape& input, DataFormat format, Tensor& out) {
    const bool same = s.shape() == input || (s.rank() + 1 == input.size() && input[0] == 1 && std::equal(s.shape().begin(), s.shape().end(), input.begin() + 1));
    if (same) {
        std::copy(s.begin(), s.end(), out.begin());
        return;
    }
    const std::size_t r = s.rank() + 1 == input.size() ? s.rank() + 1 : s.rank();
    Shape full = s.shape();
    if (r != s.rank()) full.insert(full.begin(), 1);
    if (format == DataFormat::channels_first && full.size() == input.size() && full.size() >= 3) {
        // channels_last → channels_first
        Shape moved{full[0], full.back()};
        moved.insert(moved.end(), full.begin() + 1, full.end() - 1);
        if (moved == input) {
            const std::size_t c = input[1], spatial = s.size() / (input[0] * c);
            for (std::size_t n = 0; n < input[0]; ++n)
                for (std::size_t p = 0; p < spatial; ++p)
                    for (std::size_t k = 0; k < c; ++k) out[(n * c + k) * spatial + p] = s[(n * spatial + p) * c + k];
            return;
        }
    }
    throw ShapeError("Optimizer::minimize: seed_input of shape " + shape_to_string(s.shape()) +
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
    MinimizeResult r;
    minimize(o, r);
    return r;
}

namespace {
// t keeps its buffer when it already has `shape`.
void ensure_shape(Tensor& t, const Shape& shape) {
    if (t.shape() != shape) t = Tensor(shape);
}
}  // namespace

void Optimizer::minimize(const MinimizeOptions& o, MinimizeResult& r) {
    const Shape& shape = input_.shape();
    ensure_shape(x_, shape);
    if (o.seed_input) prepare_seed(*o.seed_input, shape, format_, x_);
    else fill_random_array(x_, (range_.first + range_.second) / 2, 0.05 * (range_.second - range_.first), o.seed);
    run(o, r);
}

void Optimizer::minimize(const Tensor& seed_input, const MinimizeOptions& o, MinimizeResult& r) {
    ensure_shape(x_, input_.shape());
    prepare_seed(seed_input, input_.shape(), format_, x_);
    run(o, r);
}

void Optimizer::run(const MinimizeOptions& o, MinimizeResult& r) {
    if (o.max_iter < 1) throw std::invalid_argument("Optimizer::minimize: max_iter " + std::to_string(o.max_iter) + " must be >= 1");
    const Shape& shape = input_.shape();
    const double lo = range_.first, hi = range_.second;
    Tensor& x = x_;
    if (o.verbose && !print_) print_ = std::make_shared<Print>();

    // Everything the loop touches is sized here (and kept from the previous call when the shapes match).
    const std::size_t nl = names_.size();
    ensure_shape(r.best_input, shape);
    std::copy(x.begin(), x.end(), r.best_input.begin());
    r.last_losses.resize(nl);
    for (std::size_t k = 0; k < nl; ++k) {
        r.last_losses[k].first = names_[k];  // assignment keeps the string's buffer
        r.last_losses[k].second = 0.0;
    }
    const bool step_input = wrt_.same(input_);
    if (step_input) rmsprop_.reset(x.shape());  // keras-vis: a fresh cache per minimize() call
    ensure_shape(r.grads, wrt_.shape());
    ensure_shape(r.wrt_value, wrt_.shape());
    r.best_loss = std::numeric_limits<double>::infinity();
    r.best_iteration = -1;
    const auto each_callback = [&](auto&& f) {
        if (o.verbose) f(*print_);
        for (const auto& c : o.callbacks) f(*c);
    };

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
        each_callback([&](Callback& c) { c.callback(i, r.last_losses, overall, r.grads, r.wrt_value); });
        // The input that produced this loss (keras-vis keeps the next iterate instead: off by one).
        if (overall < r.best_loss) {
            r.best_loss = overall;
            r.best_iteration = i;
            std::copy(x.begin(), x.end(), r.best_input.begin());
        }
        if (step_input) rmsprop_.step(x, r.grads);  // keras-vis RMSprop, no learning rate
        for (auto it = o.input_modifiers.rbegin(); it != o.input_modifiers.rend(); ++it) (*it)->post(x);
    }
    each_callback([](Callback& c) { c.on_end(); });
    r.integer_range = is_integer(lo) && is_integer(hi);
    ensure_shape(deprocessed_, shape);
    deprocess_batch(r.best_input, range_, deprocessed_);
    to_channels_last(deprocessed_, format_, r.image);
}

}  // namespace xvis
