#pragma once
// keras-vis Optimizer: minimizes overall = Σ weight · loss over the input image with keras-vis's RMSprop.
// The graph (losses, overall, L2-normalized gradient) and its compiled function are built once per optimizer;
// each iteration runs: input modifiers' pre → losses, overall, grads → grad modifier → callbacks → RMSprop
// step (when wrt is the input) → modifiers' post (reverse order) → keep the input that gave the lowest loss.
// The iteration loop allocates nothing (with allocation-free modifiers and callbacks).
// Its pieces are public and usable one by one: l2_normalize (graph and in-place array forms, l2_normalize.hpp),
// RmsProp (rmsprop.hpp) and the Jitter input modifier (input_modifiers.hpp).
#include <xvis/autodiff/function.hpp>
#include <xvis/autodiff/gradients.hpp>
#include <xvis/losses/loss.hpp>
#include <xvis/optimizer/callbacks.hpp>
#include <xvis/optimizer/grad_modifiers.hpp>
#include <xvis/optimizer/image_range.hpp>
#include <xvis/optimizer/input_modifiers.hpp>
#include <xvis/optimizer/l2_normalize.hpp>
#include <xvis/optimizer/rmsprop.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace xvis {

struct MinimizeOptions {
    // Starting image, [N, ...] of the input's shape (a missing batch axis is added; a channels_last seed for a
    // channels_first input is moved). None: random_array with mean = mid-range, std = 0.05 · (hi − lo).
    std::optional<Tensor> seed_input;
    std::uint64_t seed = 0;  // for the random seed image
    int max_iter = 200;
    std::vector<std::shared_ptr<InputModifier>> input_modifiers;
    GradModifier grad_modifier;
    std::vector<std::shared_ptr<Callback>> callbacks;
    bool verbose = false;  // adds a Print callback
};

struct MinimizeResult {
    Tensor image;        // deprocessed best input, channels_last [N, spatial..., C], values in input_range
    Tensor best_input;   // the raw input that gave the lowest overall loss (input layout)
    Tensor grads;        // last gradient (after the grad modifier)
    Tensor wrt_value;    // last value of wrt
    double best_loss = 0;
    int best_iteration = -1;
    NamedLosses last_losses;
    bool integer_range = true;  // input_range has integer bounds: image is meant as uint8 (see to_uint8)
};

// Truncating conversion after clipping to [0, 255], as keras-vis's astype('uint8').
std::vector<std::uint8_t> to_uint8(const Tensor& image);

class Optimizer {
public:
    // input: the model's input placeholder. losses: (loss, weight) pairs; weight 0 pairs are never built; all
    // zero is an error. wrt: the node to differentiate against (default: input; RMSprop steps happen only when
    // it is the input). norm_grads: grads = l2_normalize(grads). overrides: gradient overrides (backprop modifiers).
    Optimizer(Node input, const WeightedLosses& losses, InputRange input_range = {0, 255}, Node wrt = {},
              bool norm_grads = true, DataFormat format = DataFormat::channels_first, const GradientOverrides& overrides = {});

    MinimizeResult minimize(const MinimizeOptions& options = {});
    // The same into `result`, whose buffers are kept when their shapes match: with allocation-free modifiers
    // and callbacks, a repeated call allocates nothing (verbose: the Print callback, once).
    void minimize(const MinimizeOptions& options, MinimizeResult& result);
    // The same from `seed_input` (options.seed_input is not used).
    void minimize(const Tensor& seed_input, const MinimizeOptions& options, MinimizeResult& result);
    const std::vector<std::string>& loss_names() const { return names_; }

private:
    Node input_, wrt_;
    InputRange range_;
    DataFormat format_;
    std::vector<std::string> names_;
    std::unique_ptr<Function> function_;
    Tensor x_, deprocessed_;  // the iterate, and the best input deprocessed, kept between calls
    void run(const MinimizeOptions& options, MinimizeResult& result);  // from x_
    RmsProp rmsprop_;
    std::shared_ptr<Callback> print_;
};

}  // namespace xvis
