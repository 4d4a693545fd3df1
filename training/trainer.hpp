#pragma once
// Supervised training of a classifier Model with the autodiff engine: softmax cross-entropy on the model's
// logits, shuffled mini-batches, any WeightOptimizer. The training graph is built and compiled once per fit():
//   loss = softmax_cross_entropy(logits, one_hot(labels)),  grads = d loss / d Model::parameters()
//   step = compile({loss, logits, grads...}, {input, labels})
// Logits: the model's (single) output, or its last layer's pre-activation when that layer ends in softmax
// (Keras-style Dense(10, "softmax") models train on the logits, never on probabilities).
// The last partial batch is kept: a second function compiled for its size runs it, so every sample is seen
// once per epoch. Reproducible: the same model seed and fit seed give the same weights bit for bit with one
// thread (with several, kernel reductions may split differently).
#include <xvis/layers/model.hpp>
#include <xvis/training/optimizers.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace xvis {

// Reported after every batch; loss and accuracy are running means over the epoch so far.
struct FitProgress {
    std::size_t epoch;    // 0-based
    std::size_t epochs;
    std::size_t batch;    // 0-based, within the epoch
    std::size_t batches;  // per epoch
    double loss;
    double accuracy;      // in [0, 1]
};

struct EpochStats {
    std::size_t epoch;
    double loss, accuracy;  // over the training batches of the epoch (weights changing while it runs)
    double seconds;         // wall time of the epoch's training steps (not the validation)
    double val_loss = -1, val_accuracy = -1;  // -1 without validation data
};

struct FitOptions {
    std::size_t epochs = 1;
    std::size_t batch_size = 64;
    std::shared_ptr<WeightOptimizer> optimizer;  // null: Adam(lr 1e-3)
    std::uint64_t seed = 0;                // shuffling order
    bool shuffle = true;
    std::function<void(const FitProgress&)> on_batch;     // optional
    std::function<void(const EpochStats&)> on_epoch_end;  // optional
    // Optional held-out data evaluated after every epoch (both or neither).
    const Tensor* validation_images = nullptr;
    const std::vector<std::uint8_t>* validation_labels = nullptr;
};

struct EvalResult {
    double loss;      // mean softmax cross-entropy
    double accuracy;  // fraction of argmax(logits) == label
};

// Trains `model` (one input of shape [batch, ...], one output [batch, K]) on images [N, ...] (matching the
// input without its batch axis) and labels (N values < K). Updates the model's weights in place and returns
// one EpochStats per epoch. The model is rebuilt for its previous batch size at the end.
// Throws std::invalid_argument naming the shapes when images, labels and model do not fit together.
std::vector<EpochStats> fit(Model& model, const Tensor& images, const std::vector<std::uint8_t>& labels, const FitOptions& options = {});

// Loss and accuracy over all N samples, `batch_size` at a time (the remainder by a second compiled function).
EvalResult evaluate(Model& model, const Tensor& images, const std::vector<std::uint8_t>& labels, std::size_t batch_size = 256);

}  // namespace xvis
