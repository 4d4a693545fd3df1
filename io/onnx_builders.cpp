// Builders of onnx_layer_builders(): one per ONNX op type, each a translation into one xvis layer.
#include <xvis/io/onnx.hpp>
#include <xvis/io/onnx_import.hpp>
#include <xvis/io/onnx_ops.hpp>
#include <xvis/layers/batch_normalization.hpp>
#include <xvis/layers/conv2d.hpp>
#include <xvis/layers/dense.hpp>
#include <xvis/layers/merge.hpp>
#include <xvis/layers/pooling.hpp>

#include <cmath>
#include <stdexcept>

namespace xvis {

namespace {

std::string list_string(const std::vector<long long>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s + "]";
}

std::array<std::size_t, 2> pair_attr(const OnnxImportNode& n, const std::string& attr, long long fallback) {
    const auto v = n.attr_ints(attr, {fallback, fallback});
    if (v.size() != 2 || v[0] < 1 || v[1] < 1) n.fail(attr + " " + list_string(v) + ": expected two values >= 1 (2-D)");
    return {static_cast<std::size_t>(v[0]), static_cast<std::size_t>(v[1])};
}

// Keras padding (valid / same) equivalent to the node's auto_pad / pads for its input size, or a failure.
Padding keras_padding(const OnnxImportNode& n, const Shape& x, std::array<std::size_t, 2> kernel,
                          std::array<std::size_t, 2> strides, std::array<std::size_t, 2> dilation) {
    const Padding1d sh = same_padding(x[2], kernel[0], strides[0], dilation[0]);
    const Padding1d sw = same_padding(x[3], kernel[1], strides[1], dilation[1]);
    const std::string autopad = n.attr_string("auto_pad", "NOTSET");
    if (autopad == "VALID") return Padding::valid;
    if (autopad == "SAME_UPPER" || (autopad == "SAME_LOWER" && sh.before == sh.after && sw.before == sw.after)) return Padding::same;
    if (autopad != "NOTSET") n.fail("auto_pad " + autopad + " has no Keras equivalent for a " + std::to_string(x[2]) + "x" + std::to_string(x[3]) + " input");
    const auto p = n.attr_ints("pads", {0, 0, 0, 0});  // top, left, bottom, right
    if (p.size() != 4) n.fail("pads " + list_string(p) + ": expected 4 values (2-D)");
    if (p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] == 0) return Padding::valid;
    const std::vector<long long> same{static_cast<long long>(sh.before), static_cast<long long>(sw.before),
                                      static_cast<long long>(sh.after), static_cast<long long>(sw.after)};
    if (p == same) return Padding::same;
    n.fail("pads " + list_string(p) + " are neither 0 ('valid') nor Keras 'same' " + list_string(same) + " for a " +
           std::to_string(x[2]) + "x" + std::to_string(x[3]) + " input");
}

const Shape& image_input(const OnnxImportNode& n) {
    const Shape& x = n.data(0).shape();
    if (x.size() != 4) n.fail("expected a rank-4 NCHW input, got " + shape_to_string(x));
    return x;
}

OnnxLayer conv(const OnnxImportNode& n) {
    const Shape& x = image_input(n);
    const Tensor& w = n.constant(1);
    if (w.rank() != 4) n.fail("weight " + n.inputs[1].name + " must be [K, C/group, kh, kw], got " + shape_to_string(w.shape()));
    const std::array<std::size_t, 2> kernel{w.dim(2), w.dim(3)};
    if (n.has("kernel_shape") && pair_attr(n, "kernel_shape", 1) != kernel)
        n.fail("kernel_shape " + list_string(n.attr_ints("kernel_shape", {})) + " differs from the weight " + shape_to_string(w.shape()));
    Conv2DOptions o;
    o.strides = pair_attr(n, "strides", 1);
    o.dilation = pair_attr(n, "dilations", 1);
    o.groups = static_cast<std::size_t>(n.attr_int("group", 1));
    o.padding = keras_padding(n, x, kernel, o.strides, o.dilation);
    o.use_bias = n.has_input(2);
    o.activation = n.activation;
    o.name = n.name;
    OnnxLayer out{std::make_shared<Conv2D>(w.dim(0), kernel, o), {{"kernel", w}}};
    if (o.use_bias) {
        Tensor b = n.constant(2);
        if (b.size() != w.dim(0)) n.fail("bias " + n.inputs[2].name + " " + shape_to_string(b.shape()) + " must hold " + std::to_string(w.dim(0)) + " values");
        b.reshape({w.dim(0)});
        out.weights.emplace_back("bias", std::move(b));
    }
    return out;
}

// Dense from a kernel [in, units] and an optional bias of `units` values.
OnnxLayer dense(const OnnxImportNode& n, Tensor kernel, const Tensor* bias, double bias_scale) {
    const std::size_t units = kernel.dim(1);
    if (n.data(0).shape().back() != kernel.dim(0))
        n.fail("input " + n.data(0).describe() + " does not match the weight [" + std::to_string(kernel.dim(0)) + ", " + std::to_string(units) + "]");
    OnnxLayer out{std::make_shared<Dense>(units, n.activation, n.name, bias != nullptr), {{"kernel", std::move(kernel)}}};
    if (bias) {
        if (bias->size() != units) n.fail("bias " + shape_to_string(bias->shape()) + " must hold " + std::to_string(units) + " values");
        Tensor b({units});
        for (std::size_t i = 0; i < units; ++i) b[i] = bias_scale == 1.0 ? (*bias)[i] : static_cast<float>(bias_scale * (*bias)[i]);
        out.weights.emplace_back("bias", std::move(b));
    }
    return out;
}

OnnxLayer gemm(const OnnxImportNode& n) {
    if (n.data(0).rank() != 2) n.fail("Gemm needs a rank-2 input, got " + n.data(0).describe());
    if (n.attr_int("transA", 0) != 0) n.fail("transA = 1 is not supported");
    const Tensor& b = n.constant(1);
    if (b.rank() != 2) n.fail("weight " + n.inputs[1].name + " must be rank 2, got " + shape_to_string(b.shape()));
    const bool trans = n.attr_int("transB", 0) != 0;  // PyTorch writes [units, in]
    const double alpha = n.attr_float("alpha", 1.0), beta = n.attr_float("beta", 1.0);
    const std::size_t in = trans ? b.dim(1) : b.dim(0), units = trans ? b.dim(0) : b.dim(1);
    Tensor k({in, units});
    for (std::size_t i = 0; i < in; ++i)
        for (std::size_t j = 0; j < units; ++j) {
            const float v = trans ? b[j * in + i] : b[i * units + j];
            k[i * units + j] = alpha == 1.0 ? v : static_cast<float>(alpha * v);
        }
    return dense(n, std::move(k), n.has_input(2) ? &n.constant(2) : nullptr, beta);
}

OnnxLayer matmul(const OnnxImportNode& n) {
    if (!n.inputs.at(1).constant) n.fail("MatMul of two layer outputs is not supported (the second input must be a weight)");
    const Tensor& b = n.constant(1);
    if (b.rank() != 2) n.fail("weight " + n.inputs[1].name + " must be rank 2, got " + shape_to_string(b.shape()));
    return dense(n, b, n.fused_bias, 1.0);
}

OnnxLayer pool(const OnnxImportNode& n, bool is_max) {
    const Shape& x = image_input(n);
    if (!n.has("kernel_shape")) n.fail("kernel_shape is required");
    const auto kernel = pair_attr(n, "kernel_shape", 1), strides = pair_attr(n, "strides", 1);
    if (pair_attr(n, "dilations", 1) != std::array<std::size_t, 2>{1, 1}) n.fail("dilated pooling is not supported");
    if (n.attr_int("ceil_mode", 0) != 0) n.fail("ceil_mode = 1 is not supported");
    const Padding padding = keras_padding(n, x, kernel, strides, {1, 1});
    if (!is_max && padding == Padding::same && n.attr_int("count_include_pad", 0) != 0)
        n.fail("count_include_pad = 1 is not supported (Keras averages over the valid cells only)");
    LayerPtr l = is_max ? LayerPtr(std::make_shared<MaxPooling2D>(kernel, strides, padding, DataFormat::channels_first, n.name))
                        : LayerPtr(std::make_shared<AveragePooling2D>(kernel, strides, padding, DataFormat::channels_first, n.name));
    return {l, {}};
}

OnnxLayer activation(const OnnxImportNode& n, ActivationKind kind) {
    const std::size_t rank = n.data(0).rank();
    if (kind == ActivationKind::leaky_relu && std::fabs(n.attr_float("alpha", 0.01) - keras_leaky_relu_alpha) > 1e-6)
        n.fail("alpha " + std::to_string(n.attr_float("alpha", 0.01)) + " is not supported (xvis's leaky_relu uses Keras's " +
               std::to_string(keras_leaky_relu_alpha) + ")");
    if (kind == ActivationKind::softmax) {
        long long axis = n.attr_int("axis", n.opset >= 13 ? -1 : 1);
        if (axis < 0) axis += static_cast<long long>(rank);
        // Before opset 13, Softmax flattened the axes from `axis` on: the same as the last axis only for rank 2.
        if (axis != static_cast<long long>(rank) - 1 || (n.opset < 13 && rank != 2))
            n.fail("softmax over axis " + std::to_string(n.attr_int("axis", -1)) + " of a rank-" + std::to_string(rank) +
                   " input (opset " + std::to_string(n.opset) + "): only the last axis is supported");
    }
    return {std::make_shared<Activation>(kind, n.name), {}};
}

OnnxLayer batch_norm(const OnnxImportNode& n) {
    if (n.attr_int("training_mode", 0) != 0) n.fail("training_mode = 1 is not supported (inference only)");
    const std::size_t c = n.data(0).rank() >= 2 ? n.data(0).shape()[1] : 0;
    OnnxLayer out{std::make_shared<BatchNormalization>(n.attr_float("epsilon", 1e-5), DataFormat::channels_first, n.name), {}};
    const char* names[] = {"gamma", "beta", "moving_mean", "moving_variance"};
    for (std::size_t i = 0; i < 4; ++i) {
        Tensor t = n.constant(i + 1);
        if (t.size() != c) n.fail(std::string(names[i]) + " " + shape_to_string(t.shape()) + " must hold " + std::to_string(c) + " values (the channels)");
        t.reshape({c});
        out.weights.emplace_back(names[i], std::move(t));
    }
    return out;
}

OnnxLayer sum(const OnnxImportNode& n) {
    for (std::size_t i = 0; i < n.inputs.size(); ++i)
        if (n.inputs[i].constant) n.fail("input '" + n.inputs[i].name + "' is a constant: only sums of layer outputs are supported");
    if (n.inputs.size() < 2) n.fail("expected at least 2 inputs");
    return {std::make_shared<Add>(n.name), {}};
}

}  // namespace

std::map<std::string, OnnxLayerBuilder>& onnx_layer_builders() {
    static std::map<std::string, OnnxLayerBuilder> table{
        {"Conv", conv},
        {"Gemm", gemm},
        {"MatMul", matmul},
        {"MaxPool", [](const OnnxImportNode& n) { return pool(n, true); }},
        {"AveragePool", [](const OnnxImportNode& n) { return pool(n, false); }},
        {"GlobalAveragePool",
         [](const OnnxImportNode& n) {
             image_input(n);
             if (!n.fused_flatten) n.fail("its [N, C, 1, 1] output must go to a Flatten (xvis's GlobalAveragePooling2D gives [N, C])");
             return OnnxLayer{std::make_shared<GlobalAveragePooling2D>(DataFormat::channels_first, n.name), {}};
         }},
        {"Flatten",
         [](const OnnxImportNode& n) {
             long long axis = n.attr_int("axis", 1);
             if (axis < 0) axis += static_cast<long long>(n.data(0).rank());
             if (axis != 1) n.fail("axis " + std::to_string(n.attr_int("axis", 1)) + ": only axis 1 ([N, rest]) is supported");
             return OnnxLayer{std::make_shared<Flatten>(n.name), {}};
         }},
        {"Relu", [](const OnnxImportNode& n) { return activation(n, ActivationKind::relu); }},
        {"Sigmoid", [](const OnnxImportNode& n) { return activation(n, ActivationKind::sigmoid); }},
        {"Tanh", [](const OnnxImportNode& n) { return activation(n, ActivationKind::tanh); }},
        {"Softmax", [](const OnnxImportNode& n) { return activation(n, ActivationKind::softmax); }},
        {"LeakyRelu", [](const OnnxImportNode& n) { return activation(n, ActivationKind::leaky_relu); }},
        {"BatchNormalization", batch_norm},
        {"Add", sum},
        {"Sum", sum},
        {"Concat",
         [](const OnnxImportNode& n) {
             if (!n.has("axis")) n.fail("axis is required");
             return OnnxLayer{std::make_shared<Concatenate>(n.attr_int("axis", 1), n.name), {}};
         }},
        // Identity between layers and Dropout are both identities at inference.
        {"Identity",
         [](const OnnxImportNode& n) {
             n.data(0);
             if (n.doc_string == "xvis.layer=Activation") return OnnxLayer{std::make_shared<Activation>(ActivationKind::linear, n.name), {}};
             return OnnxLayer{std::make_shared<Dropout>(0.0, n.name), {}};
         }},
        // Dropout at inference is the identity; its ratio (input 1 from opset 12, attribute before) is kept on
        // the layer. training_mode (input 2) is ignored: xvis only runs inference.
        {"Dropout",
         [](const OnnxImportNode& n) {
             n.data(0);
             double ratio = n.opset < 12 ? n.attr_float("ratio", 0.5) : 0.5;
             if (n.has_input(1)) {
                 const Tensor& r = n.constant(1);
                 if (r.size() != 1) n.fail("ratio must be a scalar, got shape " + shape_to_string(r.shape()));
                 ratio = r[0];
             }
             if (!(ratio >= 0.0 && ratio < 1.0)) n.fail("ratio " + std::to_string(ratio) + " must be in [0, 1)");
             return OnnxLayer{std::make_shared<Dropout>(ratio, n.name), {}};
         }},
    };
    return table;
}

std::vector<std::string> onnx_supported_ops() {
    std::vector<std::string> ops;
    for (const auto& [op, builder] : onnx_op_builders()) ops.push_back(op);
    return ops;
}

}  // namespace xvis
