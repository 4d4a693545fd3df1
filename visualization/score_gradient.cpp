#include <xvis/autodiff/ops.hpp>
#include <xvis/visualization/backprop_modifiers.hpp>
#include <xvis/visualization/score_gradient.hpp>

#include <stdexcept>

namespace xvis {

Function ScoreGradient::make(const Node& input, const WeightedLosses& losses, BackpropModifier backprop, const Node& wrt) {
    if (!input.valid() || input.kind() != NodeKind::placeholder)
        throw std::invalid_argument("ScoreGradient: input must be the model's input placeholder");
    const Node score = build_losses(losses, "ScoreGradient").overall;
    const Node target = wrt.valid() ? wrt : input;
    return compile({score, gradients(score, {target}, backprop_modifier(backprop, score))[0], target}, {input});
}

ScoreGradient::ScoreGradient(const Node& input, const WeightedLosses& losses, BackpropModifier backprop, const Node& wrt)
    : input_(input), wrt_(wrt.valid() ? wrt : input), function_(make(input, losses, backprop, wrt)) {}

const Tensor& ScoreGradient::run(const Tensor& x) {
    function_(x);
    return gradient();
}

}  // namespace xvis
