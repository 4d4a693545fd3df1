// load_onnx: protobuf → OnnxImportNode list → fusions → one layer per node via onnx_layer_builders() → Model.
#include <xvis/io/onnx.hpp>
#include <xvis/io/onnx_import.hpp>

#include <xvis/io/detail/onnx_import.hpp>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

namespace xvis {

// ---- OnnxImportNode accessors

const Node& OnnxImportNode::data(std::size_t i) const {
    if (i >= inputs.size() || !inputs[i].present()) fail("input " + std::to_string(i) + " is missing");
    if (!inputs[i].node.valid()) fail("input " + std::to_string(i) + " ('" + inputs[i].name + "') must be a layer output, not a weight");
    return inputs[i].node;
}
const Tensor& OnnxImportNode::constant(std::size_t i) const {
    if (i >= inputs.size() || !inputs[i].present()) fail("input " + std::to_string(i) + " is missing");
    if (!inputs[i].constant) fail("input " + std::to_string(i) + " ('" + inputs[i].name + "') must be a float initializer (a weight)");
    return *inputs[i].constant;
}

namespace {

struct Reader {
    std::string path;
    onnx::ModelProto m;
    std::unordered_map<std::string, Tensor> inits;
    std::unordered_map<std::string, std::string> non_float;  // initializer name → why it was not decoded
    std::vector<OnnxImportNode> nodes;
    std::vector<bool> removed;
    std::vector<std::vector<std::string>> outputs;  // per node
    std::unordered_map<std::string, int> uses;       // value → consumers (graph outputs count)
    std::unordered_map<std::string, std::size_t> producer;

    [[noreturn]] void fail(const std::string& what) const { throw std::runtime_error("load_onnx: '" + path + "': " + what); }

    std::string meta(const std::string& key) const {
        for (const auto& p : m.metadata_props())
            if (p.key() == key) return p.value();
        return {};
    }

    // The metadata xvis writes: channels_first (ONNX's Conv and pooling are NCHW), or absent in older files.
    void check_format() {
        const std::string name = meta("xvis.data_format");
        if (name.empty() || name == to_string(DataFormat::channels_first)) return;
        std::string unknown;
        try {
            from_string<DataFormat>(name);
        } catch (const std::invalid_argument&) {
            unknown = " (not a data format; valid: " + valid_names<DataFormat>() + ")";
        }
        fail("data format '" + name + "'" + unknown + ": only channels_first models can be loaded (ONNX's Conv and pooling are NCHW)");
    }

    void decode_initializers() {
        static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "ONNX raw_data is little-endian; add a byte swap here");
        for (const auto& t : m.graph().initializer()) {
            if (t.data_type() != onnx::TensorProto::FLOAT) {
                non_float[t.name()] = "has data type " + std::to_string(t.data_type()) + " (only float32 weights are supported)";
                continue;
            }
            if (t.data_location() == onnx::TensorProto::EXTERNAL) {
                non_float[t.name()] = "is stored in an external file (not supported)";
                continue;
            }
            // Counted (overflow-checked, bounded like import_onnx) and compared with the bytes present before the
            // tensor is allocated: a tiny file must not be able to ask for gigabytes.
            std::size_t n = 0;
            try {
                n = detail::checked_elements(t, OnnxImportOptions{}.max_tensor_elements);
            } catch (const std::exception& e) {
                fail(std::string("initializer: ") + e.what());
            }
            const Shape shape = detail::tensor_shape(t);
            if (!t.raw_data().empty()) {
                if (t.raw_data().size() != n * sizeof(float))
                    fail("initializer '" + t.name() + "' " + shape_to_string(shape) + " has " + std::to_string(t.raw_data().size()) +
                         " bytes of raw_data, expected " + std::to_string(n * sizeof(float)));
            } else if (static_cast<std::size_t>(t.float_data_size()) != n) {
                fail("initializer '" + t.name() + "' " + shape_to_string(shape) + " has " + std::to_string(t.float_data_size()) +
                     " values, expected " + std::to_string(n));
            }
            Tensor v(shape);
            if (!t.raw_data().empty()) std::memcpy(v.data(), t.raw_data().data(), t.raw_data().size());
            else std::copy(t.float_data().begin(), t.float_data().end(), v.data());
            try {
                detail::check_finite(v.data(), n, shape, t.name(), false);  // xvis writes weights only, never masks
            } catch (const std::exception& e) {
                fail(std::string("initializer: ") + e.what());
            }
            inits.emplace(t.name(), std::move(v));
        }
    }

    void collect_nodes(std::set<std::string>& names) {
        int opset = 0;
        for (const auto& o : m.opset_import())
            if (o.domain().empty() || o.domain() == "ai.onnx") opset = static_cast<int>(o.version());
        if (opset == 0) fail("no opset for the default ONNX domain");
        const auto& g = m.graph();
        for (int i = 0; i < g.node_size(); ++i) {
            const auto& p = g.node(i);
            // Identity on a weight (PyTorch's deduplicated initializers): an alias, not a layer.
            if (p.op_type() == "Identity" && p.input_size() == 1 && inits.count(p.input(0)) && p.output_size() == 1) {
                inits.emplace(p.output(0), inits.at(p.input(0)));
                continue;
            }
            OnnxImportNode n;
            n.op_type = p.op_type();
            if (!p.domain().empty() && p.domain() != "ai.onnx") fail("node '" + p.name() + "': op " + p.domain() + "::" + p.op_type() + " is not supported (custom domain)");
            std::string name = p.name().empty() ? p.op_type() + "_" + std::to_string(i) : p.name();
            for (int k = 1; !names.insert(name).second; ++k) name = (p.name().empty() ? p.op_type() + "_" + std::to_string(i) : p.name()) + "_" + std::to_string(k);
            n.name = name;
            n.opset = opset;
            n.doc_string = p.doc_string();
            for (const auto& a : p.attribute()) n.attributes[a.name()] = detail::decode_attribute(a, {}, std::size_t(1) << 20);
            for (const auto& in : p.input()) n.inputs.push_back({in, {}, nullptr});
            nodes.push_back(std::move(n));
            outputs.emplace_back(p.output().begin(), p.output().end());
        }
        removed.assign(nodes.size(), false);
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            for (const auto& in : nodes[i].inputs) ++uses[in.name];
            for (const auto& out : outputs[i]) producer[out] = i;
        }
        for (const auto& out : g.output()) ++uses[out.name()];
    }

    // The node producing `value`, when it is consumed by exactly one node and not a graph output.
    OnnxImportNode* sole_producer(const std::string& value, std::size_t* index = nullptr) {
        auto it = producer.find(value);
        if (it == producer.end() || removed[it->second] || uses[value] != 1) return nullptr;
        if (index) *index = it->second;
        return &nodes[it->second];
    }

    void fuse() {
        static const std::map<std::string, ActivationKind> acts{{"Relu", ActivationKind::relu},       {"Sigmoid", ActivationKind::sigmoid},
                                                                {"Tanh", ActivationKind::tanh},       {"Softmax", ActivationKind::softmax},
                                                                {"LeakyRelu", ActivationKind::leaky_relu}};
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            OnnxImportNode& n = nodes[i];
            if (n.inputs.empty()) continue;
            std::size_t pi = 0;
            if (n.op_type == "Add" && n.inputs.size() == 2) {  // MatMul + Add(bias) → one Dense
                for (int side = 0; side < 2; ++side) {
                    OnnxImportNode* mm = sole_producer(n.inputs[side].name, &pi);
                    auto bias = inits.find(n.inputs[1 - side].name);
                    if (mm && mm->op_type == "MatMul" && !mm->fused_bias && bias != inits.end() && bias->second.rank() == 1) {
                        mm->fused_bias = &bias->second;
                        take_over(pi, i);
                        break;
                    }
                }
            } else if (n.op_type == "Flatten" && n.attr_int("axis", 1) == 1) {  // GlobalAveragePool + Flatten
                OnnxImportNode* gap = sole_producer(n.inputs[0].name, &pi);
                if (gap && gap->op_type == "GlobalAveragePool") {
                    gap->fused_flatten = true;
                    take_over(pi, i);
                }
            } else if (acts.count(n.op_type)) {  // xvis's "<layer>/<activation>" nodes fold back into the layer
                OnnxImportNode* p = sole_producer(n.inputs[0].name, &pi);
                if (p && (p->op_type == "Conv" || p->op_type == "Gemm" || p->op_type == "MatMul") &&
                    p->activation == ActivationKind::linear && n.name.rfind(p->name + "/", 0) == 0 &&
                    (n.op_type != "LeakyRelu" || std::fabs(n.attr_float("alpha", 0.01) - keras_leaky_relu_alpha) < 1e-6)) {
                    p->activation = acts.at(n.op_type);
                    take_over(pi, i);
                }
            }
        }
    }
    // Node `keep` absorbs node `drop`: it now produces drop's outputs.
    void take_over(std::size_t keep, std::size_t drop) {
        outputs[keep] = outputs[drop];
        for (const auto& out : outputs[keep]) producer[out] = keep;
        removed[drop] = true;
    }
};

}  // namespace

namespace {

// A file xvis wrote (metadata xvis.model_kind): the same Keras-style layers again.
Model read_xvis_model(Reader& r) {
    r.check_format();
    r.decode_initializers();
    std::set<std::string> names;
    struct Value {
        LayerPtr layer;
        Node node;
    };
    std::unordered_map<std::string, Value> values;
    std::vector<LayerPtr> input_layers, layers;
    std::unordered_map<const Layer*, std::vector<LayerPtr>> inbound;
    for (const auto& in : r.m.graph().input()) {
        if (r.inits.count(in.name()) || r.non_float.count(in.name())) continue;  // old exporters list weights as inputs
        const auto& tt = in.type().tensor_type();
        if (tt.elem_type() != onnx::TensorProto::FLOAT) r.fail("input '" + in.name() + "' is not float32");
        Shape shape;
        for (int d = 1; d < tt.shape().dim_size(); ++d) {
            if (!tt.shape().dim(d).has_dim_value() || tt.shape().dim(d).dim_value() <= 0)
                r.fail("input '" + in.name() + "' has a dynamic dimension " + std::to_string(d) + ": xvis needs a fixed shape besides the batch");
            shape.push_back(static_cast<std::size_t>(tt.shape().dim(d).dim_value()));
        }
        if (shape.empty()) r.fail("input '" + in.name() + "' needs a rank >= 2 ([batch, ...])");
        auto layer = std::make_shared<InputLayer>(shape, in.name());
        names.insert(in.name());
        values[in.name()] = {layer, layer->build({}, BuildContext{}).output};
        input_layers.push_back(layer);
    }
    r.collect_nodes(names);
    r.fuse();

    const auto& table = onnx_layer_builders();
    for (std::size_t i = 0; i < r.nodes.size(); ++i) {
        if (r.removed[i]) continue;
        OnnxImportNode& n = r.nodes[i];
        try {
            auto builder = table.find(n.op_type);
            if (builder == table.end()) {
                std::string ops;
                for (const auto& op : onnx_supported_ops()) ops += (ops.empty() ? "" : ", ") + op;
                n.fail("unsupported op '" + n.op_type + "' (supported: " + ops + ")");
            }
            std::vector<Node> data;
            std::vector<LayerPtr> sources;
            for (auto& in : n.inputs) {
                if (!in.present()) continue;
                if (auto v = values.find(in.name); v != values.end()) {
                    in.node = v->second.node;
                    data.push_back(in.node);
                    sources.push_back(v->second.layer);
                } else if (auto c = r.inits.find(in.name); c != r.inits.end()) {
                    in.constant = &c->second;
                } else if (auto nf = r.non_float.find(in.name); nf != r.non_float.end()) {
                    n.fail("initializer '" + in.name + "' " + nf->second);
                } else {
                    n.fail("input '" + in.name + "' is neither a graph input, a weight nor the output of an earlier node");
                }
            }
            OnnxLayer built = builder->second(n);
            Node out = built.layer->build(data, BuildContext{}).output;
            for (auto& [wname, value] : built.weights) {
                auto w = built.layer->weight(wname);
                if (w->shape() != value.shape())
                    n.fail("weight '" + wname + "' has shape " + shape_to_string(value.shape()) + ", the layer needs " + shape_to_string(w->shape()));
                std::copy(value.begin(), value.end(), w->begin());
            }
            for (std::size_t k = 1; k < r.outputs[i].size(); ++k)
                if (!r.outputs[i][k].empty() && r.uses[r.outputs[i][k]] > 0) n.fail("output " + std::to_string(k) + " ('" + r.outputs[i][k] + "') is used; only the first output is supported");
            values[r.outputs[i].at(0)] = {built.layer, out};
            inbound[built.layer.get()] = sources;
            layers.push_back(built.layer);
        } catch (const std::exception& e) {
            const std::string what = e.what();
            if (what.rfind("node '", 0) == 0) r.fail(what);
            r.fail("node '" + n.name + "' (" + n.op_type + "): " + what);
        }
    }

    std::vector<LayerPtr> output_layers;
    for (const auto& out : r.m.graph().output()) {
        auto v = values.find(out.name());
        if (v == values.end()) r.fail("graph output '" + out.name() + "' is not produced by any node");
        output_layers.push_back(v->second.layer);
    }
    std::string name = r.meta("xvis.model_name");
    if (name.empty()) name = r.m.graph().name().empty() ? "model" : r.m.graph().name();

    try {
        // A chain saved from a sequential model comes back sequential (same layer indices as before).
        bool chain = r.meta("xvis.model_kind") == "sequential" && input_layers.size() == 1 && output_layers.size() == 1 && !layers.empty() &&
                     output_layers[0] == layers.back();
        for (std::size_t i = 0; chain && i < layers.size(); ++i) {
            const auto& src = inbound[layers[i].get()];
            chain = src.size() == 1 && src[0] == (i == 0 ? input_layers[0] : layers[i - 1]);
        }
        if (chain) {
            std::vector<LayerPtr> all{input_layers[0]};
            all.insert(all.end(), layers.begin(), layers.end());
            return Model::sequential(all, name);
        }
        for (const auto& l : layers) {
            std::vector<LayerRef> refs;
            for (const auto& src : inbound[l.get()]) refs.push_back({src});
            (*l)(refs);
        }
        std::vector<LayerRef> ins, outs;
        for (const auto& l : input_layers) ins.push_back({l});
        for (const auto& l : output_layers) outs.push_back({l});
        return Model(ins, outs, name);
    } catch (const std::exception& e) {
        r.fail(std::string("cannot assemble the model: ") + e.what());
    }
}

}  // namespace

Model load_onnx(const std::string& path) {
    Reader r;
    r.path = path;
    detail::read_onnx_model(path, r.m, "load_onnx");
    if (r.meta("xvis.model_kind").empty()) return detail::import_onnx_model(r.m, path, {}, "load_onnx");
    // Every bad-input error names the call and the file, also those of the steps that do not add it themselves
    // (attribute decoding in the fusions, layer construction: found by fuzzing, tests/fuzz/regressions/onnx).
    try {
        return read_xvis_model(r);
    } catch (const std::runtime_error& e) {
        if (std::string_view(e.what()).rfind("load_onnx: '", 0) == 0) throw;
        r.fail(e.what());
    } catch (const std::invalid_argument& e) {
        r.fail(e.what());
    }
}

}  // namespace xvis
