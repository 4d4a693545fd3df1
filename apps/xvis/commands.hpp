#pragma once
// The subcommands of `xvis`. Each returns the process exit code; errors are thrown and reported by main().
#include "image_options.hpp"
#include "inputs.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace xvis::cli {

struct TrainArgs {
    std::string dataset = "/usr/share/datasets/fashion-mnist", arch = "fashion_cnn", output = "fashion_cnn.onnx";
    std::string optimizer = "adam";
    double lr = 1e-3;
    int epochs = 6;  // 91.6 % test accuracy for fashion_cnn with Adam 1e-3, batch 64 (5 epochs: 91.0 %)
    int batch = 64;
    long limit = 0;  // training images used (0 = all)
    std::uint64_t seed = 1;
};
int run_train(const TrainArgs& a);

int run_info(const std::string& model);

struct ActivationArgs {
    std::string model, layer = "-1", filters = "0", output = "activation.png", gif;
    int iterations = 200;
    double am_weight = 1, lp_weight = 10, tv_weight = 10, jitter = 0.05;
    std::vector<double> range{0, 255};  // the model's input range (keras-vis input_range)
    bool range_given = false;           // otherwise a preset / --mean / --std / --scale decides the range
    bool use_logits = false;
    std::string backprop;
    std::string display = "keras-vis";  // keras-vis (deprocess_input) or clip (the input clipped to the range)
    std::uint64_t seed = 0;
    ImageOptions prep;  // layout and channel order of the input; value flags set the range and the clip display
};
int run_activation(const ActivationArgs& a);

struct AttributeArgs {
    std::string method = "saliency", model, layer = "-1", image, dataset = "/usr/share/datasets/fashion-mnist",
                output = "xvis-out", backprop, penultimate, tokens, colormap = "jet";
    long index = -1;
    int target = -1;  // class / filter; -1: the predicted class
    bool target_given = false;  // --class was given: checked against the layer's classes, negative values included
    double alpha = 0.5;
    std::uint64_t seed = 0;
    ImageOptions prep;
};
int run_attribute(const AttributeArgs& a);
// The methods run_attribute knows, for --help.
std::string attribute_methods();

// One attribution heat-map for `method` (see attribute_methods()): [h, w] in [0, 1] at the model input's
// resolution, for the picture's values (gradient methods go through gradient_to_image's chain rule).
Tensor attribution_map(const Model& model, AttributionMethod method, std::int64_t layer, int target, const ModelInput& in,
                       BackpropModifier backprop, const std::string& penultimate, const std::string& tokens, std::uint64_t seed);

struct SweepArgs {
    std::string model, method = "saliency", output = "xvis-sweep", shard, backend = "auto", command;
    // attribution: images from a folder, a list file, or the Fashion-MNIST split (dataset, split, indices)
    std::string images, image_list, dataset = "/usr/share/datasets/fashion-mnist", split = "test", indices;
    std::string classes;  // "0,3,5", "label", or "" (the top --top-k classes)
    int top_k = 1;
    std::string layer = "-1", penultimate, tokens, backprop, colormap = "jet";
    double alpha = 0.5;
    // activation
    std::string layers = "-1", channels = "all";
    int iterations = 200;
    std::vector<double> range{0, 255};
    bool use_logits = false;
    double jitter = 0.05;
    std::uint64_t seed = 0;
    ImageOptions prep;
};
int run_sweep_command(const SweepArgs& a);
// "a,b,,c" → {"a", "b", "c"}.
std::vector<std::string> split_list(const std::string& text);

struct DemoArgs {
    std::string output = "xvis-demo", dataset = "/usr/share/datasets/fashion-mnist", model_cache;
    int epochs = 6, iterations = 200, per_class = 2;
    bool retrain = false;
};
int run_demo(const DemoArgs& a);

}  // namespace xvis::cli
