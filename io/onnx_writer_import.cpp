// save_onnx for imported models: each OnnxNodeLayer's node written back from its NodeSpec (the reader's builder
// table runs on exactly these nodes again), the weights from the layers, constants from the sources, and the
// graph's declared inputs, outputs and opsets from the ImportContext.
//
// Node order is a depth-first post-order from the outputs over the nodes' inputs in input order, a function of
// the graph alone (not of the original file's order): written, read back and written again, a model gives the
// same bytes.
#include <xvis/io/detail/onnx_import.hpp>
#include <xvis/io/detail/onnx_node_layer.hpp>

#include <set>
#include <stdexcept>
#include <unordered_set>

namespace xvis::detail {

namespace {

bool is_float(OnnxType t) {
    return t == OnnxType::float32 || t == OnnxType::float64 || t == OnnxType::float16 || t == OnnxType::bfloat16;
}

// The node set_activation put in place of an activation node: what apply_activation computes, as ONNX.
OnnxOpNode activation_node(const OnnxOpNode& original, ActivationKind a) {
    OnnxOpNode n;
    n.name = original.name;
    n.input_names = {original.input_names.at(0)};
    n.output_names = original.output_names;
    switch (a) {
        case ActivationKind::linear: n.op_type = "Identity"; break;
        case ActivationKind::relu: n.op_type = "Relu"; break;
        case ActivationKind::sigmoid: n.op_type = "Sigmoid"; break;
        case ActivationKind::tanh: n.op_type = "Tanh"; break;
        case ActivationKind::softmax: {
            n.op_type = "Softmax";
            OnnxAttribute axis;  // the last axis, at every opset
            axis.kind = OnnxAttribute::Kind::integer;
            axis.i = -1;
            n.attributes["axis"] = axis;
            break;
        }
        case ActivationKind::leaky_relu: {
            n.op_type = "LeakyRelu";
            OnnxAttribute alpha;
            alpha.kind = OnnxAttribute::Kind::real;
            alpha.f = keras_leaky_relu_alpha;
            n.attributes["alpha"] = alpha;
            break;
        }
    }
    return n;
}

void write_value_info(onnx::ValueInfoProto& v, const OnnxValueInfo& info) {
    v.set_name(info.name);
    if (!info.has_type) return;
    auto& tt = *v.mutable_type()->mutable_tensor_type();
    tt.set_elem_type(static_cast<int>(info.type));
    if (!info.has_shape) return;
    auto& shape = *tt.mutable_shape();
    for (const auto& d : info.dims) {
        auto& dim = *shape.add_dim();
        if (d.value) dim.set_dim_value(*d.value);
        else if (!d.param.empty()) dim.set_dim_param(d.param);
    }
}

const OnnxValueInfo* find_info(const std::vector<OnnxValueInfo>& infos, const std::string& name) {
    for (const auto& i : infos)
        if (i.name == name) return &i;
    return nullptr;
}

// The layer whose output is model output i: the file's output of that name when it holds that node, else the
// last layer that does (pass-through layers share their input's node).
const Layer* output_layer(const Model& model, const ImportContext& ctx, std::size_t i) {
    const Node& out = model.output(i);
    if (i < ctx.outputs.size()) {
        try {
            if (model.graph().layer_output(ctx.outputs[i].name).same(out)) return model.layer(ctx.outputs[i].name).get();
        } catch (const std::invalid_argument&) {  // a model made of some of the imported layers: found below
        }
    }
    const Layer* owner = nullptr;
    for (const auto& l : model.layers())
        if (model.graph().layer_output(l->name()).same(out)) owner = l.get();
    return owner;
}

struct Emitter {
    const ImportContext& ctx;
    onnx::GraphProto& g;
    std::unordered_set<const NodeSpec*> nodes;
    std::set<std::string> values;  // initializers and Constant nodes written
    std::unordered_set<const Layer*> visited;

    OnnxType stored_type(const std::string& name, OnnxType fallback) const {
        auto it = ctx.stored_types.find(name);
        return it == ctx.stored_types.end() ? fallback : it->second;
    }
    // A float tensor that was a graph input fed through OnnxImportOptions::constant_inputs: as an initializer it
    // would read back as a weight, so it becomes a Constant node (a constant again, folded as before).
    bool constant_node(const std::string& name, const Source& s) const {
        return s.kind == Source::Kind::constant && is_float(stored_type(name, s.type)) && s.value->rank() > 0 && s.value->size() > 0;
    }

    void write_constant_node(const std::string& name, const Source& s) {
        if (!values.insert(name).second) return;
        OnnxOpNode n;
        n.op_type = "Constant";
        n.name = name;
        n.output_names = {name};
        OnnxAttribute value;
        value.kind = OnnxAttribute::Kind::tensor;
        value.t = *s.value;
        value.tensor_type = static_cast<int>(stored_type(name, s.type));
        n.attributes["value"] = std::move(value);
        encode_node(*g.add_node(), n, {}, {});
    }

    void write_node(const OnnxNodeLayer& l) {
        const NodeSpec& spec = l.spec();
        if (!nodes.insert(&spec).second) return;  // a node with several outputs is written once
        const OnnxOpNode& p = spec.proto;
        for (std::size_t i = 0; i < l.sources().size(); ++i) {
            const Source& s = l.sources()[i];
            const std::string& name = p.input_names.at(i);
            const std::string what = "node '" + p.name + "' (" + p.op_type + "): input '" + name + "'";
            if (s.kind == Source::Kind::weight && values.insert(name).second) {
                const Weight& w = l.weights().at(s.index);
                encode_tensor(*g.add_initializer(), name, w.value->shape(), stored_type(name, OnnxType::float32), w.value->data(), what);
            } else if (s.kind == Source::Kind::constant && !constant_node(name, s) && values.insert(name).second) {
                encode_tensor(*g.add_initializer(), name, s.value->shape(), stored_type(name, s.type), s.value->data(), what);
            }
        }
        if (auto a = l.activation_override()) encode_node(*g.add_node(), activation_node(p, *a), spec.domain, {});
        else encode_node(*g.add_node(), p, spec.domain, spec.raw_attributes);
    }

    // Depth-first post-order from `root` over each node's inputs in input order (iterative: graphs can be deep).
    void visit(const Layer* root) {
        if (!visited.insert(root).second) return;
        std::vector<std::pair<const Layer*, std::size_t>> stack{{root, 0}};
        while (!stack.empty()) {
            const Layer* l = stack.back().first;
            const auto* node = dynamic_cast<const OnnxNodeLayer*>(l);
            if (node && stack.back().second < node->sources().size()) {
                const std::size_t i = stack.back().second++;
                const Source& s = node->sources()[i];
                if (s.kind == Source::Kind::layer) {
                    const Layer* in = node->inbound().at(s.index).get();
                    if (visited.insert(in).second) stack.emplace_back(in, 0);
                } else if (constant_node(node->spec().proto.input_names.at(i), s)) {
                    write_constant_node(node->spec().proto.input_names.at(i), s);
                }
                continue;
            }
            if (node) write_node(*node);
            stack.pop_back();
        }
    }
};

}  // namespace

const ImportContext* imported_context(const Model& model) {
    const ImportContext* ctx = nullptr;
    const Layer* first = nullptr;
    for (const auto& l : model.layers()) {
        const auto* node = dynamic_cast<const OnnxNodeLayer*>(l.get());
        if (!node) continue;
        if (ctx && &node->context() != ctx)
            throw std::invalid_argument("save_onnx: layer '" + l->name() + "' comes from another imported model than layer '" +
                                        first->name() + "': a model's imported layers must come from one file");
        ctx = &node->context();
        first = l.get();
    }
    if (!ctx) return nullptr;
    for (const auto& l : model.layers())
        if (!dynamic_cast<const OnnxNodeLayer*>(l.get()) && !dynamic_cast<const InputLayer*>(l.get()))
            throw std::invalid_argument("save_onnx: layer '" + l->name() + "' (" + l->class_name() + ") is mixed with imported ONNX layers (such as '" +
                                        first->name() + "'): a model is saved either as imported ONNX nodes or as Keras-style layers");
    return ctx;
}

void write_imported_model(const Model& model, const ImportContext& ctx, onnx::ModelProto& m) {
    m.set_ir_version(ctx.ir_version);
    for (const auto& [domain, version] : ctx.opsets) {
        auto* o = m.add_opset_import();
        o->set_domain(domain);
        o->set_version(version);
    }
    onnx::GraphProto& g = *m.mutable_graph();
    g.set_name(model.name());

    for (std::size_t i = 0; i < model.num_inputs(); ++i) {
        const InputLayer* in = nullptr;  // a pass-through node (Identity, a Cast to the same type) shares the node
        for (const auto& l : model.layers())
            if (!in && dynamic_cast<const InputLayer*>(l.get()) && model.graph().layer_output(l->name()).same(model.input(i)))
                in = static_cast<const InputLayer*>(l.get());
        if (!in) throw std::logic_error("save_onnx: model '" + model.name() + "': no input layer holds input " + std::to_string(i));
        if (const OnnxValueInfo* info = find_info(ctx.inputs, in->name())) {
            write_value_info(*g.add_input(), *info);
            continue;
        }
        // An input the file did not declare (a model assembled from imported layers): float, its own shape.
        OnnxValueInfo info{in->name(), true, OnnxType::float32, true, {}};
        if (in->has_batch_axis()) info.dims.push_back({std::nullopt, "batch"});
        for (auto d : in->shape_without_batch()) info.dims.push_back({static_cast<std::int64_t>(d), {}});
        write_value_info(*g.add_input(), info);
    }

    Emitter e{ctx, g, {}, {}, {}};
    std::vector<const Layer*> outputs;
    for (std::size_t i = 0; i < model.num_outputs(); ++i) {
        outputs.push_back(output_layer(model, ctx, i));
        e.visit(outputs.back());
    }
    for (const Layer* out : outputs) {
        if (const OnnxValueInfo* info = find_info(ctx.outputs, out->name())) {
            write_value_info(*g.add_output(), *info);
            continue;
        }
        // An output the file did not declare (another layer made an output): its element type, shape unknown.
        const auto* node = dynamic_cast<const OnnxNodeLayer*>(out);
        write_value_info(*g.add_output(), {out->name(), true, node ? node->output_type() : OnnxType::float32, false, {}});
    }
}

}  // namespace xvis::detail
