// OnnxNodeLayer: builds one ONNX value's graph ops from its node's builder, folding constant-only nodes.
#include <xvis/autodiff/function.hpp>
#include <xvis/io/detail/onnx_node_layer.hpp>

#include <cmath>
#include <stdexcept>

namespace xvis::detail {

namespace {

// The elements `shape` would hold with its empty axes at 1 (SIZE_MAX on overflow). An empty tensor such as
// [0, 3, 5e18, 23] holds nothing, but the ops after it size their work from the other axes (a convolution's
// im2col buffer): found by fuzzing (tests/fuzz/regressions/onnx/pad_empty_axis_huge_other_axis.onnx).
std::size_t work_size(Shape shape) {
    for (auto& d : shape) d = d == 0 ? 1 : d;
    return onnx_checked_size(shape);
}

}  // namespace

LayerNodes OnnxNodeLayer::build(const std::vector<Node>& inputs, const BuildContext& ctx) {
    OnnxOpNode n = spec_->proto;
    n.inputs.resize(sources_.size());
    n.input_types.resize(sources_.size());
    for (std::size_t i = 0; i < sources_.size(); ++i) {
        const Source& s = sources_[i];
        n.input_types[i] = s.type;
        switch (s.kind) {
            case Source::Kind::layer: {
                n.inputs[i] = inputs.at(s.index);
                const Layer* producer = inbound().at(s.index).get();
                if (auto* p = dynamic_cast<const OnnxNodeLayer*>(producer)) n.input_types[i] = p->output_type();
                else if (auto t = ctx_->input_types.find(producer); t != ctx_->input_types.end()) n.input_types[i] = t->second;
                break;
            }
            case Source::Kind::weight: n.inputs[i] = parameter(weights()[s.index].value, weights()[s.index].name); break;
            case Source::Kind::constant: n.inputs[i] = constant(*s.value, n.input_names[i]); break;
            case Source::Kind::absent: break;
        }
    }
    n.output_types.assign(n.num_outputs(), n.input_types.empty() || n.input_types[0] == OnnxType::undefined ? OnnxType::float32 : n.input_types[0]);
    n.export_batch = ctx_->export_batch;
    n.max_elements = ctx_->max_constant;
    n.batch = ctx_->batch_input ? (ctx_->batch_input->has_batch_axis() ? ctx.batch : 1) : ctx_->export_batch;
    Node out;
    try {
        if (override_) {
            out = apply_activation(n.input(0), *override_);
        } else {
            std::vector<Node> outs = (*spec_->builder)(n);
            if (outs.size() <= output_ || !outs[output_].valid()) n.fail("the builder gave no output " + std::to_string(output_));
            out = outs[output_];
            type_.store(n.output_types.at(output_), std::memory_order_relaxed);
            if (out.kind() == NodeKind::op && n.all_static()) out = fold(n, out);
        }
        if (work_size(out.shape()) > ctx_->max_elements)
            n.fail("output " + shape_to_string(out.shape()) + " has more than " + std::to_string(ctx_->max_elements) +
                   " elements (empty axes counted as 1)");
    } catch (const std::exception& e) {
        std::string what = e.what();
        if (n.batch != n.export_batch && what.find("explain one image at a time") == std::string::npos)
            what += " (the model was exported for batch " + std::to_string(n.export_batch) + " and this node does not follow batch " +
                    std::to_string(n.batch) + ": explain one image at a time)";
        if (what.rfind("node '", 0) == 0) throw std::runtime_error(what);
        n.fail(what);
    }
    return {out};
}

// Evaluates a node computed from constants only (shape arithmetic) once, at import.
Node OnnxNodeLayer::fold(const OnnxOpNode& n, const Node& out) const {
    if (work_size(out.shape()) > ctx_->max_constant)
        n.fail("a value computed at import of shape " + shape_to_string(out.shape()) + " has more than " +
               std::to_string(ctx_->max_constant) + " elements (OnnxImportOptions::max_constant_elements)");
    TensorD v;
    {
        FunctionD f = compile_double({out}, {});  // freed before the constant takes the values
        v = f.run()[0];
    }
    const OnnxType type = output_type();
    if (is_integral(type))
        for (auto& x : v) x = type == OnnxType::boolean ? (x != 0 ? 1.0 : 0.0) : std::trunc(x);
    return constant(std::move(v));
}

}  // namespace xvis::detail
