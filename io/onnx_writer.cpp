// save_onnx: translates each layer of a built Model into ONNX nodes. Layers keep their configuration private,
// so the writer reads it from the layer's part of the built graph (the conv2d / pooling / concat node's
// attributes, the add_scalar of BatchNormalization): that graph is exactly what the model computes.
#include <xvis/autodiff/function.hpp>
#include <xvis/autodiff/op.hpp>
#include <xvis/image/atomic_file.hpp>
#include <xvis/io/onnx.hpp>
#include <xvis/layers/conv2d.hpp>
#include <xvis/layers/core.hpp>

#include <onnx/onnx_pb.h>  // defines ONNX_API, then includes onnx-ml.pb.h (ONNX_ML=1)

#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <unordered_set>

namespace xvis {

namespace {

using NodeList = std::vector<Node>;

[[noreturn]] void fail(const Layer& l, const std::string& what) {
    throw std::invalid_argument("save_onnx: layer '" + l.name() + "' (" + l.class_name() + "): " + what);
}

// The op nodes the layer added: reachable from its output without crossing its inputs' outputs.
NodeList layer_nodes(const ModelGraph& graph, const Layer& l) {
    std::unordered_set<const NodeImpl*> stop, seen;
    for (const auto& in : l.inbound()) stop.insert(graph.layer_output(in->name()).impl());
    NodeList out, stack{graph.layer_output(l.name())};
    while (!stack.empty()) {
        Node n = stack.back();
        stack.pop_back();
        if (stop.count(n.impl()) || !seen.insert(n.impl()).second) continue;
        if (n.kind() == NodeKind::op) out.push_back(n);
        for (const auto& in : n.inputs()) stack.push_back(in);
    }
    return out;
}

const Node* find_type(const NodeList& nodes, const std::string& type) {
    for (const auto& n : nodes)
        if (n.type() == type) return &n;
    return nullptr;
}

void reject_channels_last(const Layer& l, const NodeList& nodes) {
    if (find_type(nodes, "transpose")) fail(l, "channels_last layers cannot be saved yet (ONNX Conv and pooling are NCHW)");
}

// The integer list (or single integer) attribute `key` of an op, e.g. conv2d's "stride" → {2, 2}.
std::vector<long long> attr_list(const Layer& l, const Node& n, const std::string& key) {
    const OpAttributes attrs = n.op().attributes();
    try {
        if (const OpAttribute* a = attrs.find(key); a && std::holds_alternative<std::int64_t>(a->value))
            return {attrs.get_int(key)};
        const auto& v = attrs.get_ints(key);
        return std::vector<long long>(v.begin(), v.end());
    } catch (const std::invalid_argument& e) {
        fail(l, e.what());
    }
}

struct Writer {
    onnx::GraphProto& g;
    const ModelGraph& graph;

    onnx::NodeProto& node(const std::string& op, const std::string& name, std::vector<std::string> in, const std::string& out) {
        onnx::NodeProto* n = g.add_node();
        n->set_op_type(op);
        n->set_name(name);
        for (auto& s : in) n->add_input(s);
        n->add_output(out);
        return *n;
    }
    static void ints(onnx::NodeProto& n, const std::string& name, const std::vector<long long>& v) {
        auto* a = n.add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::INTS);
        for (auto x : v) a->add_ints(x);
    }
    static void integer(onnx::NodeProto& n, const std::string& name, long long v) {
        auto* a = n.add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::INT);
        a->set_i(v);
    }
    static void real(onnx::NodeProto& n, const std::string& name, float v) {
        auto* a = n.add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::FLOAT);
        a->set_f(v);
    }
    // Float32 initializer "<layer>/<weight>" with the tensor's bytes as raw_data (little-endian, as ONNX requires).
    std::string weight(const Layer& l, const std::string& w) {
        static_assert(sizeof(float) == 4, "float32 expected");
        const Tensor& t = *l.weight(w);
        const std::string name = l.name() + "/" + w;
        onnx::TensorProto* init = g.add_initializer();
        init->set_name(name);
        init->set_data_type(onnx::TensorProto::FLOAT);
        for (auto d : t.shape()) init->add_dims(static_cast<std::int64_t>(d));
        init->set_raw_data(reinterpret_cast<const char*>(t.data()), t.size() * sizeof(float));
        return name;
    }
    static void value_info(onnx::ValueInfoProto* v, const std::string& name, const Shape& without_batch) {
        v->set_name(name);
        auto* tt = v->mutable_type()->mutable_tensor_type();
        tt->set_elem_type(onnx::TensorProto::FLOAT);
        auto* shape = tt->mutable_shape();
        shape->add_dim()->set_dim_param("batch");
        for (auto d : without_batch) shape->add_dim()->set_dim_value(static_cast<std::int64_t>(d));
    }

    // Writes the activation node of a layer whose core op produced `pre`; returns nothing for linear.
    void activation(const Layer& l, ActivationKind a, const std::string& pre, const std::string& out, const std::string& name,
                    const NodeList& nodes) {
        switch (a) {
            case ActivationKind::linear: node("Identity", name, {pre}, out); return;
            case ActivationKind::relu: node("Relu", name, {pre}, out); return;
            case ActivationKind::sigmoid: node("Sigmoid", name, {pre}, out); return;
            case ActivationKind::tanh: node("Tanh", name, {pre}, out); return;
            case ActivationKind::softmax: integer(node("Softmax", name, {pre}, out), "axis", -1); return;
            case ActivationKind::leaky_relu: {
                const Node* n = find_type(nodes, "leaky_relu");
                if (!n) fail(l, "no leaky_relu node in the layer's graph");
                real(node("LeakyRelu", name, {pre}, out), "alpha", static_cast<float>(n->op().attributes().get_double("alpha")));
                return;
            }
        }
    }
    // Core op output, then the activation: the core node writes straight to `out` when linear.
    std::string core_output(const Layer& l) { return l.activation().value_or(ActivationKind::linear) == ActivationKind::linear ? l.name() : l.name() + "/preact"; }
    void finish_activation(const Layer& l, const NodeList& nodes) {
        const ActivationKind a = l.activation().value_or(ActivationKind::linear);
        if (a != ActivationKind::linear) activation(l, a, l.name() + "/preact", l.name(), l.name() + "/" + to_string(a), nodes);
    }

    void conv(const Layer& l, const std::vector<std::string>& in, const NodeList& nodes) {
        if (static_cast<const Conv2D&>(l).data_format() != DataFormat::channels_first) fail(l, "channels_last Conv2D cannot be saved yet (ONNX Conv is NCHW)");
        const Node* c = find_type(nodes, "conv2d");
        if (!c) fail(l, "no conv2d node in the layer's graph");
        const Shape& ks = l.weight("kernel")->shape();
        std::vector<std::string> inputs{in[0], weight(l, "kernel")};
        for (const auto& w : l.weights())
            if (w.name == "bias") inputs.push_back(weight(l, "bias"));
        auto& n = node("Conv", l.name(), inputs, core_output(l));
        const auto pad = attr_list(l, *c, "pad");  // top, bottom, left, right
        ints(n, "kernel_shape", {static_cast<long long>(ks[2]), static_cast<long long>(ks[3])});
        ints(n, "strides", attr_list(l, *c, "stride"));
        ints(n, "dilations", attr_list(l, *c, "dilation"));
        ints(n, "pads", {pad.at(0), pad.at(2), pad.at(1), pad.at(3)});  // ONNX: begins, then ends
        integer(n, "group", attr_list(l, *c, "groups").at(0));
        finish_activation(l, nodes);
    }

    void dense(const Layer& l, const std::vector<std::string>& in) {
        const bool bias = l.weights().size() > 1;
        if (graph.layer_output(l.inbound()[0]->name()).rank() == 2) {
            std::vector<std::string> inputs{in[0], weight(l, "kernel")};
            if (bias) inputs.push_back(weight(l, "bias"));
            node("Gemm", l.name(), inputs, core_output(l));
        } else {  // Dense over the last axis of a rank > 2 input: MatMul broadcasts like Keras
            const std::string mm = bias ? l.name() + "/matmul" : core_output(l);
            node("MatMul", l.name(), {in[0], weight(l, "kernel")}, mm);
            if (bias) node("Add", l.name() + "/bias", {mm, weight(l, "bias")}, core_output(l));
        }
        finish_activation(l, {});
    }

    void pool(const Layer& l, const std::vector<std::string>& in, const NodeList& nodes, bool is_max) {
        reject_channels_last(l, nodes);
        const Node* p = find_type(nodes, is_max ? "max_pool2d" : "avg_pool2d");
        if (!p) fail(l, "no pooling node in the layer's graph");
        auto& n = node(is_max ? "MaxPool" : "AveragePool", l.name(), in, l.name());
        const auto pad = attr_list(l, *p, "pad");
        ints(n, "kernel_shape", attr_list(l, *p, "kernel"));
        ints(n, "strides", attr_list(l, *p, "stride"));
        ints(n, "pads", {pad.at(0), pad.at(2), pad.at(1), pad.at(3)});
        if (!is_max) integer(n, "count_include_pad", 0);
    }

    void batch_norm(const Layer& l, const std::vector<std::string>& in, const NodeList& nodes) {
        const Shape& x = graph.layer_output(l.inbound()[0]->name()).shape();
        // The per-channel scale broadcasts as [C, 1, ...] (channels_first: rank − 1 axes) or [C] (channels_last).
        for (const auto& n : nodes)
            if (n.type() == "mul" && n.shape() == x && x.size() > 2)
                for (const auto& operand : n.inputs())
                    if (operand.shape() != x && operand.rank() != x.size() - 1)
                        fail(l, "channels_last BatchNormalization cannot be saved yet (ONNX BatchNormalization normalizes axis 1)");
        const Node* eps_node = find_type(nodes, "add_scalar");  // moving_variance + epsilon
        if (!eps_node) fail(l, "no add_scalar (variance + epsilon) node in the layer's graph");
        // The op prints epsilon with 6 decimals only: recover it exactly by running that node in double.
        FunctionD f = compile_double({*eps_node}, {});
        const TensorD& sum = f.run()[0];
        const Tensor& var = *l.weight("moving_variance");
        std::size_t k = 0;  // the smallest variance loses the fewest digits of epsilon
        for (std::size_t i = 1; i < var.size(); ++i)
            if (std::fabs(var[i]) < std::fabs(var[k])) k = i;
        const double epsilon = sum[k] - static_cast<double>(var[k]);
        auto& n = node("BatchNormalization", l.name(),
                       {in[0], weight(l, "gamma"), weight(l, "beta"), weight(l, "moving_mean"), weight(l, "moving_variance")}, l.name());
        real(n, "epsilon", static_cast<float>(epsilon));
    }

    void layer(const Layer& l, const std::vector<std::string>& in) {
        const std::string cls = l.class_name();
        const NodeList nodes = layer_nodes(graph, l);
        if (cls == "Conv2D") conv(l, in, nodes);
        else if (cls == "Dense") dense(l, in);
        else if (cls == "MaxPooling2D" || cls == "AveragePooling2D") pool(l, in, nodes, cls == "MaxPooling2D");
        else if (cls == "GlobalAveragePooling2D") {
            reject_channels_last(l, nodes);
            node("GlobalAveragePool", l.name(), in, l.name() + "/pool");
            integer(node("Flatten", l.name() + "/flatten", {l.name() + "/pool"}, l.name()), "axis", 1);
        } else if (cls == "Flatten") integer(node("Flatten", l.name(), in, l.name()), "axis", 1);
        else if (cls == "Dropout") {
            // ONNX Dropout (opset 13): the ratio is a scalar input; without training_mode it is the identity.
            const std::string ratio = l.name() + "/ratio";
            onnx::TensorProto* init = g.add_initializer();
            init->set_name(ratio);
            init->set_data_type(onnx::TensorProto::FLOAT);
            init->add_float_data(static_cast<float>(static_cast<const Dropout&>(l).rate()));
            node("Dropout", l.name(), {in.at(0), ratio}, l.name());
        }
        else if (cls == "Activation") {
            activation(l, *l.activation(), in[0], l.name(), l.name(), nodes);
            // A linear Activation is an Identity too: the doc string tells the reader which layer to rebuild.
            if (*l.activation() == ActivationKind::linear) g.mutable_node(g.node_size() - 1)->set_doc_string("xvis.layer=Activation");
        }
        else if (cls == "BatchNormalization") batch_norm(l, in, nodes);
        else if (cls == "Add") node(in.size() == 2 ? "Add" : "Sum", l.name(), in, l.name());
        else if (cls == "Concatenate") {
            const Node* c = find_type(nodes, "concat");
            if (!c) fail(l, "no concat node in the layer's graph");
            long long axis = attr_list(l, *c, "axis").at(0);
            if (axis < 0) axis += static_cast<long long>(c->rank());
            integer(node("Concat", l.name(), in, l.name()), "axis", axis);
        } else fail(l, "no ONNX translation for this layer class");
    }
};

}  // namespace

void save_onnx(const Model& model, const std::string& path) {
    onnx::ModelProto m;
    m.set_ir_version(7);
    m.set_producer_name("xvis");
    m.set_producer_version("0.1");
    auto* opset = m.add_opset_import();
    opset->set_domain("");
    opset->set_version(13);
    onnx::GraphProto& g = *m.mutable_graph();
    g.set_name(model.name());

    // All layers in topological order; a sequential model's hidden InputLayer is reached through inbound().
    std::vector<LayerPtr> layers = model.layers();
    bool sequential = true;
    for (const auto& l : layers)
        if (std::dynamic_pointer_cast<InputLayer>(l)) sequential = false;
    if (sequential) layers.insert(layers.begin(), layers.front()->inbound().at(0));

    Writer w{g, model.graph()};
    for (const auto& l : layers) {
        if (auto in = std::dynamic_pointer_cast<InputLayer>(l)) {
            Writer::value_info(g.add_input(), l->name(), in->shape_without_batch());
            continue;
        }
        std::vector<std::string> inputs;
        for (const auto& src : l->inbound()) inputs.push_back(src->name());
        w.layer(*l, inputs);
    }
    for (std::size_t i = 0; i < model.num_outputs(); ++i) {
        // Dropout and linear Activation layers pass their input node through: the last layer in topological
        // order that holds the output node is the output layer.
        const Node& out = model.output(i);
        const Layer* owner = nullptr;
        for (const auto& l : layers)
            if (model.graph().layer_output(l->name()).same(out)) owner = l.get();
        Writer::value_info(g.add_output(), owner->name(), Shape(out.shape().begin() + 1, out.shape().end()));
    }
    auto meta = [&](const char* k, const std::string& v) {
        auto* p = m.add_metadata_props();
        p->set_key(k);
        p->set_value(v);
    };
    meta("xvis.model_name", model.name());
    meta("xvis.model_kind", sequential ? "sequential" : "functional");
    meta("xvis.data_format", "channels_first");

    std::string bytes;
    if (!m.SerializeToString(&bytes)) throw std::runtime_error("save_onnx: cannot serialize the model for '" + path + "'");
    try {
        AtomicFile file(path);  // nothing is left behind on failure; an existing file stays untouched
        file.write(bytes.data(), bytes.size());
        file.commit();
    } catch (const std::runtime_error& e) {
        throw std::runtime_error(std::string("save_onnx: ") + e.what());  // AtomicFile's message names the path
    }
}

}  // namespace xvis
