// xvis_peer: the xvis side of scripts/compare.sh (bench/peer/compare.py runs it and torch_peer.py in turn).
//   xvis_peer run WORKLOAD --threads N [--warmup W] [--reps R] [--min-time S] [--onnx-dir D] [--fashion-dir D]
//                 [--train-images N] [--conv fast|gemm] [--gemm-kernel automatic|portable] [--adaptive on|off]
//                                         one JSON line: {"side": "xvis", "workload", "threads", "ms": [...]};
//                                         --conv gemm: convolutions without Winograd (A/B of the algorithm)
//                                         --gemm-kernel portable: the build's xsimd micro-kernel, not AVX-512
//                                         --adaptive off: no team watch (set_adaptive_threads(false))
//   xvis_peer logits MODEL [--onnx-dir D]   {"logits": [...]} for the check input (see xvis_workloads.hpp)
//   xvis_peer export-own DIR                writes DIR/fashion_cnn.onnx and DIR/vgg_mini.onnx
//   xvis_peer list                          the workload names, one per line
//   xvis_peer peak --threads N              {"fma_peak_gflops": G, "read_gbps": B, "threads": N, "isa": I}:
//                                           register-only FMA loop in the GEMM micro-kernel's vectors
//                                           (fma_peak.hpp), streaming read of 256 MiB (memory_bandwidth.hpp)
//   xvis_peer profile WORKLOAD --threads N [--reps R] [--onnx-dir D]   where a compiled workload (saliency)
//                                           spends its time: per op type and the slowest steps (profile_string)
// Timing: set-up first (untimed), `warmup` untimed calls, then calls timed one by one with a steady clock until
// both `reps` calls and `min-time` seconds are done; each sample is one call's time / per_call, in ms.
#include "fma_peak.hpp"
#include "memory_bandwidth.hpp"
#include "xvis_workloads.hpp"

#include <xvis/io/fashion_mnist.hpp>
#include <xvis/tensor/conv2d.hpp>
#include <xvis/tensor/gemm.hpp>
#include <xvis/tensor/runtime.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct Args {
    std::string command, target;
    int threads = 1, warmup = 1, reps = 5;
    double min_time = 0.0;
    xvis::kernels::Conv2dAlgorithm conv = xvis::kernels::Conv2dAlgorithm::fast;
    xvis::kernels::GemmKernel gemm_kernel = xvis::kernels::GemmKernel::automatic;
    bool adaptive = true;
    xvis::peer::Settings settings;
};

[[noreturn]] void usage(const std::string& why) {
    std::fprintf(stderr, "xvis_peer: %s\nusage: xvis_peer run WORKLOAD --threads N [--warmup W] [--reps R] [--min-time S] "
                         "[--onnx-dir D] [--fashion-dir D] [--train-images N] [--conv fast|gemm] [--gemm-kernel automatic|portable] [--adaptive on|off] | logits MODEL [--onnx-dir D] | export-own DIR | list | peak --threads N | profile WORKLOAD --threads N [--reps R] [--onnx-dir D]\n",
                 why.c_str());
    std::exit(2);
}

Args parse(int argc, char** argv) {
    Args a;
    if (argc < 2) usage("no command");
    a.command = argv[1];
    a.settings.fashion_dir = xvis::fashion_mnist_default_dir;
    int i = 2;
    if (a.command != "list" && a.command != "peak") {
        if (argc < 3) usage("'" + a.command + "' needs an argument");
        a.target = argv[i++];
    }
    for (; i < argc; ++i) {
        const std::string k = argv[i];
        if (i + 1 >= argc) usage("option '" + k + "' needs a value");
        const std::string v = argv[++i];
        try {
            if (k == "--threads") a.threads = std::stoi(v);
            else if (k == "--warmup") a.warmup = std::stoi(v);
            else if (k == "--reps") a.reps = std::stoi(v);
            else if (k == "--min-time") a.min_time = std::stod(v);
            else if (k == "--onnx-dir") a.settings.onnx_dir = v;
            else if (k == "--fashion-dir") a.settings.fashion_dir = v;
            else if (k == "--train-images") a.settings.train_images = std::stoul(v);
            else if (k == "--conv" && (v == "fast" || v == "gemm"))
                a.conv = v == "fast" ? xvis::kernels::Conv2dAlgorithm::fast : xvis::kernels::Conv2dAlgorithm::gemm;
            else if (k == "--conv") usage("--conv takes fast or gemm, got '" + v + "'");
            else if (k == "--gemm-kernel" && (v == "automatic" || v == "portable"))
                a.gemm_kernel = v == "automatic" ? xvis::kernels::GemmKernel::automatic : xvis::kernels::GemmKernel::portable;
            else if (k == "--adaptive" && (v == "on" || v == "off"))
                a.adaptive = v == "on";
            else if (k == "--adaptive") usage("--adaptive takes on or off, got '" + v + "'");
            else if (k == "--gemm-kernel") usage("--gemm-kernel takes automatic or portable, got '" + v + "'");
            else usage("unknown option '" + k + "'");
        } catch (const std::logic_error&) {
            usage("option '" + k + "' got '" + v + "', expected a number");
        }
    }
    if (a.threads < 1 || a.reps < 1 || a.warmup < 0) usage("--threads and --reps must be >= 1, --warmup >= 0");
    return a;
}

void print_list(const char* key, const std::vector<double>& v, int digits) {
    std::printf("\"%s\": [", key);
    for (std::size_t i = 0; i < v.size(); ++i) std::printf("%s%.*g", i ? ", " : "", digits, v[i]);
    std::printf("]");
}

int run(const Args& a) {
    xvis::set_num_threads(a.threads);
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    xvis::peer::Step step = xvis::peer::make_workload(a.target, a.settings);
    const double setup_s = std::chrono::duration<double>(clock::now() - t0).count();
    for (int i = 0; i < a.warmup; ++i) step.run();
    std::vector<double> ms;
    double total = 0;
    while (static_cast<int>(ms.size()) < a.reps || total < a.min_time) {
        const auto s = clock::now();
        step.run();
        const double sec = std::chrono::duration<double>(clock::now() - s).count();
        total += sec;
        ms.push_back(sec * 1e3 / step.per_call);
    }
    std::printf("{\"side\": \"xvis\", \"workload\": \"%s\", \"threads\": %d, \"setup_s\": %.3f, ", a.target.c_str(), a.threads, setup_s);
    print_list("ms", ms, 6);
    std::printf(", \"build\": \"%s\"}\n", xvis::build_info_string().c_str());
    return 0;
}

int profile(const Args& a) {
    xvis::set_num_threads(a.threads);
    xvis::peer::Step step = xvis::peer::make_workload(a.target, a.settings);
    if (!step.function) throw std::invalid_argument("this workload has no compiled function to profile (the saliency workloads have)");
    for (int i = 0; i < a.warmup; ++i) step.run();
    step.function->enable_profiling();
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < a.reps; ++i) step.run();
    const double wall = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%s", step.function->profile_string(400).c_str());
    // The steps' sum leaves out what runs between them and around the function (feeds, post-processing).
    std::printf("wall time per call: %.3f ms\n", wall / std::max(a.reps, 1));
    const auto& f = *step.function;
    std::printf("prepared inputs: %zu (%.1f MiB), prepared %zu times\n", f.num_prepared(),
                double(f.prepared_elements()) * sizeof(float) / (1 << 20), f.num_preparations());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const Args a = parse(argc, argv);
    xvis::kernels::set_conv2d_algorithm(a.conv);
    xvis::kernels::set_gemm_kernel(a.gemm_kernel);
    xvis::set_adaptive_threads(a.adaptive);
    try {
        if (a.command == "run") return run(a);
        if (a.command == "profile") return profile(a);
        if (a.command == "logits") {
            const auto y = xvis::peer::check_logits(a.target, a.settings);
            std::printf("{");
            print_list("logits", std::vector<double>(y.begin(), y.end()), 9);
            std::printf("}\n");
            return 0;
        }
        if (a.command == "export-own") {
            xvis::peer::export_own_models(a.target);
            return 0;
        }
        if (a.command == "peak") {
            std::printf("{\"fma_peak_gflops\": %.1f, \"read_gbps\": %.1f, \"threads\": %d, \"isa\": \"%s\"}\n",
                        xvis::peer::fma_peak_gflops(a.threads), xvis::peer::read_bandwidth_gbps(a.threads), a.threads,
                        xvis::peer::fma_peak_isa().c_str());
            return 0;
        }
        if (a.command == "list") {
            for (const auto& n : xvis::peer::workload_names()) std::printf("%s\n", n.c_str());
            return 0;
        }
        usage("unknown command '" + a.command + "'");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "xvis_peer %s %s: %s\n", a.command.c_str(), a.target.c_str(), e.what());
        return 1;
    }
}
