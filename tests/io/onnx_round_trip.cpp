// save_onnx's round-trip guarantee: for every model the tests build or import, save → load_onnx → save gives
// identical bytes and the reloaded model computes the same bits. Keras-style models come back as the same
// layers; imported ones as the same nodes, attributes of every ONNX type included.
#include <xvis/models/architectures.hpp>

#include "io/onnx_models.hpp"
#include "io/onnx_pb_writer.hpp"
#include "io/onnx_round_trip_support.hpp"

#include <algorithm>
#include <filesystem>
#include <functional>

using namespace xvis;
using namespace xvis::test;

namespace {

std::string data_dir() { return std::string(XVIS_TEST_DATA) + "/onnx/"; }

// Layer by layer: same names, classes, activations and weights (names and bits), in the same order.
void expect_same_layers(const Model& a, const Model& b) {
    ASSERT_EQ(b.num_layers(), a.num_layers());
    for (std::size_t i = 0; i < a.num_layers(); ++i) {
        const auto& la = a.layer(static_cast<std::int64_t>(i));
        const auto& lb = b.layer(static_cast<std::int64_t>(i));
        EXPECT_EQ(lb->name(), la->name());
        EXPECT_EQ(lb->class_name(), la->class_name()) << la->name();
        EXPECT_EQ(lb->activation(), la->activation()) << la->name();
        ASSERT_EQ(lb->weights().size(), la->weights().size()) << la->name();
        for (std::size_t k = 0; k < la->weights().size(); ++k) {
            EXPECT_EQ(lb->weights()[k].name, la->weights()[k].name) << la->name();
            EXPECT_TRUE(same_bits(*la->weights()[k].value, *lb->weights()[k].value)) << la->name() << "/" << la->weights()[k].name;
        }
    }
}

// ---- Keras-style models: the built-in architectures and the models of tests/io/onnx.cpp and tests/layers

std::vector<std::pair<std::string, std::function<Model()>>> keras_models() {
    std::vector<std::pair<std::string, std::function<Model()>>> out;
    for (const auto& name : architecture_names()) out.emplace_back("architecture_" + name, [name] { return make_architecture(name, 4); });
    for (const char* name : {"sequential_cnn", "functional_zoo", "dense_rank3", "layers_w1", "layers_single_dense", "layers_dag",
                             "layers_strided_same", "layers_batch_norm"})
        out.emplace_back(name, [name = std::string(name)] {
            for (auto& [n, m] : keras_test_models())
                if (n == name) return m;
            throw std::logic_error("no test model " + name);
        });
    return out;
}

std::vector<std::string> keras_model_names() {
    std::vector<std::string> names;
    for (const auto& [name, make] : keras_models()) names.push_back(name);
    return names;
}

class KerasRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(KerasRoundTrip, WriteReadWriteIsByteIdenticalAndBitExact) {
    Model m = [&] {
        for (auto& [name, make] : keras_models())
            if (name == GetParam()) return make();
        throw std::logic_error("unknown model");
    }();
    ScratchDir dir;
    // The architectures (224 × 224 ResNet-18) on one image: the check is exactness, not batching.
    const RoundTrip r = expect_write_read_write(m, dir, {}, GetParam().rfind("architecture_", 0) == 0 ? 1 : 2);
    expect_same_layers(m, r.reloaded);
}

INSTANTIATE_TEST_SUITE_P(Onnx, KerasRoundTrip, ::testing::ValuesIn(keras_model_names()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

// ---- The imported fixtures of tests/data/onnx

std::vector<std::string> fixture_names() {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(data_dir()))
        if (e.path().extension() == ".onnx") names.push_back(e.path().stem().string());
    std::sort(names.begin(), names.end());
    return names;
}

class ImportedRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(ImportedRoundTrip, WriteReadWriteIsByteIdenticalAndBitExact) {
    Model m = import_onnx(data_dir() + GetParam() + ".onnx");
    ScratchDir dir;
    const RoundTrip r = expect_write_read_write(m, dir);
    expect_same_layers(m, r.reloaded);
    // The file's own input, as a second input: the fixtures' expected logits come from it.
    const Tensor x = load_onnx_tensor(data_dir() + GetParam() + ".input.pb").cast<float>();
    if (x.shape() == m.input().shape()) {
        EXPECT_TRUE(same_bits(run_outputs(m, m.batch_size(), {x})[0], run_outputs(r.reloaded, m.batch_size(), {x})[0]));
    }
}

INSTANTIATE_TEST_SUITE_P(Onnx, ImportedRoundTrip, ::testing::ValuesIn(fixture_names()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

TEST(ImportedRoundTrip, CoversEveryFixture) { EXPECT_EQ(fixture_names().size(), 20u); }

}  // namespace

// keras-vis's softmax → linear, and every other replacement, is written as the op the node now is.
TEST(OnnxWriter, ReplacedActivationIsWrittenAsTheNewOp) {
    const std::pair<ActivationKind, const char*> kinds[] = {{ActivationKind::linear, "Identity"},   {ActivationKind::relu, "Relu"},
                                                            {ActivationKind::sigmoid, "Sigmoid"},   {ActivationKind::tanh, "Tanh"},
                                                            {ActivationKind::softmax, "Softmax"},   {ActivationKind::leaky_relu, "LeakyRelu"}};
    for (const auto& [kind, op] : kinds) {
        Model m = import_onnx(data_dir() + "keras_cnn_nhwc.onnx");
        std::string target;
        for (const auto& l : m.layers())
            if (l->class_name() == "Softmax") target = l->name();
        ASSERT_FALSE(target.empty());
        m.set_activation(target, kind);
        ScratchDir dir;
        const RoundTrip r = expect_write_read_write(m, dir);
        EXPECT_EQ(r.reloaded.layer(target)->class_name(), op) << to_string(kind);
        EXPECT_EQ(r.reloaded.layer(target)->activation(), kind);
    }
    // The same on a Keras-style model: the layer keeps its class with the new activation.
    Model w1 = layers_w1(2);
    w1.set_activation("predictions", ActivationKind::linear);
    ScratchDir dir;
    const RoundTrip r = expect_write_read_write(w1, dir);
    EXPECT_EQ(r.reloaded.layer("predictions")->activation(), ActivationKind::linear);
}

// ONNX stores float attributes as float32: a double epsilon is rounded once, and what xvis wrote reads back
// exactly (so the second save is identical, and the reloaded layer computes the same bits).
TEST(OnnxWriter, EpsilonIsWrittenAsFloat32AndReadBackExactly) {
    for (double eps : {1e-3, 1e-5, 0.1, 1.0 / 3.0}) {
        Model m = layers_batch_norm(eps);
        randomize(m);
        ScratchDir dir;
        const RoundTrip r = expect_write_read_write(m, dir);
        const auto* bn = dynamic_cast<const BatchNormalization*>(r.reloaded.layer("bn").get());
        ASSERT_NE(bn, nullptr);
        EXPECT_EQ(bn->epsilon(), static_cast<double>(static_cast<float>(eps))) << eps;
        EXPECT_NE(r.first.find(Pb().str(1, "epsilon").f32(2, static_cast<float>(eps)).b), std::string::npos) << eps;
    }
}
