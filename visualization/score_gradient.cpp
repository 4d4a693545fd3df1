#include <xvis/autodiff/ops.hpp>
#include <xvis/visualization/backprop_modifiers.hpp>
#include <xvis/visualization/score_gradient.hpp>

#include <stdexcept>

namespace xvis {

Node weighted_sum(const WeightedLosses& losses, const std::string& call) {
    Node total;
    for (const auto& [loss, weight] : losses) {
        if (!loss) throw std::invalid_argument(call + ": a loss is null");
        if (weight == 0) continue;
        const Node v = loss->build_loss();
        if (v.size() != 1) throw ShapeError(call + ": loss '" + loss->name() + "' built " + v.describe() + "; a loss must hold one element");
        const Node w = scale(reshape(v, {}), weight);
        total = total.valid() ? add(total, w) : w;
    }
    if (!total.valid()) throw std::invalid_argument(call + ": every loss weight is 0");
    return total;
}

Function ScoreGradient::make(const Node& input, const WeightedLosses& losses, const std::string& backprop, const Node& wrt) {
    if (!input.valid() || input.kind() != NodeKind::placeholder)
        throw std::invalid_argument("ScoreGradient: input must be the model's input placeholder");
    const Node score = weighted_sum(losses, "ScoreGradient");
    const Node target = wrt.valid() ? wrt : input;
    return compile({score, gradients(score, {target}, backprop_modifier(backprop, score))[0], target}, {input});
}

ScoreGradient::ScoreGradient(const Node& input, const WeightedLosses& losses, const std::string& backprop, const Node& wrt)
    : input_(input), wrt_(wrt.valid() ? wrt : input), function_(make(input, losses, backprop, wrt)) {}

const Tensor& ScoreGradient::run(const Tensor& x) {
    function_(x);
    return gradient();
}

}  // namespace xvis
