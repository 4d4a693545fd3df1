// load_onnx on files shaped like other tools' exports (PyTorch style: unnamed nodes, Gemm with transB, weights
// listed as graph inputs, Identity on initializers, float_data). The files are encoded here by hand, field by
// field (onnx.proto numbers, io/onnx_pb_writer.hpp), so the tests need no protobuf library.
#include <xvis/autodiff/function.hpp>
#include <xvis/io/onnx.hpp>
#include <xvis/layers/conv2d.hpp>
#include <xvis/layers/core.hpp>
#include <xvis/layers/dense.hpp>
#include <xvis/layers/pooling.hpp>
#include <xvis/tensor/random.hpp>

#include "image/temp_dir.hpp"
#include "io/onnx_pb_writer.hpp"

#include <gtest/gtest.h>

using namespace xvis;
using namespace xvis::test;
using xvis::testing::TempDir;

namespace {

struct Foreign {
    Tensor conv_w = random_uniform<float>({2, 1, 3, 3}, -1, 1, 1), conv_b = random_uniform<float>({2}, -1, 1, 2);
    Tensor fc_w = random_uniform<float>({3, 18}, -1, 1, 3), fc_b = random_uniform<float>({3}, -1, 1, 4);  // [out, in]

    // input [N, 1, 6, 6] → Conv 3×3 pad 1 → Relu → MaxPool 2 → Flatten → Gemm(transB) → logits [N, 3]
    std::string bytes(std::vector<Pb> conv_attrs = {attr_ints("kernel_shape", {3, 3}), attr_ints("pads", {1, 1, 1, 1}),
                                                    attr_ints("strides", {1, 1})},
                      const std::string& act = "Relu", std::vector<Pb> act_attrs = {}) const {
        return model_bytes({node("Conv", "", {"input.1", "conv.weight", "conv.bias"}, {"3"}, conv_attrs),
                            node(act, "", {"3"}, {"4"}, act_attrs),
                            node("MaxPool", "", {"4"}, {"5"}, {attr_ints("kernel_shape", {2, 2}), attr_ints("strides", {2, 2})}),
                            node("Flatten", "", {"5"}, {"6"}, {attr_int("axis", 1)}),
                            node("Identity", "", {"fc.weight"}, {"fc.weight.shared"}),
                            node("Gemm", "", {"6", "fc.weight.shared", "fc.bias"}, {"logits"},
                                 {attr_float("alpha", 1.0f), attr_float("beta", 1.0f), attr_int("transB", 1)})},
                           {tensor("conv.weight", conv_w, false), tensor("conv.bias", conv_b), tensor("fc.weight", fc_w), tensor("fc.bias", fc_b)},
                           {value_info("input.1", {1, 6, 6}), value_info("fc.weight", {18})}, {value_info("logits", {3})});
    }

    // The same network written with xvis layers.
    Model reference() const {
        Model m = Model::sequential({std::make_shared<InputLayer>(Shape{1, 6, 6}), std::make_shared<Conv2D>(2, std::array<std::size_t, 2>{3, 3}, ActivationKind::linear, Padding::same),
                                     std::make_shared<Activation>(ActivationKind::relu), std::make_shared<MaxPooling2D>(), std::make_shared<Flatten>(),
                                     std::make_shared<Dense>(3)});
        std::copy(conv_w.begin(), conv_w.end(), m.layer(0)->weight("kernel")->begin());
        std::copy(conv_b.begin(), conv_b.end(), m.layer(0)->weight("bias")->begin());
        Tensor& k = *m.layer(4)->weight("kernel");
        for (std::size_t i = 0; i < 18; ++i)
            for (std::size_t j = 0; j < 3; ++j) k[i * 3 + j] = fc_w[j * 18 + i];
        std::copy(fc_b.begin(), fc_b.end(), m.layer(4)->weight("bias")->begin());
        return m;
    }
};

Tensor run(Model& m, const Tensor& x) {
    m.build(x.dim(0));
    Function f = compile({m.output()}, {m.input()});
    return f(x)[0];
}

std::string load_error(const std::string& path) {
    try {
        load_onnx(path);
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    ADD_FAILURE() << "no exception";
    return {};
}

}  // namespace

TEST(OnnxImport, PyTorchStyleGraphMatchesTheSameXvisModel) {
    TempDir dir;
    const Foreign f;
    write(dir.file("torch.onnx"), f.bytes());
    Model m = load_onnx(dir.file("torch.onnx"));
    // A foreign file is imported op by op: one layer per ONNX value, named after it; the node's own name
    // ("Conv_0" when it has none) finds the same layer.
    ASSERT_EQ(m.num_layers(), 7u);  // functional: the InputLayer is listed; Identity on the weight is a layer
    EXPECT_EQ(m.layer(0)->name(), "input.1");
    EXPECT_EQ(m.layer(1)->name(), "3");
    EXPECT_EQ(m.layer(1)->class_name(), "Conv");
    EXPECT_EQ(m.layer("Conv_0")->name(), "3");
    EXPECT_EQ(m.find_layer_idx("Conv_0"), 1u);
    EXPECT_EQ(m.layer("4")->class_name(), "Relu");
    EXPECT_EQ(m.layer("4")->activation(), ActivationKind::relu);
    EXPECT_EQ(m.layer(-1)->class_name(), "Gemm");
    EXPECT_EQ(m.layer(-1)->name(), "logits");
    EXPECT_EQ(m.count_params(), 2u * 9 + 2 + 3 * 18 + 3);  // the shared fc weight counts once
    EXPECT_EQ(m.name(), "torch_jit");
    Model ref = f.reference();
    const Tensor x = random_uniform<float>({2, 1, 6, 6}, 0, 1, 9);
    const Tensor a = run(m, x), b = run(ref, x);
    ASSERT_EQ(a.shape(), (Shape{2, 3}));
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5) << i;
}

TEST(OnnxImport, AutoPadSameUpperIsKerasSame) {
    TempDir dir;
    const Foreign f;
    write(dir.file("autopad.onnx"), f.bytes({Pb().str(1, "auto_pad").i64(20, 3).str(4, "SAME_UPPER")}));
    Model m = load_onnx(dir.file("autopad.onnx"));
    EXPECT_EQ(m.layer_output(1).shape(), (Shape{1, 2, 6, 6}));
}

// Asymmetric pads and any LeakyRelu alpha import; a file whose shapes disagree fails naming the node.
TEST(OnnxImport, AsymmetricPadsImportAndInconsistentShapesNameTheNode) {
    TempDir dir;
    const Foreign f;
    // pads [0, 0, 1, 1]: 6×6 → 5×5 → pool 2×2 → 8 features, but the Gemm weight takes 18.
    write(dir.file("pads.onnx"), f.bytes({attr_ints("pads", {0, 0, 1, 1})}));
    const std::string e = load_error(dir.file("pads.onnx"));
    EXPECT_NE(e.find("node 'Gemm_5' (Gemm)"), std::string::npos) << e;
    EXPECT_NE(e.find("[1, 8]"), std::string::npos) << e;
    EXPECT_NE(e.find("pads.onnx"), std::string::npos) << e;

    write(dir.file("leaky.onnx"), f.bytes({attr_ints("kernel_shape", {3, 3}), attr_ints("pads", {1, 1, 1, 1})}, "LeakyRelu",
                                          {attr_float("alpha", 0.01f)}));
    Model m = load_onnx(dir.file("leaky.onnx"));
    EXPECT_EQ(m.layer("4")->activation(), ActivationKind::leaky_relu);
    const Tensor x = random_uniform<float>({1, 1, 6, 6}, -1, 1, 3);
    Function conv = compile({m.layer_output("3"), m.layer_output("4")}, {m.input()});
    const auto& out = conv(x);
    for (std::size_t i = 0; i < out[0].size(); ++i)
        EXPECT_FLOAT_EQ(out[1][i], out[0][i] > 0 ? out[0][i] : 0.01f * out[0][i]) << i;
}

// Every unsupported op type is listed once, with its count and first node, and the opset.
TEST(OnnxImport, UnsupportedOpsAreListedTogether) {
    TempDir dir;
    const std::string bytes = model_bytes({node("TopK", "top", {"x", "k"}, {"v", "i"}), node("Relu", "r", {"v"}, {"y0"}),
                                           node("NonMaxSuppression", "nms1", {"y0"}, {"y1"}), node("NonMaxSuppression", "nms2", {"y1"}, {"y"})},
                                          {}, {value_info("x", {6, 6, 1})}, {value_info("y", {1, 6, 6})});
    write(dir.file("t.onnx"), bytes);
    const std::string e = load_error(dir.file("t.onnx"));
    EXPECT_NE(e.find("unsupported ops at opset 13: NonMaxSuppression x2 (first node 'nms1'), TopK x1 (first node 'top')"), std::string::npos) << e;
}

TEST(OnnxImport, DynamicNonBatchDimensionIsRejected) {
    TempDir dir;
    Pb shape;
    shape.msg(1, Pb().str(2, "N")).msg(1, Pb().str(2, "C"));
    const Pb input = Pb().str(1, "x").msg(2, Pb().msg(1, Pb().i64(1, 1).msg(2, shape)));
    write(dir.file("dyn.onnx"), model_bytes({node("Relu", "r", {"x"}, {"y"})}, {}, {input}, {value_info("y", {4})}));
    EXPECT_NE(load_error(dir.file("dyn.onnx")).find("dynamic dimension"), std::string::npos);
}

// Dropout is the identity at inference, with its ratio from the scalar input (opset 12+), from the attribute
// (older opsets) or 0.5 by default; an out-of-range ratio fails naming the node.
TEST(OnnxImport, DropoutRatio) {
    TempDir dir;
    const Tensor w = random_uniform<float>({4, 3}, -1, 1, 1);
    const auto model = [&](const std::vector<Pb>& extra_inits, std::vector<std::string> in, std::vector<Pb> attrs,
                           std::int64_t opset) {
        std::vector<Pb> inits = {tensor("w", w)};
        for (const auto& e : extra_inits) inits.push_back(e);
        return model_bytes({node("MatMul", "mm", {"x", "w"}, {"h"}), node("Dropout", "drop", in, {"y"}, attrs)}, inits,
                           {value_info("x", {4})}, {value_info("y", {3})}, opset);
    };
    // Imported op by op, Dropout is the identity at inference whatever its ratio.
    const auto is_identity = [&](const std::string& file) {
        Model m = load_onnx(file);
        EXPECT_EQ(m.layer("drop")->class_name(), "Dropout");
        const Tensor x = random_uniform<float>({1, 4}, -1, 1, 5);
        Function f = compile({m.layer_output("h"), m.output()}, {m.input()});
        const auto& out = f(x);
        return std::equal(out[0].begin(), out[0].end(), out[1].begin());
    };
    write(dir.file("input.onnx"), model({tensor("r", Tensor({}, 0.25f))}, {"h", "r"}, {}, 13));
    EXPECT_TRUE(is_identity(dir.file("input.onnx")));
    write(dir.file("attr.onnx"), model({}, {"h"}, {attr_float("ratio", 0.125f)}, 10));
    EXPECT_TRUE(is_identity(dir.file("attr.onnx")));
    write(dir.file("default.onnx"), model({}, {"h"}, {}, 13));
    EXPECT_TRUE(is_identity(dir.file("default.onnx")));
    write(dir.file("bad.onnx"), model({tensor("r", Tensor({}, 1.5f))}, {"h", "r"}, {}, 13));
    const std::string e = load_error(dir.file("bad.onnx"));
    EXPECT_NE(e.find("node 'drop' (Dropout)"), std::string::npos) << e;
    EXPECT_NE(e.find("ratio 1.5"), std::string::npos) << e;
}
