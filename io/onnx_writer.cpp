// save_onnx: Keras-style layers become ONNX nodes from their typed configuration (Conv2D::options(),
// Pooling2D::pool_size(), BatchNormalization::epsilon(), ...); imported models are written back node by node
// (io/onnx_writer_import.cpp). From the built graph only input shapes are read (the pads of "same" padding, Gemm or
// MatMul for Dense, a negative Concatenate axis): no attribute parsing, no node run to recover a number.
#include <xvis/image/atomic_file.hpp>
#include <xvis/io/detail/onnx_import.hpp>
#include <xvis/io/onnx.hpp>
#include <xvis/layers/batch_normalization.hpp>
#include <xvis/layers/conv2d.hpp>
#include <xvis/layers/core.hpp>
#include <xvis/layers/dense.hpp>
#include <xvis/layers/merge.hpp>
#include <xvis/layers/pooling.hpp>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <stdexcept>

namespace xvis {

namespace {

[[noreturn]] void fail(const Layer& l, const std::string& what) {
    throw std::invalid_argument("save_onnx: layer '" + l.name() + "' (" + l.class_name() + "): " + what);
}

void require_channels_first(const Layer& l, DataFormat f, const char* op) {
    if (f != DataFormat::channels_first)
        fail(l, std::string("channels_last layers cannot be saved yet (ONNX ") + op + " is NCHW)");
}

// ONNX pads [top, left, bottom, right] of a window over the H, W axes of `x` ([N, C, H, W]).
std::vector<long long> window_pads(const Shape& x, Padding padding, std::array<std::size_t, 2> window,
                                   std::array<std::size_t, 2> strides, std::array<std::size_t, 2> dilation) {
    if (padding == Padding::valid) return {0, 0, 0, 0};
    const Padding1d h = same_padding(x.at(2), window[0], strides[0], dilation[0]);
    const Padding1d w = same_padding(x.at(3), window[1], strides[1], dilation[1]);
    return {static_cast<long long>(h.before), static_cast<long long>(w.before), static_cast<long long>(h.after), static_cast<long long>(w.after)};
}

std::vector<long long> pair(std::array<std::size_t, 2> v) { return {static_cast<long long>(v[0]), static_cast<long long>(v[1])}; }

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
    // ONNX float attributes are float32: a double (epsilon, alpha) is rounded once, here; read back, it is
    // that float exactly, so writing again gives the same bytes.
    static void real(onnx::NodeProto& n, const std::string& name, double v) {
        auto* a = n.add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::FLOAT);
        a->set_f(static_cast<float>(v));
    }
    // Float32 initializer "<layer>/<weight>" with the tensor's bytes as raw_data.
    std::string weight(const Layer& l, const std::string& w) {
        const Tensor& t = *l.weight(w);
        const std::string name = l.name() + "/" + w;
        detail::encode_tensor(*g.add_initializer(), name, t.shape(), OnnxType::float32, t.data(), "layer '" + l.name() + "'");
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
    const Shape& input_shape(const Layer& l) const { return graph.layer_output(l.inbound().at(0)->name()).shape(); }

    // The activation node "<name>" from `pre` to `out` (Identity for linear).
    void activation(ActivationKind a, double leaky_alpha, const std::string& pre, const std::string& out, const std::string& name) {
        switch (a) {
            case ActivationKind::linear: node("Identity", name, {pre}, out); return;
            case ActivationKind::relu: node("Relu", name, {pre}, out); return;
            case ActivationKind::sigmoid: node("Sigmoid", name, {pre}, out); return;
            case ActivationKind::tanh: node("Tanh", name, {pre}, out); return;
            case ActivationKind::softmax: integer(node("Softmax", name, {pre}, out), "axis", -1); return;
            case ActivationKind::leaky_relu: real(node("LeakyRelu", name, {pre}, out), "alpha", leaky_alpha); return;
        }
    }
    // A Conv / Dense core op writes straight to the layer's output when linear, else to "<layer>/preact" and an
    // activation node "<layer>/<activation>" follows (the reader fuses it back).
    static std::string core_output(const Layer& l, ActivationKind a) { return a == ActivationKind::linear ? l.name() : l.name() + "/preact"; }
    void finish_activation(const Layer& l, ActivationKind a) {
        if (a != ActivationKind::linear) activation(a, keras_leaky_relu_alpha, l.name() + "/preact", l.name(), l.name() + "/" + to_string(a));
    }

    void conv(const Conv2D& l, const std::vector<std::string>& in) {
        const Conv2DOptions o = l.options();
        require_channels_first(l, o.data_format, "Conv");
        std::vector<std::string> inputs{in[0], weight(l, "kernel")};
        if (o.use_bias) inputs.push_back(weight(l, "bias"));
        auto& n = node("Conv", l.name(), inputs, core_output(l, o.activation));
        const auto pads = window_pads(input_shape(l), o.padding, l.kernel_size(), o.strides, o.dilation);
        ints(n, "kernel_shape", pair(l.kernel_size()));
        ints(n, "strides", pair(o.strides));
        ints(n, "dilations", pair(o.dilation));
        ints(n, "pads", pads);
        integer(n, "group", static_cast<long long>(o.groups));
        finish_activation(l, o.activation);
    }

    void dense(const Dense& l, const std::vector<std::string>& in) {
        const ActivationKind a = l.activation().value_or(ActivationKind::linear);
        if (input_shape(l).size() == 2) {
            std::vector<std::string> inputs{in[0], weight(l, "kernel")};
            if (l.use_bias()) inputs.push_back(weight(l, "bias"));
            node("Gemm", l.name(), inputs, core_output(l, a));
        } else {  // Dense over the last axis of a rank > 2 input: MatMul broadcasts like Keras
            const std::string mm = l.use_bias() ? l.name() + "/matmul" : core_output(l, a);
            node("MatMul", l.name(), {in[0], weight(l, "kernel")}, mm);
            if (l.use_bias()) node("Add", l.name() + "/bias", {mm, weight(l, "bias")}, core_output(l, a));
        }
        finish_activation(l, a);
    }

    void pool(const Pooling2D& l, const std::vector<std::string>& in) {
        require_channels_first(l, l.data_format(), l.is_max() ? "MaxPool" : "AveragePool");
        auto& n = node(l.is_max() ? "MaxPool" : "AveragePool", l.name(), in, l.name());
        ints(n, "kernel_shape", pair(l.pool_size()));
        ints(n, "strides", pair(l.strides()));
        ints(n, "pads", window_pads(input_shape(l), l.padding(), l.pool_size(), l.strides(), {1, 1}));
        if (!l.is_max()) integer(n, "count_include_pad", 0);  // Keras averages over the valid cells only
    }

    void batch_norm(const BatchNormalization& l, const std::vector<std::string>& in) {
        // ONNX normalizes axis 1; a channels_last rank-2 input has its features there too.
        if (l.data_format() != DataFormat::channels_first && input_shape(l).size() > 2)
            fail(l, "channels_last BatchNormalization cannot be saved yet (ONNX BatchNormalization normalizes axis 1)");
        auto& n = node("BatchNormalization", l.name(),
                       {in[0], weight(l, "gamma"), weight(l, "beta"), weight(l, "moving_mean"), weight(l, "moving_variance")}, l.name());
        real(n, "epsilon", l.epsilon());
    }

    void layer(const Layer& l, const std::vector<std::string>& in) {
        if (const auto* c = dynamic_cast<const Conv2D*>(&l)) conv(*c, in);
        else if (const auto* d = dynamic_cast<const Dense*>(&l)) dense(*d, in);
        else if (const auto* p = dynamic_cast<const Pooling2D*>(&l)) pool(*p, in);
        else if (const auto* gap = dynamic_cast<const GlobalAveragePooling2D*>(&l)) {
            require_channels_first(l, gap->data_format(), "GlobalAveragePool");
            node("GlobalAveragePool", l.name(), in, l.name() + "/pool");
            integer(node("Flatten", l.name() + "/flatten", {l.name() + "/pool"}, l.name()), "axis", 1);
        } else if (dynamic_cast<const Flatten*>(&l)) {
            integer(node("Flatten", l.name(), in, l.name()), "axis", 1);
        } else if (const auto* drop = dynamic_cast<const Dropout*>(&l)) {
            // ONNX Dropout (opset 13): the ratio is a scalar input; without training_mode it is the identity.
            const std::string ratio = l.name() + "/ratio";
            const double rate = drop->rate();
            detail::encode_tensor(*g.add_initializer(), ratio, Shape{}, OnnxType::float32, &rate, "layer '" + l.name() + "'");
            node("Dropout", l.name(), {in.at(0), ratio}, l.name());
        } else if (const auto* act = dynamic_cast<const Activation*>(&l)) {
            activation(act->kind(), act->leaky_alpha(), in.at(0), l.name(), l.name());
            // A linear Activation is an Identity too: the doc string tells the reader which layer to rebuild.
            if (act->kind() == ActivationKind::linear) g.mutable_node(g.node_size() - 1)->set_doc_string("xvis.layer=Activation");
        } else if (const auto* bn = dynamic_cast<const BatchNormalization*>(&l)) {
            batch_norm(*bn, in);
        } else if (dynamic_cast<const Add*>(&l)) {
            node(in.size() == 2 ? "Add" : "Sum", l.name(), in, l.name());
        } else if (const auto* cat = dynamic_cast<const Concatenate*>(&l)) {
            long long axis = cat->axis();  // negative: resolved against the inputs' rank, as the layer does
            if (axis < 0) axis += static_cast<long long>(input_shape(l).size());
            integer(node("Concat", l.name(), in, l.name()), "axis", axis);
        } else {
            fail(l, "no ONNX translation for this layer class");
        }
    }
};

// A model of Keras-style layers, opset 13, with the metadata load_onnx rebuilds the same layers from.
void write_layers_model(const Model& model, onnx::ModelProto& m) {
    m.set_ir_version(7);
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
        if (!owner) throw std::logic_error("save_onnx: model '" + model.name() + "': no layer holds output " + std::to_string(i));
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
}

}  // namespace

void save_onnx(const Model& model, const std::string& path) {
    onnx::ModelProto m;
    m.set_producer_name("xvis");
    m.set_producer_version("0.1");
    if (const detail::ImportContext* ctx = detail::imported_context(model)) detail::write_imported_model(model, *ctx, m);
    else write_layers_model(model, m);

    // Deterministic serialization: the same model gives the same bytes (the round-trip guarantee).
    std::string bytes;
    {
        google::protobuf::io::StringOutputStream raw(&bytes);
        google::protobuf::io::CodedOutputStream coded(&raw);
        coded.SetSerializationDeterministic(true);
        if (!m.SerializeToCodedStream(&coded)) throw std::runtime_error("save_onnx: cannot serialize the model for '" + path + "'");
    }
    try {
        AtomicFile file(path);  // nothing is left behind on failure; an existing file stays untouched
        file.write(bytes.data(), bytes.size());
        file.commit();
    } catch (const std::runtime_error& e) {
        throw std::runtime_error(std::string("save_onnx: ") + e.what());  // AtomicFile's message names the path
    }
}

}  // namespace xvis
