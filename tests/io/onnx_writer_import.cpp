// save_onnx on imported models, byte by byte: a hand-written file with every attribute type, initializers of
// several element types (one shared by two nodes), a node with two outputs, a Constant node, a symbolic batch
// and a second opset domain is written back with all of it, in the encodings the original used.
#include <xvis/layers/dense.hpp>

#include "io/onnx_pb_writer.hpp"
#include "io/onnx_round_trip_support.hpp"

#include <cstdint>
#include <limits>

using namespace xvis;
using namespace xvis::test;

namespace {

std::string half_bytes(const std::vector<std::uint16_t>& v) { return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 2); }

// A tensor of `type` with raw `bytes`, named or not, as onnx.proto orders its fields (as protobuf writes them).
Pb raw_tensor(const std::string& name, std::vector<std::int64_t> dims, std::int64_t type, const std::string& bytes) {
    Pb p;
    for (auto d : dims) p.i64(1, d);
    p.i64(2, type);
    if (!name.empty()) p.str(8, name);
    return p.str(9, bytes);
}

struct Attributes {
    Pb i = Pb().str(1, "note_i").i64(3, -7).i64(20, 2);
    Pb f = Pb().str(1, "note_f").f32(2, 0.1f).i64(20, 1);
    Pb s = Pb().str(1, "note_s").str(4, "hello").i64(20, 3);
    Pb t = Pb().str(1, "note_t").msg(5, raw_tensor("", {2}, 6, std::string("\x03\x00\x00\x00\xfc\xff\xff\xff", 8))).i64(20, 4);
    Pb fs = Pb().str(1, "note_fs").f32(7, 0.5f).f32(7, -1e-7f).i64(20, 6);
    Pb is = Pb().str(1, "note_is").i64(8, 1).i64(8, -2).i64(20, 7);
    Pb ss = Pb().str(1, "note_ss").str(9, "a").str(9, "bc").i64(20, 8);  // STRINGS: no builder reads it
};

const std::vector<std::uint16_t> halfs{0x3c00, 0xc000, 0x3555, 0x0001, 0x7bff, 0x8400};  // 1, -2, 1/3, 2^-24, 65504, -2^-14
const std::vector<double> doubles{0.5, -1.25, 3.0, 0.125, -8.0, 1.0};
const std::vector<std::int64_t> ends{std::numeric_limits<std::int64_t>::max()};

std::string every_attribute_model() {
    const Attributes a;
    const Tensor w = random_uniform<float>({6, 6}, -1, 1, 5);
    const std::vector<Pb> inits{tensor("w", w), raw_tensor("h", {6}, 10, half_bytes(halfs)),
                                raw_tensor("d", {6}, 11, std::string(reinterpret_cast<const char*>(doubles.data()), 48)),
                                int64_tensor("split", {2, 4}), int64_tensor("starts", {1}), int64_tensor("ends", ends), int64_tensor("axes", {1})};
    const std::vector<Pb> nodes{
        node("MatMul", "mm1", {"x", "w"}, {"a"}),
        node("Add", "add_h", {"a", "h"}, {"b"}),
        node("Mul", "mul_d", {"b", "d"}, {"c"}),
        node("Relu", "relu", {"c"}, {"r"}, {a.i, a.f, a.s, a.t, a.fs, a.is, a.ss}, "ai.onnx"),
        node("Split", "split", {"r", "split"}, {"s0", "s1"}, {attr_int("axis", 1)}),
        node("Slice", "slice", {"s1", "starts", "ends", "axes"}, {"t"}),
        node("Constant", "k", {}, {"k"}, {attr_tensor("value", raw_tensor("", {3}, 10, half_bytes({0x3800, 0xb800, 0x4000})))}),
        node("Add", "add_k", {"t", "k"}, {"y1"}),
        node("MatMul", "mm2", {"r", "w"}, {"y2"}),  // the second reader of "w"
        node("LeakyRelu", "leaky", {"y2"}, {"y3"}, {attr_float("alpha", 0.2f)}),
    };
    Pb g;
    for (auto& n : nodes) g.msg(1, n);
    g.str(2, "every_attribute");
    for (auto& t : inits) g.msg(5, t);
    g.msg(11, value_info("x", {6}));
    for (const auto& [name, dim] : std::vector<std::pair<std::string, std::int64_t>>{{"y1", 3}, {"y3", 6}, {"s0", 2}}) g.msg(12, value_info(name, {dim}));
    Pb m;
    m.i64(1, 8).str(2, "hand").msg(7, g).msg(8, Pb().i64(2, 13)).msg(8, Pb().str(1, "ai.onnx.ml").i64(2, 3));
    return m.b;
}

std::size_t count(const std::string& haystack, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
    return n;
}

}  // namespace

TEST(OnnxWriterImport, EveryAttributeTypeInitializerTypeAndDeclarationIsWrittenBack) {
    ScratchDir dir;
    write(dir.file("hand.onnx"), every_attribute_model());
    Model m = import_onnx(dir.file("hand.onnx"));
    const RoundTrip r = expect_write_read_write(m, dir);
    const std::string& s = r.first;
    const Attributes a;
    for (const Pb* attr : {&a.i, &a.f, &a.s, &a.t, &a.fs, &a.is, &a.ss}) EXPECT_EQ(count(s, attr->b), 1u) << "an attribute is missing or changed";
    EXPECT_NE(s.find(Pb().str(7, "ai.onnx").b), std::string::npos) << "the node's domain";
    EXPECT_NE(s.find(Pb().str(1, "alpha").f32(2, 0.2f).i64(20, 1).b), std::string::npos);  // as protobuf orders the fields
    EXPECT_NE(s.find(Pb().str(1, "axis").i64(3, 1).i64(20, 2).b), std::string::npos);
    // Initializers in their original types and bytes; "w" once although two nodes read it; INT64_MAX intact.
    EXPECT_EQ(count(s, raw_tensor("h", {6}, 10, half_bytes(halfs)).b), 1u) << "float16 weight";
    EXPECT_EQ(count(s, raw_tensor("d", {6}, 11, std::string(reinterpret_cast<const char*>(doubles.data()), 48)).b), 1u) << "float64 weight";
    EXPECT_EQ(count(s, int64_tensor("ends", ends).b), 1u) << "int64 constant";
    EXPECT_EQ(count(s, Pb().i64(1, 6).i64(1, 6).i64(2, 1).str(8, "w").b), 1u) << "shared float32 weight";
    // The Constant node with its float16 value, the two outputs of Split in one node.
    EXPECT_NE(s.find(Pb().str(1, "value").msg(5, raw_tensor("", {3}, 10, half_bytes({0x3800, 0xb800, 0x4000}))).i64(20, 4).b), std::string::npos);
    EXPECT_EQ(count(s, Pb().str(2, "s0").str(2, "s1").b), 1u);
    // Declared inputs and outputs with the symbolic batch "N"; both opset imports.
    for (const auto& [name, dim] : std::vector<std::pair<std::string, std::int64_t>>{{"x", 6}, {"y1", 3}, {"y3", 6}, {"s0", 2}})
        EXPECT_NE(s.find(value_info(name, {dim}).b), std::string::npos) << name;
    EXPECT_NE(s.find(Pb().i64(2, 13).b), std::string::npos);
    EXPECT_NE(s.find(Pb().str(1, "ai.onnx.ml").i64(2, 3).b), std::string::npos);
    EXPECT_EQ(s.find("xvis.model_kind"), std::string::npos) << "an imported model must read back op by op";
    EXPECT_EQ(r.reloaded.layer("relu")->class_name(), "Relu");
    EXPECT_EQ(r.reloaded.weight("add_h", "h")->data()[2], m.weight("add_h", "h")->data()[2]);
}

// A model whose layers cannot all be written one way is refused before anything is written.
TEST(OnnxWriterImport, KerasLayerOnAnImportedModelIsRefusedNamingIt) {
    ScratchDir dir;
    write(dir.file("hand.onnx"), every_attribute_model());
    Model m = import_onnx(dir.file("hand.onnx"));
    LayerRef head = (*std::make_shared<Dense>(2, ActivationKind::linear, "keras_head"))(LayerRef{m.layer("y3")});
    Model mixed({LayerRef{m.layer("x")}}, {head}, "mixed");
    const std::string path = dir.file("keep.onnx");
    xvis::testing::write_bytes(path, {'o', 'l', 'd'});
    try {
        save_onnx(mixed, path);
        ADD_FAILURE() << "no exception";
    } catch (const std::invalid_argument& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("save_onnx: layer 'keras_head' (Dense)"), std::string::npos) << what;
        EXPECT_NE(what.find("imported ONNX layers"), std::string::npos) << what;
    }
    EXPECT_EQ(xvis::testing::read_bytes(path), (std::vector<unsigned char>{'o', 'l', 'd'}));
}

// Graph inputs fed at import (OnnxImportOptions::constant_inputs) are constants of the model: written as an
// initializer (integers) or a Constant node (floats, which as an initializer would read back as a weight).
TEST(OnnxWriterImport, InputsFedAsConstantsAreWrittenAsConstants) {
    ScratchDir dir;
    const std::vector<Pb> nodes{node("Reshape", "reshape", {"x", "shape"}, {"flat"}), node("Add", "add", {"flat", "bias"}, {"y"})};
    write(dir.file("fed.onnx"), model_bytes(nodes, {}, {value_info("x", {2, 3}), value_info_fixed("shape", {2}, 7), value_info_fixed("bias", {6})},
                                            {value_info("y", {6})}));
    OnnxImportOptions o;
    o.constant_inputs["shape"] = TensorD({2}, std::vector<double>{-1, 6});
    o.constant_inputs["bias"] = TensorD({6}, std::vector<double>{0.5, -1, 2, 0, 0.25, 3});
    Model m = import_onnx(dir.file("fed.onnx"), o);
    const RoundTrip r = expect_write_read_write(m, dir);
    EXPECT_EQ(r.reloaded.num_inputs(), 1u);
    EXPECT_EQ(count(r.first, int64_tensor("shape", {-1, 6}).b), 1u);
    EXPECT_EQ(r.reloaded.layer("bias")->class_name(), "Constant");
    EXPECT_TRUE(r.reloaded.layer("bias")->weights().empty());
}
