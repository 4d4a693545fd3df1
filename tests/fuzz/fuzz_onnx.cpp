// ONNX model bytes → load_onnx (both readers: files xvis wrote, by their metadata, and the op-by-op importer); when
// the model loads and is small enough (see the budget below), one forward pass and one gradient of the first
// output (summed) with respect to the first input, the way every explainer uses a model.
// Expected: a model, or std::runtime_error "load_onnx: '<path>': ..." naming the problem. Once a model loaded,
// building, compiling and running the gradient must not throw. Anything else (another exception type, a
// crash, a sanitizer report, a leak, a hang, an allocation past -rss_limit_mb) is a finding.
#include "input_file.hpp"

#include <xvis/autodiff/function.hpp>
#include <xvis/autodiff/gradients.hpp>
#include <xvis/autodiff/ops.hpp>
#include <xvis/autodiff/topo.hpp>
#include <xvis/io/onnx.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <optional>
#include <vector>

namespace {

// The work a fuzz input may cause after loading: a model whose graph (with its gradient) has a larger tensor,
// more elements in all, or more nodes is loaded but not run, so no input takes more than milliseconds there.
// (Loading itself is bounded by the importer's own limits, OnnxImportOptions' defaults.)
constexpr std::size_t max_node_elements = std::size_t(1) << 16;
constexpr std::size_t max_total_elements = std::size_t(1) << 20;
constexpr std::size_t max_nodes = 4096;

bool within_budget(const std::vector<xvis::Node>& outputs) {
    const auto order = xvis::topological_order(outputs);
    if (order.size() > max_nodes) return false;
    std::size_t total = 0;
    for (const auto& n : order) {
        const std::size_t size = n.size();  // shape_size: product of a shape the importer bounded
        if (size > max_node_elements) return false;
        total += size;
        if (total > max_total_elements) return false;
    }
    return true;
}

// XVIS_FUZZ_VERBOSE=1: one line per input saying how far it got (to check what a corpus exercises).
const bool verbose = std::getenv("XVIS_FUZZ_VERBOSE") != nullptr;

void run(xvis::Model& model) {
    using namespace xvis;
    if (model.num_inputs() == 0 || model.num_outputs() == 0) return;
    std::vector<Node> inputs;
    for (std::size_t i = 0; i < model.num_inputs(); ++i) inputs.push_back(model.input(i));
    const Node out = model.output(0);
    if (!within_budget({out})) {
        if (verbose) std::fprintf(stderr, "fuzz_onnx: loaded, over the budget: not run\n");
        return;
    }
    const Node score = sum(out);
    const Node grad = gradients(score, {inputs[0]})[0];
    if (!within_budget({out, grad})) {
        if (verbose) std::fprintf(stderr, "fuzz_onnx: loaded, gradient over the budget: not run\n");
        return;
    }
    Function f = compile({out, grad}, inputs);
    // Values in [0, 1): float inputs get varied data, index-like inputs truncate to 0 (always in range).
    std::vector<Tensor> feeds;
    for (const auto& in : inputs) {
        Tensor t(in.shape());
        for (std::size_t k = 0; k < t.size(); ++k) t.data()[k] = float(k % 4) * 0.25f;
        feeds.push_back(std::move(t));
    }
    for (std::size_t i = 0; i < feeds.size(); ++i) f.set_input(i, feeds[i]);
    f.run();
    if (verbose) std::fprintf(stderr, "fuzz_onnx: loaded and ran (output %s)\n", shape_to_string(out.shape()).c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static xvis_fuzz::InputFile file("model.onnx");
    const std::string& path = file.write(data, size);
    std::optional<xvis::Model> model;
    try {
        model.emplace(xvis::load_onnx(path));
    } catch (const std::runtime_error& e) {
        if (std::strncmp(e.what(), "load_onnx: '", 12) != 0) xvis_fuzz::unexpected("fuzz_onnx", "message", e.what());
        if (verbose) std::fprintf(stderr, "fuzz_onnx: refused: %s\n", e.what());
        return 0;
    } catch (const std::exception& e) {
        xvis_fuzz::unexpected("fuzz_onnx", "exception from load_onnx", e.what());
    }
    try {
        run(*model);
    } catch (const std::exception& e) {
        xvis_fuzz::unexpected("fuzz_onnx", "exception after loading", e.what());
    }
    return 0;
}
