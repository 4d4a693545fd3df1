#pragma once
// The xvis side of scripts/compare.sh: each workload of bench/peer/workloads.md set up once, then run as a
// step that the driver (xvis_peer.cpp) times. bench/peer/torch_peer.py implements the same names for PyTorch.
#include <xvis/autodiff/function.hpp>

#include <functional>
#include <string>
#include <vector>

namespace xvis::peer {

struct Settings {
    std::string onnx_dir;          // imported models: <onnx_dir>/<model>.onnx (written by torch_peer.py prepare)
    std::string fashion_dir;       // Fashion-MNIST IDX files
    std::size_t train_images = 0;  // images per training epoch (0: all 60000)
};

struct Step {
    std::function<void()> run;  // one timed call
    double per_call = 1;        // the unit of work is run() / per_call (W2: 10 optimizer iterations per call)
    Function* function = nullptr;  // the compiled graph run() runs, where there is one (xvis_peer profile)
};

// Sets up `name` (graphs built and compiled, models imported, data loaded: never timed) and returns its step.
// Unknown name: std::invalid_argument listing the names.
Step make_workload(const std::string& name, const Settings& settings);
std::vector<std::string> workload_names();

// Logits of `model` ("fashion_cnn", "vgg_mini" or an imported <onnx_dir>/<model>.onnx) for the check input
// x[i] = (i mod 997) / 997 − 0.5 at batch 1: the peer computes the same, so the harness can tell that both
// sides run the same weights.
std::vector<float> check_logits(const std::string& model, const Settings& settings);

// Writes the library's own W1 / W2 networks (seed 1) as <dir>/fashion_cnn.onnx and <dir>/vgg_mini.onnx
// (save_onnx): torch_peer.py copies their weights into identical PyTorch modules.
void export_own_models(const std::string& dir);

}  // namespace xvis::peer
