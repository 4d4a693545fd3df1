// Rows that scripts/compare.sh compares with PyTorch and that the other files lack (issue 13):
//   BM_onnx_gradcam_object/<model>: Grad-CAM compiled once (a reused GradCam object) on an imported model, the
//     counterpart of BM_onnx_gradcam (onnx_import.cpp), which builds and compiles its graph on every call;
//   BM_loss_activation_max_grad_64x112x112: the ActivationMaximization loss + gradient on a 1×64×112×112 map
//     (losses.cpp has 512×14×14 and 3×224×224).
// Models as onnx_import.cpp: $XVIS_BENCH_ONNX_DIR/<model>.onnx, else the reduced export in tests/data/onnx.
#include "bench_models.hpp"

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace {

using namespace xvis;

std::string onnx_path(const std::string& name, const std::string& fallback) {
    if (const char* dir = std::getenv("XVIS_BENCH_ONNX_DIR"); dir != nullptr && *dir != '\0') {
        const std::string full = std::string(dir) + "/" + name + ".onnx";
        if (std::filesystem::is_regular_file(full)) return full;
    }
    return std::string(XVIS_BENCH_ONNX_FALLBACK_DIR) + "/" + fallback + ".onnx";
}

// The input of the head's last GlobalAveragePool (ResNet's layer4 output); on a reduced model whose map there is
// 1×1, Grad-CAM's own search (find_penultimate_layer) picks the layer.
std::optional<std::int64_t> feature_map(const Model& m) {
    LayerPtr gap;
    for (const LayerPtr& l : m.layers())
        if (l->class_name() == "GlobalAveragePool" && !l->inbound().empty()) gap = l;
    if (!gap) throw std::runtime_error("BM_onnx_gradcam_object: '" + m.name() + "' has no GlobalAveragePool");
    const Shape& s = m.graph().layer_output(gap->inbound()[0]->name()).shape();
    if (s.size() == 4 && s[2] * s[3] > 1) return static_cast<std::int64_t>(m.find_layer_idx(gap->inbound()[0]->name()));
    return std::nullopt;
}

// range: threads. Batch 1, class 3, input random_uniform(0, 1, seed 1) as the other rows.
void onnx_gradcam_object(benchmark::State& state, const std::string& name, const std::string& fallback) {
    set_num_threads(static_cast<int>(state.range(0)));
    const std::string path = onnx_path(name, fallback);
    state.SetLabel(path);
    Model m = import_onnx(path);
    if (m.batch_size() != 1) m.build(1);
    const Tensor x = random_uniform<float>(m.input().shape(), 0, 1, 1);
    CamOptions o;
    o.penultimate_layer = feature_map(m);
    GradCam cam(m, -1, {3}, x.shape(), o);
    cam(x);
    for (auto _ : state) benchmark::DoNotOptimize(cam(x).data());
}

void BM_loss_activation_max_grad_64x112x112(benchmark::State& state) {
    set_num_threads(static_cast<int>(state.range(0)));
    const Shape shape{1, 64, 112, 112};
    Node x = placeholder(shape, "x");
    Node y = ActivationMaximization(x, {7}).build_loss();
    Function f = compile({y, gradients(y, {x})[0]}, {x});
    const Tensor v = random_uniform<float>(shape, 0, 1, 1);
    f(v);
    for (auto _ : state) benchmark::DoNotOptimize(f(v)[0].data());
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(v.size() * sizeof(float)));
}
BENCHMARK(BM_loss_activation_max_grad_64x112x112)->ArgName("threads")->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond)->UseRealTime();

const bool registered = [] {
    const std::pair<const char*, const char*> models[] = {
        {"resnet18", "resnet_basic"}, {"resnet50", "resnet_bottleneck"}, {"mobilenet_v2", "mobilenet_v2"},
        {"efficientnet_b0", "efficientnet_b0"}, {"convnext_tiny", "convnext"}};
    for (const auto& [name, fallback] : models) {
        const std::string n = name, f = fallback;
        benchmark::RegisterBenchmark(("BM_onnx_gradcam_object/" + n).c_str(),
                                     [n, f](benchmark::State& s) { onnx_gradcam_object(s, n, f); })
            ->ArgName("threads")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
    }
    return true;
}();

}  // namespace
