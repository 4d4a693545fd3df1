// Imported ONNX models (import_onnx): saliency and Grad-CAM on a torchvision ResNet-18 doing exactly the work of
// BM_saliency_compiled / BM_gradcam_call on xvis's own ResNet-18 (attribution.cpp: same seed input, same class,
// same batches and thread counts, compiled ScoreGradient vs per-call visualize_cam), batch-1 saliency on
// MobileNetV2, EfficientNet-B0 and ViT-B/16, and the time of import_onnx itself.
//
// Models: $XVIS_BENCH_ONNX_DIR/<model>.onnx (full size, 224x224, from scripts/export_bench_models.py; see
// docs/onnx-performance.md). When the variable is unset or a file is missing, the reduced exports committed in
// tests/data/onnx are used instead, so the rows always run; each row's label is the file it used.
#include "bench_models.hpp"

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>

#ifndef XVIS_BENCH_ONNX_FALLBACK_DIR
#error "bench/CMakeLists.txt defines XVIS_BENCH_ONNX_FALLBACK_DIR (tests/data/onnx)"
#endif

namespace {

using namespace xvis;

struct OnnxBenchModel {
    std::string name;      // file name in $XVIS_BENCH_ONNX_DIR, and the row name
    std::string fallback;  // reduced export in tests/data/onnx
};
const OnnxBenchModel resnet18_model{"resnet18", "resnet_basic"};
const OnnxBenchModel resnet50_model{"resnet50", "resnet_bottleneck"};
const OnnxBenchModel mobilenet_v2_model{"mobilenet_v2", "mobilenet_v2"};
const OnnxBenchModel efficientnet_b0_model{"efficientnet_b0", "efficientnet_b0"};
const OnnxBenchModel vit_b_16_model{"vit_b_16", "vit"};

std::string model_path(const OnnxBenchModel& m) {
    if (const char* dir = std::getenv("XVIS_BENCH_ONNX_DIR"); dir != nullptr && *dir != '\0') {
        const std::string full = std::string(dir) + "/" + m.name + ".onnx";
        if (std::filesystem::is_regular_file(full)) return full;
    }
    return std::string(XVIS_BENCH_ONNX_FALLBACK_DIR) + "/" + m.fallback + ".onnx";
}

// One import per file and process (a 330 MB ViT-B/16 is not re-imported for every repetition); the rows
// rebuild it for their batch. BM_onnx_import does not use this.
Model& imported(const std::string& path) {
    static std::map<std::string, Model> cache;
    auto it = cache.find(path);
    if (it == cache.end()) it = cache.emplace(path, import_onnx(path)).first;
    return it->second;
}

// state.range: batch, threads (as attribution.cpp's model/batch/threads, without the model).
struct Setup {
    Model* model;
    Tensor x;
    std::size_t batch;
};
Setup setup(benchmark::State& state, const OnnxBenchModel& which) {
    const auto batch = static_cast<std::size_t>(state.range(0));
    set_num_threads(static_cast<int>(state.range(1)));
    const std::string path = model_path(which);
    state.SetLabel(path);
    Model& m = imported(path);
    if (m.batch_size() != batch) m.build(batch);
    Shape s = m.input().shape();
    s[0] = batch;
    return {&m, random_uniform<float>(s, 0, 1, 1), batch};
}

void images_per_second(benchmark::State& state, std::size_t batch) {
    state.counters["images/s"] = benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
}

// As BM_saliency_object: a reused Saliency (d(mean logit 3)/d(input), compiled once), run per iteration.
void onnx_saliency(benchmark::State& state, const OnnxBenchModel& which) {
    auto [m, x, batch] = setup(state, which);
    Saliency saliency(*m, -1, {3}, x.shape());
    saliency(x);
    for (auto _ : state) benchmark::DoNotOptimize(saliency(x).data());
    images_per_second(state, batch);
}

// The layer Grad-CAM explains: the input of the head's GlobalAveragePool (the last one: squeeze-excitation blocks
// have their own), i.e. ResNet's layer4 output, the ONNX value "/layer4/layer4.1/relu_1/Relu_output_0" in a
// torchvision export, as layer4.1.out in BM_gradcam_call. The reduced fallback (32x32 input) has a 1x1 layer4:
// there the walk goes back along first inputs to the first value with more than one spatial position (layer3's
// output).
std::int64_t last_conv_block(const Model& m) {
    LayerPtr gap;
    for (const LayerPtr& l : m.layers())
        if (l->class_name() == "GlobalAveragePool" && !l->inbound().empty()) gap = l;
    if (!gap) throw std::runtime_error("BM_onnx_gradcam: '" + m.name() + "' has no GlobalAveragePool");
    LayerPtr a = gap->inbound()[0];
    const auto spatial = [&](const LayerPtr& x) {
        const Shape& s = m.graph().layer_output(x->name()).shape();
        return s.size() == 4 ? s[2] * s[3] : 0;
    };
    while (spatial(a) == 1 && !a->inbound().empty()) a = a->inbound()[0];
    return static_cast<std::int64_t>(m.find_layer_idx(a->name()));
}

// BM_gradcam_call: visualize_cam builds and compiles its graph on every call.
void onnx_gradcam(benchmark::State& state, const OnnxBenchModel& which) {
    auto [m, x, batch] = setup(state, which);
    CamOptions o;
    o.penultimate_layer = last_conv_block(*m);
    for (auto _ : state) benchmark::DoNotOptimize(visualize_cam(*m, -1, {3}, x, o).data());
    images_per_second(state, batch);
}

// import_onnx from the file (read, parse, weights, graph built for the exported batch); bytes/s is the file size.
void onnx_import(benchmark::State& state, const OnnxBenchModel& which) {
    const std::string path = model_path(which);
    state.SetLabel(path);
    for (auto _ : state) {
        Model m = import_onnx(path);
        benchmark::DoNotOptimize(&m);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(std::filesystem::file_size(path)));
}

// attribution.cpp's args() for ResNet-18: batch 1 and 64, 1 and 2 threads.
void resnet_args(benchmark::internal::Benchmark* b) {
    b->ArgNames({"batch", "threads"});
    for (int t : {1, 2}) b->Args({1, t});
    for (int t : {1, 2}) b->Args({64, t});
    b->Unit(benchmark::kMillisecond)->UseRealTime();
}
void batch1_args(benchmark::internal::Benchmark* b) {
    b->ArgNames({"batch", "threads"});
    for (int t : {1, 2}) b->Args({1, t});
    b->Unit(benchmark::kMillisecond)->UseRealTime();
}

template <class F>
benchmark::internal::Benchmark* add(const std::string& row, const OnnxBenchModel& which, F f) {
    return benchmark::RegisterBenchmark((row + "/" + which.name).c_str(),
                                        [f, &which](benchmark::State& state) { f(state, which); });
}

const bool registered = [] {
    add("BM_onnx_saliency", resnet18_model, onnx_saliency)->Apply(resnet_args);
    add("BM_onnx_gradcam", resnet18_model, onnx_gradcam)->Apply(resnet_args);
    for (const OnnxBenchModel* m : {&mobilenet_v2_model, &efficientnet_b0_model, &vit_b_16_model})
        add("BM_onnx_saliency", *m, onnx_saliency)->Apply(batch1_args);
    for (const OnnxBenchModel* m : {&resnet18_model, &resnet50_model, &mobilenet_v2_model, &efficientnet_b0_model, &vit_b_16_model})
        add("BM_onnx_import", *m, onnx_import)->Unit(benchmark::kMillisecond)->UseRealTime();
    return true;
}();

}  // namespace
