// The xvis side of each comparison workload. What is timed (run()) and what is not (everything before it) is
// stated per workload; bench/peer/torch_peer.py times the same work and says so in the same words.
#include "xvis_workloads.hpp"

#include <xvis/tensor/conv2d.hpp>
#include <xvis/xvis.hpp>

#include <memory>
#include <stdexcept>
#include <utility>

namespace xvis::peer {
namespace {

const std::vector<std::string> imported_models = {"resnet18", "resnet50", "mobilenet_v2", "efficientnet_b0", "convnext_tiny", "vit_b_16"};

std::string model_file(const Settings& s, const std::string& model) {
    if (s.onnx_dir.empty()) throw std::invalid_argument("xvis_peer: workload on '" + model + "' needs --onnx-dir");
    return s.onnx_dir + "/" + model + ".onnx";
}

Tensor check_input(const Shape& shape) {
    Tensor x(shape);
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(i % 997) / 997.0f - 0.5f;
    return x;
}

// conv 3×3 64→64 on 1×64×56×56, pad 1: the kernel alone on preallocated buffers (workspace included).
// Timed: one conv2d_forward or conv2d_backward_data call.
Step conv(bool backward_data) {
    kernels::Conv2dParams p;
    p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
    const auto g = kernels::make_conv2d_geometry({1, 64, 56, 56}, {64, 64, 3, 3}, p, "xvis_peer");
    auto x = std::make_shared<Tensor>(random_uniform<float>({1, 64, 56, 56}, -1, 1, 1));
    auto w = std::make_shared<Tensor>(random_uniform<float>({64, 64, 3, 3}, -1, 1, 2));
    auto y = std::make_shared<Tensor>(random_uniform<float>(g.output_shape(), -1, 1, 3));
    auto work = std::make_shared<Tensor>(Shape{kernels::conv2d_workspace_size(g) + 1});
    if (backward_data) return {[=] { kernels::conv2d_backward_data(g, y->data(), w->data(), x->data(), work->data()); }};
    return {[=] { kernels::conv2d_forward(g, x->data(), w->data(), y->data(), work->data()); }};
}

// Saliency of class 3 (layer −1, the logits), batch N: a reused Saliency object (graph built and compiled
// before timing). Timed: forward, d logit_3 / d input (no weight gradients), |g|, max over channels, per-sample
// normalization to [0, 1].
Step saliency(std::shared_ptr<Model> m, std::size_t batch) {
    if (m->batch_size() != batch) m->build(batch);
    Shape s = m->input().shape();
    s[0] = batch;
    auto x = std::make_shared<Tensor>(random_uniform<float>(s, 0, 1, 1));
    auto sal = std::make_shared<Saliency>(*m, -1, std::vector<std::int64_t>{3}, x->shape());
    return {[m, x, sal] { (*sal)(*x); }, 1, &sal->score_gradient().function()};
}

// The layer Grad-CAM explains: the input of the head's last GlobalAveragePool (ResNet's layer4 output, the
// features of MobileNetV2 / EfficientNet-B0 / ConvNeXt-T), as bench/onnx_import.cpp.
std::int64_t last_feature_map(const Model& m) {
    LayerPtr gap;
    for (const LayerPtr& l : m.layers())
        if (l->class_name() == "GlobalAveragePool" && !l->inbound().empty()) gap = l;
    if (!gap) throw std::invalid_argument("xvis_peer: Grad-CAM needs a GlobalAveragePool; '" + m.name() + "' has none");
    return static_cast<std::int64_t>(m.find_layer_idx(gap->inbound()[0]->name()));
}

// ViT-B/16's Grad-CAM layer, as torch_peer.py's feature_module: the LayerNorm before the last block's attention
// (pytorch-grad-cam's target layer for ViTs: after it only the class token reaches the head), named by
// torch.onnx.export; its 197 tokens are the class token and the 14×14 patches.
constexpr const char* vit_tokens_layer = "/encoder/layers/encoder_layer_11/ln_1/LayerNormalization";

// Grad-CAM of class 3, compiled once (a GradCam object). Timed: forward, d logit_3 / d A (nothing below A),
// channel weights, relu(Σ w·A), bilinear upsampling to the input size, per-sample normalization.
Step gradcam(std::shared_ptr<Model> m, std::size_t batch, bool tokens) {
    if (m->batch_size() != batch) m->build(batch);
    Shape s = m->input().shape();
    s[0] = batch;
    auto x = std::make_shared<Tensor>(random_uniform<float>(s, 0, 1, 1));
    CamOptions o;
    o.penultimate_layer = tokens ? static_cast<std::int64_t>(m->find_layer_idx(vit_tokens_layer)) : last_feature_map(*m);
    if (tokens) o.token_grid = TokenGrid{};
    auto cam = std::make_shared<GradCam>(*m, -1, std::vector<std::int64_t>{3}, x->shape(), o);
    return {[m, x, cam] { (*cam)(*x); }};
}

// W2: one activation-maximization call of 10 iterations on VGG-mini (Optimizer built and compiled before
// timing), reported per iteration. Timed per iteration: jitter, forward to b3c1's ReLU (the 5th conv), AM(filter 7)
// + 1e-4·LPNorm(6) + 10·TV(2), d/d input, L2 normalization, RMSprop update, best-input bookkeeping; per call:
// the random seed image and the deprocessed result.
Step am_step() {
    auto m = std::make_shared<Model>(vgg_mini());
    const Node input = m->input();
    auto opt = std::make_shared<Optimizer>(
        input, WeightedLosses{{std::make_shared<ActivationMaximization>(m->layer_output("b3c1"), std::vector<std::int64_t>{7}), 1.0},
                              {std::make_shared<LPNorm>(input, 6.0), 1e-4},
                              {std::make_shared<TotalVariation>(input, 2.0), 10.0}});
    auto o = std::make_shared<MinimizeOptions>();
    o->input_modifiers = {std::make_shared<Jitter>(0.05)};
    o->max_iter = 10;
    return {[m, opt, o] { opt->minimize(*o); }, 10.0};
}

// W4: a compiled function giving the loss and its gradient w.r.t. its input (as bench/losses.cpp).
// Timed: one call (value + gradient).
Step loss(const std::string& which, const Shape& shape) {
    Node x = placeholder(shape, "x");
    std::unique_ptr<Loss> l;
    if (which == "am") l = std::make_unique<ActivationMaximization>(x, std::vector<std::int64_t>{7});
    if (which == "lp") l = std::make_unique<LPNorm>(x, 6.0);
    if (which == "tv") l = std::make_unique<TotalVariation>(x, 2.0);
    Node y = l->build_loss();
    auto f = std::make_shared<Function>(compile({y, gradients(y, {x})[0]}, {x}));
    auto v = std::make_shared<Tensor>(random_uniform<float>(shape, 0, 1, 1));
    return {[f, v] { (*f)(*v); }};
}

// One Fashion-MNIST training epoch of the W1 CNN: fit(epochs 1, batch 64, Adam lr 1e-3, shuffled, last partial
// batch kept). Data loaded before timing. Timed: the whole fit() call (its graph compilation, < 1 % of it,
// included; no validation).
Step train_epoch(const Settings& s) {
    auto data = std::make_shared<FashionMnist>(load_fashion_mnist(s.fashion_dir, DatasetSubset::train, s.train_images));
    auto m = std::make_shared<Model>(fashion_cnn());
    return {[m, data] {
        FitOptions o;
        o.epochs = 1;
        o.batch_size = 64;
        o.optimizer = std::make_shared<Adam>();
        fit(*m, data->images, data->labels, o);
    }};
}

std::shared_ptr<Model> load(const std::string& model, const Settings& s) {
    if (model == "w1") return std::make_shared<Model>(fashion_cnn());
    for (const auto& name : imported_models)
        if (name == model) return std::make_shared<Model>(import_onnx(model_file(s, model)));
    throw std::invalid_argument("xvis_peer: unknown model '" + model + "'");
}

}  // namespace

std::vector<std::string> workload_names() {
    std::vector<std::string> n = {"conv_fwd", "conv_bwd_data", "w1_saliency_b1", "w1_saliency_b64", "w2_am_step",
                                  "loss_tv", "loss_lp", "loss_am", "loss_am_64x112x112", "train_epoch"};
    for (const auto& m : imported_models) {
        n.push_back(m + "_saliency_b1");
        n.push_back(m + "_gradcam_b1");
    }
    n.push_back("resnet18_saliency_b64");
    return n;
}

Step make_workload(const std::string& name, const Settings& s) {
    if (name == "conv_fwd") return conv(false);
    if (name == "conv_bwd_data") return conv(true);
    if (name == "w2_am_step") return am_step();
    if (name == "loss_tv") return loss("tv", {1, 3, 224, 224});
    if (name == "loss_lp") return loss("lp", {1, 3, 224, 224});
    if (name == "loss_am") return loss("am", {1, 512, 14, 14});
    if (name == "loss_am_64x112x112") return loss("am", {1, 64, 112, 112});
    if (name == "train_epoch") return train_epoch(s);
    // <model>_saliency_b<N>, <model>_gradcam_b<N>
    for (const char* kind : {"_saliency_b", "_gradcam_b"}) {
        const auto at = name.find(kind);
        if (at == std::string::npos) continue;
        const std::string model = name.substr(0, at);
        const std::size_t batch = std::stoul(name.substr(at + std::string(kind).size()));
        return std::string(kind) == "_saliency_b" ? saliency(load(model, s), batch) : gradcam(load(model, s), batch, model == "vit_b_16");
    }
    std::string all;
    for (const auto& n : workload_names()) all += " " + n;
    throw std::invalid_argument("xvis_peer: unknown workload '" + name + "' (known:" + all + ")");
}

std::vector<float> check_logits(const std::string& model, const Settings& s) {
    Model m = model == "fashion_cnn" ? fashion_cnn() : model == "vgg_mini" ? vgg_mini() : import_onnx(model_file(s, model));
    if (m.batch_size() != 1) m.build(1);
    Tensor y = m.predict(check_input(m.input().shape()));
    return {y.data(), y.data() + y.size()};
}

void export_own_models(const std::string& dir) {
    save_onnx(fashion_cnn(), dir + "/fashion_cnn.onnx");
    save_onnx(vgg_mini(), dir + "/vgg_mini.onnx");
}

}  // namespace xvis::peer
