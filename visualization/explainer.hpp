#pragma once
// Explainer objects: built once for (model, target layer, filters, input shape, options), then called on image
// after image. Construction builds the model's graph for the input's batch and compiles the gradient; a call
// only runs it, and after the first call allocates nothing. The model is only read (explainers of one model
// may run on several threads at once, each with its own object); an object itself is not reentrant.
//
// The explained score, for each sample, is the mean activation of `filter_indices` in `layer` (all channels
// when empty), as keras-vis's ActivationMaximization; a sample's gradient is its own.
// An input batch [N, ...] whose model was exported for a fixed batch that cannot follow N (an ONNX ViT) is
// explained one sample at a time, transparently.
#include <xvis/layers/model.hpp>
#include <xvis/visualization/score_gradient.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace xvis {

// A layer of a model, by index (keras-vis: negative counts from the end) or by name (or ONNX node alias).
class LayerId {
public:
    template <class I, std::enable_if_t<std::is_integral_v<I>, int> = 0>
    LayerId(I index) : index_(static_cast<std::int64_t>(index)) {}  // NOLINT: implicit, as keras-vis passes indices
    LayerId(std::string name) : name_(std::move(name)) {}  // NOLINT
    LayerId(const char* name) : name_(name) {}             // NOLINT
    // The index in model.layers(); an unknown name or index throws (naming the model's layers or their count).
    std::int64_t index(const Model& model) const;
    std::string to_string() const;

private:
    std::optional<std::int64_t> index_;
    std::string name_;
};

// The data format of a model's input: that of its first Conv2D; models without one (dense models, imported
// ONNX graphs) are channels_last when the input is [N, H, W, C] with C in {1, 3, 4} and H not, else
// channels_first. What explainers use when their options leave data_format unset.
DataFormat model_data_format(const Model& model);

// Every explainer: x [N, ...input] → its map, valid until the next call.
class Explainer {
public:
    virtual ~Explainer() = default;
    virtual const Tensor& operator()(const Tensor& x) = 0;
    // The batch shape the explainer was built for.
    virtual const Shape& input_shape() const = 0;
};

// The input shape with a batch axis: `shape` as given when it has the model's input rank, else [1, shape...].
// A shape that fits neither throws ShapeError naming `call` and both shapes.
Shape batch_input_shape(const Model& model, const Shape& shape, const std::string& call);
// A seed with a batch axis (a [...input] seed becomes [1, ...input]); mismatches throw ShapeError.
Tensor with_batch_axis(const Tensor& seed, const Shape& input_without_batch, const std::string& call);

// keras-vis-style one call: explainer E built for the seed's shape (a missing batch axis added) with `args`
// after the input shape, then called once on the seed. What visualize_saliency, visualize_cam, ... are.
template <class E, class... Args>
Tensor explain_once(const char* call, const Model& model, LayerId layer, const std::vector<std::int64_t>& filter_indices, const Tensor& seed,
                    Args&&... args) {
    const Shape shape = batch_input_shape(model, seed.shape(), call);
    return E(model, std::move(layer), filter_indices, shape, std::forward<Args>(args)...)(with_batch_axis(seed, shape, call));
}

namespace detail {

// The compiled core of the gradient explainers: for x [N, ...input], d(score)/d(wrt) where score is each
// sample's mean activation of the filters and wrt is the input or a layer's output (Grad-CAM's A). Builds the
// model's graph for N, or for 1 and loops when a fixed-batch export cannot follow N.
class BatchedGradient {
public:
    BatchedGradient(const Model& model, const LayerId& layer, const std::vector<std::int64_t>& filter_indices, const Shape& input_shape,
                    DataFormat format, bool use_logits, BackpropModifier backprop_modifier, const std::optional<std::int64_t>& wrt_layer,
                    const std::string& call);
    // Runs at x (input_shape): gradient() [N, ...wrt] and wrt_value() hold the results until the next run.
    void run(const Tensor& x);
    const Tensor& gradient() const { return per_sample_ ? grad_ : sg_->gradient(); }
    const Tensor& wrt_value() const { return per_sample_ ? wrt_ : sg_->wrt_value(); }
    const Shape& input_shape() const { return input_shape_; }
    // The graph the gradient runs on (built for N, or for 1 when explaining sample by sample).
    const ModelGraph& graph() const { return graph_; }
    bool per_sample() const { return per_sample_; }
    ScoreGradient& score_gradient() { return *sg_; }

private:
    Shape input_shape_;
    ModelGraph graph_;
    std::unique_ptr<ScoreGradient> sg_;
    bool per_sample_ = false;
    Tensor sample_, grad_, wrt_;  // per-sample mode only
    std::string call_;
};

// The graph of `model` for input_shape[0], or for batch 1 when the model cannot follow that batch ("explain one
// image at a time"); other build errors propagate.
ModelGraph graph_for(const Model& model, std::size_t batch);
// Σ over the batch of each sample's mean activation of the filters in `target` (an ActivationMaximization
// weighted by −N), as (loss, weight).
WeightedLosses filter_score(const Node& target, const std::vector<std::int64_t>& filter_indices, DataFormat format);
// Checks x against the shape an explainer was built for (ShapeError) and that every element is finite
// (std::invalid_argument naming `call`, the first bad element's index and its value). Allocates only to throw.
void check_input(const Tensor& x, const Shape& shape, const char* call);  // call: a literal (no allocation)

}  // namespace detail

}  // namespace xvis
