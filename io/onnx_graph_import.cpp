// import_onnx: every ONNX node becomes graph nodes through onnx_op_builders(); every consumed ONNX value
// becomes a layer named after it, so any tensor is a loss target, a CAM layer or an AM layer.
#include <xvis/autodiff/function.hpp>
#include <xvis/io/detail/onnx_import.hpp>
#include <xvis/io/detail/onnx_node_layer.hpp>
#include <xvis/io/onnx.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <unordered_map>

namespace xvis {

namespace {

using detail::ImportContext;
using detail::NodeSpec;
using detail::OnnxNodeLayer;
using detail::Source;

bool is_float_type(int t) {
    return t == onnx::TensorProto::FLOAT || t == onnx::TensorProto::DOUBLE || t == onnx::TensorProto::FLOAT16 ||
           t == onnx::TensorProto::BFLOAT16;
}

// A graph input or output as declared, kept for save_onnx.
detail::OnnxValueInfo as_declared(const onnx::ValueInfoProto& v) {
    detail::OnnxValueInfo r;
    r.name = v.name();
    r.has_type = v.type().has_tensor_type();
    const auto& tt = v.type().tensor_type();
    r.type = static_cast<OnnxType>(tt.elem_type());
    r.has_shape = tt.has_shape();
    for (const auto& d : tt.shape().dim())
        r.dims.push_back({d.has_dim_value() ? std::optional<std::int64_t>(d.dim_value()) : std::nullopt, d.dim_param()});
    return r;
}

}  // namespace

Model detail::import_onnx_model(onnx::ModelProto& m, const std::string& path, const OnnxImportOptions& options, const std::string& call) {
    const auto fail = [&](const std::string& what) -> void { throw std::runtime_error(call + ": '" + path + "': " + what); };
    const std::string dir = std::filesystem::path(path).parent_path().string();
    auto& g = *m.mutable_graph();
    int opset = 0;
    for (const auto& o : m.opset_import())
        if (o.domain().empty() || o.domain() == "ai.onnx") opset = static_cast<int>(o.version());
    auto ctx = std::make_shared<ImportContext>();
    ctx->ir_version = m.ir_version();
    for (const auto& o : m.opset_import()) ctx->opsets.emplace_back(o.domain(), o.version());
    for (const auto& o : g.output()) ctx->outputs.push_back(as_declared(o));
    ctx->max_elements = options.max_tensor_elements;
    ctx->max_constant = std::min(options.max_constant_elements, options.max_tensor_elements);
    const auto node_name = [&](int i) {  // as builders' messages call it
        const auto& p = g.node(i);
        return p.name().empty() ? p.op_type() + "_" + std::to_string(i) : p.name();
    };
    const auto& table = onnx_op_builders();

    // Every op xvis lacks, counted, with its first node: one error, not one per attempt.
    {
        std::map<std::string, std::pair<int, std::string>> missing;
        for (int i = 0; i < g.node_size(); ++i) {
            const auto& p = g.node(i);
            const bool custom = !p.domain().empty() && p.domain() != "ai.onnx";
            if (!custom && table.count(p.op_type())) continue;
            auto& e = missing[custom ? p.domain() + "::" + p.op_type() : p.op_type()];
            if (e.first++ == 0) e.second = p.name().empty() ? "#" + std::to_string(i) : p.name();
        }
        if (!missing.empty()) {
            std::string list;
            for (const auto& [op, e] : missing)
                list += (list.empty() ? "" : ", ") + op + " x" + std::to_string(e.first) + " (first node '" + e.second + "')";
            fail("unsupported ops at opset " + std::to_string(opset) + ": " + list);
        }
    }
    if (opset == 0) fail("no opset for the default ONNX domain");

    // Initializers: float → weights (shared tensors; their protobuf bytes are freed once copied), integer and
    // bool → constants; float scalars (bounds, epsilons) → constants too, so what depends on them folds.
    std::unordered_map<std::string, std::shared_ptr<Tensor>> weights;
    std::unordered_map<std::string, std::pair<std::shared_ptr<const TensorD>, OnnxType>> constants;
    // Non-finite values: NaN is refused in every float initializer; ±inf only in the operands of the ops that
    // multiply or normalize the input (kernels, matrices, scales, statistics), since -inf is a legitimate
    // attention-mask or clamp value elsewhere (docs/security.md).
    std::set<std::string> parameters;
    for (const auto& p : g.node()) {
        static const std::set<std::string> ops{"Conv", "ConvTranspose", "Gemm", "MatMul", "BatchNormalization", "InstanceNormalization",
                                               "LayerNormalization", "PRelu"};
        if (ops.count(p.op_type())) parameters.insert(p.input().begin(), p.input().end());
    }
    for (auto& t : *g.mutable_initializer()) {
        try {
            const auto type = static_cast<OnnxType>(t.data_type());
            ctx->stored_types[t.name()] = type;
            const std::size_t n = detail::checked_elements(t, options.max_tensor_elements);
            const bool allow_inf = !parameters.count(t.name());
            if (is_float_type(t.data_type()) && t.dims_size() > 0 && n > 0) {
                auto w = std::make_shared<Tensor>(detail::decode_tensor<float>(t, dir, options.max_tensor_elements));
                detail::check_finite(w->data(), n, w->shape(), t.name(), allow_inf);
                weights[t.name()] = std::move(w);
            } else {
                auto c = std::make_shared<const TensorD>(detail::decode_tensor<double>(t, dir, options.max_tensor_elements));
                if (is_float_type(t.data_type())) detail::check_finite(c->data(), n, c->shape(), t.name(), allow_inf);
                constants[t.name()] = {std::move(c), is_float_type(t.data_type()) ? OnnxType::float32 : type};
            }
            std::string().swap(*t.mutable_raw_data());
        } catch (const std::exception& e) {
            fail(std::string("initializer: ") + e.what());
        }
    }

    // Graph inputs: the first one's dim 0 is the batch (symbolic, or the batch it was exported with); other
    // inputs follow the batch only when their dim 0 is symbolic too.
    std::unordered_map<std::string, LayerPtr> layers;  // ONNX value → the layer producing it
    std::vector<LayerRef> ins;
    for (const auto& in : g.input()) {
        if (weights.count(in.name()) || constants.count(in.name())) continue;  // old exporters list weights as inputs
        if (!in.type().has_tensor_type()) fail("input '" + in.name() + "' is not a tensor (sequences, maps and optionals are not supported)");
        const auto& tt = in.type().tensor_type();
        if (auto c = options.constant_inputs.find(in.name()); c != options.constant_inputs.end()) {
            const int et = tt.elem_type();
            Shape declared;
            bool known = true;
            for (const auto& d : tt.shape().dim()) {
                known = known && d.has_dim_value();
                declared.push_back(static_cast<std::size_t>(std::max<long long>(d.dim_value(), 0)));
            }
            if (known && declared != c->second.shape())
                fail("constant_inputs: input '" + in.name() + "' is declared " + shape_to_string(declared) + ", the value given is " +
                     shape_to_string(c->second.shape()));
            constants[in.name()] = {std::make_shared<const TensorD>(c->second), is_float_type(et) ? OnnxType::float32 : static_cast<OnnxType>(et)};
            ctx->stored_types[in.name()] = static_cast<OnnxType>(et);
            continue;
        }
        Shape shape;
        bool symbolic0 = false;
        std::size_t total = 1;
        for (int d = 0; d < tt.shape().dim_size(); ++d) {
            const auto& dim = tt.shape().dim(d);
            std::size_t v = 1;
            if (dim.has_dim_value() && dim.dim_value() < 0)
                fail("input '" + in.name() + "' has a negative dimension " + std::to_string(dim.dim_value()) + " at axis " + std::to_string(d));
            if (dim.has_dim_value()) v = static_cast<std::size_t>(dim.dim_value());
            else if (d == 0) symbolic0 = true;
            else fail("input '" + in.name() + "' has a dynamic dimension " + std::to_string(d) + " ('" + dim.dim_param() +
                      "'): xvis needs fixed sizes besides the batch (re-export with a fixed input size)");
            // Empty axes count as 1: the other axes of an empty input still size the work of the ops reading it.
            const std::size_t w = std::max<std::size_t>(v, 1);
            if (total > options.max_tensor_elements / w) fail("input '" + in.name() + "' has more than " + std::to_string(options.max_tensor_elements) + " elements");
            total *= w;
            shape.push_back(v);
        }
        if (shape.size() > max_rank) fail("input '" + in.name() + "' has rank " + std::to_string(shape.size()));
        std::shared_ptr<InputLayer> layer;
        const bool first = ins.empty();
        if (shape.size() >= 2 && (first || symbolic0)) {
            if (first) ctx->export_batch = shape[0];
            layer = std::make_shared<InputLayer>(Shape(shape.begin() + 1, shape.end()), in.name());
        } else {  // rank 0 or 1 (nothing to batch), or an operand of fixed size
            layer = InputLayer::fixed(shape, in.name());
        }
        if (first && layer->has_batch_axis()) ctx->batch_input = layer;
        const int et = tt.elem_type();
        ctx->input_types[layer.get()] = is_float_type(et) ? OnnxType::float32 : static_cast<OnnxType>(et);
        layers[in.name()] = layer;
        ins.push_back({layer});
        ctx->inputs.push_back(as_declared(in));
    }
    for (const auto& [name, value] : options.constant_inputs) {
        bool found = false;
        for (const auto& in : g.input()) found = found || in.name() == name;
        if (!found) {
            std::string names;
            for (const auto& in : g.input())
                if (!weights.count(in.name())) names += (names.empty() ? "" : ", ") + in.name();
            fail("constant_inputs names '" + name + "', which is not a graph input (inputs: " + names + ")");
        }
    }
    if (ins.empty()) fail("the graph has no inputs (besides initializers)");

    // Nodes in dependency order (Kahn); what never becomes ready is a dangling input or a cycle.
    const int count = g.node_size();
    std::unordered_map<std::string, int> producer;
    for (int i = 0; i < count; ++i)
        for (const auto& o : g.node(i).output())
            if (!o.empty()) producer[o] = i;
    std::unordered_map<std::string, int> uses;
    for (const auto& p : g.node())
        for (const auto& in : p.input()) ++uses[in];
    for (const auto& o : g.output()) ++uses[o.name()];
    std::vector<int> order, pending(static_cast<std::size_t>(count), 0);
    std::vector<std::vector<int>> consumers(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
        const auto& p = g.node(i);
        for (const auto& in : p.input()) {
            if (in.empty() || layers.count(in) || weights.count(in) || constants.count(in)) continue;
            auto it = producer.find(in);
            if (it == producer.end())
                fail("node '" + node_name(i) + "' (" + p.op_type() + "): input '" + in + "' is neither a graph input, an initializer nor the output of a node");
            ++pending[static_cast<std::size_t>(i)];
            consumers[static_cast<std::size_t>(it->second)].push_back(i);
        }
    }
    for (int i = 0; i < count; ++i)
        if (pending[static_cast<std::size_t>(i)] == 0) order.push_back(i);
    for (std::size_t k = 0; k < order.size(); ++k)
        for (int c : consumers[static_cast<std::size_t>(order[k])])
            if (--pending[static_cast<std::size_t>(c)] == 0) order.push_back(c);
    if (order.size() != static_cast<std::size_t>(count)) {
        // Walk back through waiting producers until one repeats: that node is on the cycle (the first waiting
        // node may only depend on it).
        int at = 0;
        while (pending[static_cast<std::size_t>(at)] == 0) ++at;
        std::vector<bool> seen(static_cast<std::size_t>(count), false);
        while (!seen[static_cast<std::size_t>(at)]) {
            seen[static_cast<std::size_t>(at)] = true;
            for (const auto& in : g.node(at).input()) {
                auto it = producer.find(in);
                if (it != producer.end() && pending[static_cast<std::size_t>(it->second)] > 0) {
                    at = it->second;
                    break;
                }
            }
        }
        fail("node '" + node_name(at) + "' (" + g.node(at).op_type() + ") is on a cycle");
    }

    std::vector<std::pair<std::string, std::string>> aliases;
    std::set<std::string> layer_names;
    for (const auto& [name, l] : layers) layer_names.insert(name);
    for (int i : order) {
        const auto& p = g.node(i);
        auto spec = std::make_shared<NodeSpec>();
        OnnxOpNode& n = spec->proto;
        n.op_type = p.op_type();
        n.name = node_name(i);
        n.opset = opset;
        spec->builder = &table.at(p.op_type());
        spec->domain = p.domain();
        try {
            for (const auto& a : p.attribute()) {
                auto& decoded = n.attributes[a.name()] = detail::decode_attribute(a, dir, options.max_tensor_elements);
                if (decoded.kind == OnnxAttribute::Kind::other) spec->raw_attributes[a.name()] = a.SerializeAsString();
            }
        } catch (const std::exception& e) {
            fail("node '" + n.name + "' (" + n.op_type + "): attribute: " + e.what());
        }
        n.input_names.assign(p.input().begin(), p.input().end());
        n.output_names.assign(p.output().begin(), p.output().end());
        std::vector<Source> sources;
        std::vector<LayerRef> refs;
        std::vector<std::pair<std::string, std::shared_ptr<Tensor>>> own_weights;
        for (const auto& in : p.input()) {
            Source s;
            if (in.empty()) {
                s.kind = Source::Kind::absent;
            } else if (auto l = layers.find(in); l != layers.end()) {
                s.kind = Source::Kind::layer;
                s.index = refs.size();
                refs.push_back({l->second});
            } else if (auto w = weights.find(in); w != weights.end()) {
                s.kind = Source::Kind::weight;
                s.index = own_weights.size();
                s.type = OnnxType::float32;
                own_weights.emplace_back(in, w->second);
            } else {
                const auto& c = constants.at(in);
                s.kind = Source::Kind::constant;
                s.value = c.first;
                s.type = c.second;
            }
            sources.push_back(std::move(s));
        }
        std::shared_ptr<const NodeSpec> shared = spec;
        bool first_output = true;
        for (int k = 0; k < p.output_size(); ++k) {
            const std::string& out = p.output(k);
            if (out.empty() || !uses.count(out)) continue;
            if (!layer_names.insert(out).second) fail("node '" + n.name + "': output '" + out + "' is produced twice");
            auto layer = std::make_shared<OnnxNodeLayer>(out, shared, static_cast<std::size_t>(k), sources, ctx);
            for (const auto& [wname, w] : own_weights) layer->take_weight(wname, w);
            if (!refs.empty()) (*layer)(refs);
            layers[out] = layer;
            if (first_output && n.name != out) aliases.emplace_back(n.name, out);
            first_output = false;
        }
    }

    std::vector<LayerRef> outs;
    for (const auto& o : g.output()) {
        auto it = layers.find(o.name());
        if (it == layers.end()) fail("graph output '" + o.name() + "' is an initializer or produced by no node");
        outs.push_back({it->second});
    }
    // Aliases must not shadow a layer's own name, and one node name maps once.
    std::vector<std::pair<std::string, std::string>> kept;
    std::set<std::string> seen;
    for (auto& a : aliases)
        if (!layer_names.count(a.first) && seen.insert(a.first).second) kept.push_back(std::move(a));
    try {
        Model model(ins, outs, g.name().empty() ? "model" : g.name(), 0, ctx->export_batch);
        std::vector<std::pair<std::string, std::string>> reachable;  // nodes whose outputs the graph outputs use
        for (auto& a : kept) {
            try {
                model.layer(a.second);
                reachable.push_back(std::move(a));
            } catch (const std::exception&) {
            }
        }
        model.set_aliases(std::move(reachable));
        return model;
    } catch (const std::exception& e) {
        fail(e.what());
    }
    throw std::logic_error("unreachable");
}

Model import_onnx(const std::string& path, const OnnxImportOptions& options) {
    onnx::ModelProto m;
    detail::read_onnx_model(path, m, "import_onnx");
    return detail::import_onnx_model(m, path, options, "import_onnx");
}

TensorD load_onnx_tensor(const std::string& path, OnnxType* type, std::string* name) {
    onnx::TensorProto t;
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("load_onnx_tensor: '" + path + "': cannot open");
    if (!t.ParseFromIstream(&in)) throw std::runtime_error("load_onnx_tensor: '" + path + "': not a serialized ONNX TensorProto");
    if (type) *type = static_cast<OnnxType>(t.data_type());
    if (name) *name = t.name();
    try {
        return detail::decode_tensor<double>(t, std::filesystem::path(path).parent_path().string(), std::size_t(1) << 31);
    } catch (const std::exception& e) {
        throw std::runtime_error("load_onnx_tensor: '" + path + "': " + e.what());
    }
}

}  // namespace xvis
