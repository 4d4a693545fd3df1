#include <xvis/autodiff/function.hpp>
#include <xvis/io/onnx.hpp>
#include <xvis/layers/batch_normalization.hpp>
#include <xvis/layers/conv2d.hpp>
#include <xvis/layers/dense.hpp>
#include <xvis/layers/merge.hpp>
#include <xvis/layers/pooling.hpp>
#include <xvis/tensor/random.hpp>

#include "image/temp_dir.hpp"
#include "io/onnx_models.hpp"
#include "support/error_message.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

using namespace xvis;
using xvis::testing::TempDir;
using xvis::testing::message_of;
using namespace xvis::test;

namespace {

std::vector<Tensor> outputs(Model& m, std::size_t batch, std::uint64_t seed) {
    m.build(batch);
    std::vector<Node> outs;
    for (std::size_t i = 0; i < m.num_outputs(); ++i) outs.push_back(m.output(i));
    Function f = compile(outs, {m.input()});
    const Tensor x = random_uniform<float>(m.input().shape(), 0.0, 1.0, seed);
    return f(x);
}

bool same_bits(const Tensor& a, const Tensor& b) {
    return a.shape() == b.shape() && std::equal(a.begin(), a.end(), b.begin(), [](float x, float y) { return std::memcmp(&x, &y, 4) == 0; });
}

void expect_round_trip(Model m, const std::string& path) {
    randomize(m);
    save_onnx(m, path);
    Model back = load_onnx(path);
    EXPECT_EQ(back.name(), m.name());
    ASSERT_EQ(back.num_layers(), m.num_layers());
    ASSERT_EQ(back.num_outputs(), m.num_outputs());
    for (std::size_t i = 0; i < m.num_layers(); ++i) {
        const auto& a = m.layer(static_cast<std::int64_t>(i));
        const auto& b = back.layer(static_cast<std::int64_t>(i));
        EXPECT_EQ(b->name(), a->name());
        EXPECT_EQ(b->class_name(), a->class_name()) << a->name();
        EXPECT_EQ(b->activation(), a->activation()) << a->name();
        if (const auto* da = dynamic_cast<const Dropout*>(a.get())) {
            const auto* db = dynamic_cast<const Dropout*>(b.get());
            ASSERT_NE(db, nullptr) << a->name();
            EXPECT_EQ(db->rate(), da->rate()) << a->name();
        }
        ASSERT_EQ(b->weights().size(), a->weights().size()) << a->name();
        for (std::size_t k = 0; k < a->weights().size(); ++k) {
            EXPECT_EQ(b->weights()[k].name, a->weights()[k].name);
            EXPECT_TRUE(same_bits(*b->weights()[k].value, *a->weights()[k].value)) << a->name() << "/" << a->weights()[k].name;
        }
    }
    const auto ya = outputs(m, 3, 9), yb = outputs(back, 3, 9);
    for (std::size_t i = 0; i < ya.size(); ++i) EXPECT_TRUE(same_bits(ya[i], yb[i])) << "output " << i;
}

void patch(const std::string& path, const std::string& from, const std::string& to) {
    auto bytes = xvis::testing::read_bytes(path);
    std::string s(bytes.begin(), bytes.end());
    const auto pos = s.find(from);
    ASSERT_NE(pos, std::string::npos) << from;
    s.replace(pos, from.size(), to);
    xvis::testing::write_bytes(path, std::vector<unsigned char>(s.begin(), s.end()));
}

}  // namespace

TEST(Onnx, SequentialRoundTripIsBitExact) {
    TempDir dir;
    expect_round_trip(sequential_cnn(), dir.file("seq.onnx"));
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"seq.onnx"});  // no temporary file left behind
}

TEST(Onnx, FunctionalRoundTripIsBitExact) {
    TempDir dir;
    expect_round_trip(functional_zoo(), dir.file("zoo.onnx"));
}

TEST(Onnx, DenseOverRank3RoundTrip) {
    TempDir dir;
    expect_round_trip(dense_rank3(), dir.file("rank3.onnx"));
}

TEST(Onnx, FileHoldsOnnxNamesAndRawWeights) {
    TempDir dir;
    Model m = sequential_cnn();
    save_onnx(m, dir.file("m.onnx"));
    const auto bytes = xvis::testing::read_bytes(dir.file("m.onnx"));
    const std::string s(bytes.begin(), bytes.end());
    for (const char* needle : {"Conv", "MaxPool", "Gemm", "Flatten", "Softmax", "Dropout", "dropout/ratio", "conv1/kernel", "predictions/bias", "batch"})
        EXPECT_NE(s.find(needle), std::string::npos) << needle;
    // The kernel's bytes appear verbatim (raw_data, float32 little-endian).
    const Tensor& k = *m.weight("conv2", "kernel");
    EXPECT_NE(s.find(std::string(reinterpret_cast<const char*>(k.data()), k.size() * 4)), std::string::npos);
    EXPECT_GE(onnx_supported_ops().size(), 15u);
}

TEST(Onnx, SaveIsWholeOrNothing) {
    TempDir dir;
    Model m = sequential_cnn();
    const std::string missing = dir.file("no/such/dir/m.onnx");
    const std::string e = message_of<std::runtime_error>([&] { save_onnx(m, missing); });
    EXPECT_NE(e.find(missing), std::string::npos) << e;
    EXPECT_TRUE(dir.entries().empty());

    // A model that cannot be written leaves an existing file untouched.
    const std::string path = dir.file("keep.onnx");
    xvis::testing::write_bytes(path, {'o', 'l', 'd'});
    Conv2DOptions o;
    o.data_format = DataFormat::channels_last;
    o.name = "nhwc_conv";
    Model nhwc = Model::sequential({std::make_shared<InputLayer>(Shape{8, 8, 3}), std::make_shared<Conv2D>(2, K2{3, 3}, o)}, "nhwc");
    const std::string e2 = message_of<std::invalid_argument>([&] { save_onnx(nhwc, path); });
    EXPECT_NE(e2.find("channels_last"), std::string::npos) << e2;
    EXPECT_NE(e2.find("nhwc_conv"), std::string::npos) << e2;
    EXPECT_EQ(xvis::testing::read_bytes(path), (std::vector<unsigned char>{'o', 'l', 'd'}));
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"keep.onnx"});

    Model pool_nhwc = Model::sequential({std::make_shared<InputLayer>(Shape{8, 8, 3}),
                                         std::make_shared<MaxPooling2D>(K2{2, 2}, K2{0, 0}, Padding::valid, DataFormat::channels_last, "p")});
    EXPECT_NE(message_of<std::invalid_argument>([&] { save_onnx(pool_nhwc, path); }).find("channels_last"), std::string::npos);
    Model bn_nhwc = Model::sequential({std::make_shared<InputLayer>(Shape{8, 8, 3}),
                                       std::make_shared<BatchNormalization>(1e-3, DataFormat::channels_last, "b")});
    EXPECT_NE(message_of<std::invalid_argument>([&] { save_onnx(bn_nhwc, path); }).find("channels_last"), std::string::npos);
}

TEST(Onnx, LoadErrorsNameThePathAndProblem) {
    TempDir dir;
    const std::string missing = dir.file("missing.onnx");
    EXPECT_NE(message_of<std::runtime_error>([&] { load_onnx(missing); }).find(missing), std::string::npos);

    const std::string garbage = dir.file("garbage.onnx");
    xvis::testing::write_bytes(garbage, {'n', 'o', 't', ' ', 'a', 'n', ' ', 'o', 'n', 'n', 'x', '\n', 0xff, 0x00, 0x13});
    const std::string e = message_of<std::runtime_error>([&] { load_onnx(garbage); });
    EXPECT_NE(e.find(garbage), std::string::npos) << e;
    EXPECT_NE(e.find("not an ONNX model"), std::string::npos) << e;

    // An op xvis does not know, named with its node.
    const std::string unknown = dir.file("unknown.onnx");
    save_onnx(sequential_cnn(), unknown);
    patch(unknown, "Flatten", "Unknown");
    const std::string e2 = message_of<std::runtime_error>([&] { load_onnx(unknown); });
    EXPECT_NE(e2.find("unsupported op 'Unknown'"), std::string::npos) << e2;
    EXPECT_NE(e2.find("node 'flatten'"), std::string::npos) << e2;
    EXPECT_NE(e2.find(unknown), std::string::npos) << e2;

    const std::string nhwc = dir.file("nhwc.onnx");
    save_onnx(sequential_cnn(), nhwc);
    patch(nhwc, "channels_first", "channels_last_");
    const std::string e3 = message_of<std::runtime_error>([&] { load_onnx(nhwc); });
    EXPECT_NE(e3.find("only channels_first"), std::string::npos) << e3;
    EXPECT_NE(e3.find("valid: channels_first, channels_last"), std::string::npos) << e3;  // not even a data format name
}
