#pragma once
// The compiled core of every gradient-based attribution: score = Σ weight · loss (keras-vis's "overall"),
// and d(score)/d(wrt), built and compiled once, run as often as needed (SmoothGrad samples, Integrated
// Gradients steps) without allocating.
#include <xvis/autodiff/function.hpp>
#include <xvis/autodiff/gradients.hpp>
#include <xvis/losses/loss.hpp>
#include <xvis/visualization/backprop_modifier_kind.hpp>

namespace xvis {

class ScoreGradient {
public:
    // wrt defaults to input. Zero-weight losses are skipped; all zero is an error. The backprop modifier is
    // checked against the graph behind the score.
    ScoreGradient(const Node& input, const WeightedLosses& losses, BackpropModifier backprop_modifier = BackpropModifier::none,
                  const Node& wrt = {});
    // Runs at x (the input's shape); returns d(score)/d(wrt), valid until the next run.
    const Tensor& run(const Tensor& x);
    double score() const { return function_.output(0)[0]; }
    const Tensor& gradient() const { return function_.output(1); }
    const Tensor& wrt_value() const { return function_.output(2); }
    const Node& input() const { return input_; }
    const Node& wrt() const { return wrt_; }
    // The compiled function behind run(), e.g. for enable_profiling().
    Function& function() { return function_; }

private:
    static Function make(const Node& input, const WeightedLosses& losses, BackpropModifier backprop_modifier, const Node& wrt);
    Node input_, wrt_;
    Function function_;
};

}  // namespace xvis
