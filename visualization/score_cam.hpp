#pragma once
// Score-CAM (Wang et al., as pytorch-grad-cam), gradient-free: for each sample and each channel c of the
// penultimate layer A, s_c = score(x ⊙ norm(upsample(A_c))) (norm: min-max to [0, 1]); w = softmax(s) over
// the channels; cam = relu(Σ_c w_c A_c). Faster Score-CAM (tf-keras-vis max_N): only the `max_channels`
// channels with the largest activation variance (0 = all). The masked inputs run `batch` at a time.
#include <xvis/visualization/cam.hpp>

namespace xvis {

struct ScoreCamOptions : CamOptions {
    std::size_t max_channels = 0;  // Faster Score-CAM: keep the channels of largest variance (0 = all)
    std::size_t batch = 16;        // masked inputs per forward pass
};

class ScoreCam : public Explainer {
public:
    ScoreCam(const Model& model, LayerId layer, std::vector<std::int64_t> filter_indices, const Shape& input_shape, ScoreCamOptions options = {});
    const Tensor& operator()(const Tensor& x) override { return explain(x).heatmap; }
    // result.gradients stays empty; result.weights holds the softmax weights (0 for channels left out).
    const CamResult& explain(const Tensor& x);
    const Shape& input_shape() const override { return input_shape_; }

private:
    ScoreCamOptions o_;
    Shape input_shape_;
    DataFormat format_, feature_format_;
    ModelGraph activation_graph_, score_graph_;
    std::unique_ptr<Function> activations_, scores_;  // A of the input batch; per-sample scores of masked inputs
    bool per_sample_ = false;                         // the activations run sample by sample (fixed-batch export)
    CamResult r_;
    Tensor sample_, masked_, mask_;
    std::vector<std::pair<double, std::size_t>> order_;
    std::vector<double> s_;
    std::vector<float> plane_;
};

Tensor score_cam(const Model& model, LayerId layer, const std::vector<std::int64_t>& filter_indices, const Tensor& seed_input,
                 const ScoreCamOptions& options = {});

}  // namespace xvis
