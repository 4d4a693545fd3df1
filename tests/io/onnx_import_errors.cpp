// import_onnx / load_onnx on broken, hostile or unusual files: every failure is a std::runtime_error naming the
// call, the file, the node or tensor and the shapes or values involved; absurd declared sizes fail before
// anything large is allocated; external data stays inside the model's folder. Files are encoded by hand
// (io/onnx_pb_writer.hpp).
#include <xvis/autodiff/function.hpp>
#include <xvis/io/onnx.hpp>
#include <xvis/tensor/random.hpp>

#include "io/onnx_error_support.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace xvis;
using namespace xvis::test;
using xvis::testing::TempDir;
namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------------------------
// A tiny file declaring absurd sizes fails at once, naming what is too large, without allocating it.

TEST(OnnxImportErrors, InitializerDeclaringATrillionElementsFailsFast) {
    TempDir dir;
    const std::string path = dir.file("init.onnx");
    // dims [1e6, 1e6] and 4 bytes of raw_data.
    write(path, add_model(Pb().i64(1, 1000000).i64(1, 1000000).i64(2, 1).str(8, "w").str(9, "abcd")));
    const std::string e = fails_small(path);
    expect_mentions(e, {prefix("import_onnx", path), "initializer: tensor 'w' declares more than 268435456 elements"});
    // load_onnx imports foreign files the same way and names itself.
    expect_mentions(load_error(path), {prefix("load_onnx", path), "tensor 'w'", "268435456"});
}

TEST(OnnxImportErrors, HugeGraphInputFailsFast) {
    TempDir dir;
    const std::string path = dir.file("input.onnx");
    write(path, model_bytes({node("Relu", "r", {"x"}, {"y"})}, {}, {value_info_fixed("x", {1, 100000, 100000, 100000})},
                            {value_info("y", {4})}));
    expect_mentions(fails_small(path), {prefix("import_onnx", path), "input 'x' has more than 268435456 elements"});
}

TEST(OnnxImportErrors, ConstantOfShapeOfAQuintillionFailsFast) {
    TempDir dir;
    const std::string path = dir.file("cos.onnx");
    write(path, model_bytes({node("ConstantOfShape", "cos", {"s"}, {"c"}), node("Add", "add", {"x", "c"}, {"y"})},
                            {int64_tensor("s", {1000000000, 1000000000})}, {value_info("x", {4})}, {value_info("y", {4})}));
    expect_mentions(fails_small(path), {prefix("import_onnx", path), "node 'cos' (ConstantOfShape)",
                                        "shape [1000000000, 1000000000] has more than"});
}

TEST(OnnxImportErrors, ExpandToATrillionFailsFast) {
    TempDir dir;
    const std::string path = dir.file("expand.onnx");
    write(path, model_bytes({node("Expand", "ex", {"x", "s"}, {"y"})}, {int64_tensor("s", {1 << 20, 1 << 20})},
                            {value_info("x", {1})}, {value_info("y", {1 << 20})}));
    expect_mentions(fails_small(path), {prefix("import_onnx", path), "node 'ex' (Expand)",
                                        "the expanded shape [1048576, 1048576] has more than"});
}

// An empty axis does not hide absurd other axes (found by fuzzing:
// tests/fuzz/regressions/onnx/pad_empty_axis_huge_other_axis.onnx): Pad crops axis 0 to nothing and pads axis 1 by
// 2^50; the Conv after it would have sized its im2col buffer from the padded axes.
TEST(OnnxImportErrors, EmptyAxisDoesNotHideAHugeOutput) {
    TempDir dir;
    const std::string path = dir.file("pad.onnx");
    const std::int64_t huge = std::int64_t(1) << 50;
    write(path, model_bytes({node("Pad", "pad", {"x", "p"}, {"y"})}, {int64_tensor("p", {-4, 0, 0, huge})},
                            {value_info_fixed("x", {2, 3})}, {value_info("y", {1})}));
    expect_mentions(fails_small(path), {prefix("import_onnx", path), "node 'pad' (Pad)", "output [0, 1125899906842627] has more than",
                                        "empty axes counted as 1"});
    // Nor in a graph input.
    write(path, model_bytes({node("Relu", "r", {"x"}, {"y"})}, {}, {value_info_fixed("x", {0, huge, huge})}, {value_info("y", {1})}));
    expect_mentions(fails_small(path), {prefix("import_onnx", path), "input 'x' has more than"});
}

// Axes of a scalar (found by fuzzing: tests/fuzz/regressions/onnx/split_scalar.onnx): Split, Squeeze and Slice read
// the input's shape at the axis, which a rank-0 input does not have.
TEST(OnnxImportErrors, AxisOfAScalarIsAnError) {
    TempDir dir;
    const std::string path = dir.file("scalar.onnx");
    const std::vector<std::pair<Pb, std::vector<Pb>>> cases{
        {node("Split", "op", {"x"}, {"y", "z"}), {}},
        {node("Squeeze", "op", {"x", "axes"}, {"y"}), {int64_tensor("axes", {0})}},
        {node("Slice", "op", {"x", "starts", "ends"}, {"y"}), {int64_tensor("starts", {0}), int64_tensor("ends", {1})}}};
    for (const auto& [op, inits] : cases) {
        write(path, model_bytes({op}, inits, {value_info_fixed("x", {})}, {value_info_fixed("y", {})}));
        expect_mentions(import_error(path), {prefix("import_onnx", path), "node 'op'", "axis 0 of a scalar"});
    }
}

TEST(OnnxImportErrors, RangeOfATrillionFailsFast) {
    TempDir dir;
    const std::string path = dir.file("range.onnx");
    write(path, model_bytes({node("Range", "rg", {"a", "b", "d"}, {"r"}), node("Add", "add", {"x", "r"}, {"y"})},
                            {int64_tensor("a", {}, {0}), int64_tensor("b", {}, {1000000000000LL}), int64_tensor("d", {}, {1})},
                            {value_info("x", {4})}, {value_info("y", {4})}));
    expect_mentions(fails_small(path), {prefix("import_onnx", path), "node 'rg' (Range)", "Range of 1000000000000"});
}

// OnnxImportOptions::max_tensor_elements is the bound every check above uses.
TEST(OnnxImportErrors, MaxTensorElementsOptionBoundsEveryTensor) {
    TempDir dir;
    const std::string path = dir.file("small_limit.onnx");
    write(path, model_bytes({node("MatMul", "mm", {"x", "w"}, {"y"})}, {tensor("w", Tensor({100, 100}, 0.5f))},
                            {value_info("x", {100})}, {value_info("y", {100})}));
    EXPECT_NO_THROW(import_onnx(path));
    OnnxImportOptions o;
    o.max_tensor_elements = 1000;
    expect_mentions(import_error(path, o), {prefix("import_onnx", path), "tensor 'w' declares more than 1000 elements"});
}

// ---------------------------------------------------------------------------------------------------------------
// Structural errors: the graph does not hold together.

TEST(OnnxImportErrors, DanglingInputNamesTheNodeAndTheInput) {
    TempDir dir;
    const std::string path = dir.file("dangling.onnx");
    write(path, model_bytes({node("Relu", "r", {"x"}, {"a"}), node("Add", "add", {"a", "nowhere"}, {"y"})}, {},
                            {value_info("x", {4})}, {value_info("y", {4})}));
    expect_mentions(import_error(path), {prefix("import_onnx", path), "node 'add' (Add): input 'nowhere'",
                                         "is neither a graph input, an initializer nor the output of a node"});
}

TEST(OnnxImportErrors, CycleNamesANodeOnIt) {
    TempDir dir;
    const std::string path = dir.file("cycle.onnx");
    // b = x + c, c = relu(b): b1 and c1 wait for each other.
    write(path, model_bytes({node("Add", "b1", {"x", "c"}, {"b"}), node("Relu", "c1", {"b"}, {"c"}), node("Relu", "out", {"c"}, {"y"})},
                            {}, {value_info("x", {4})}, {value_info("y", {4})}));
    const std::string e = import_error(path);
    expect_mentions(e, {prefix("import_onnx", path), "is on a cycle"});
    EXPECT_TRUE(e.find("node 'b1' (Add)") != std::string::npos || e.find("node 'c1' (Relu)") != std::string::npos) << e;
}

TEST(OnnxImportErrors, GraphOutputProducedByNoNode) {
    TempDir dir;
    const std::string path = dir.file("no_output.onnx");
    write(path, model_bytes({node("Relu", "r", {"x"}, {"y"})}, {}, {value_info("x", {4})}, {value_info("z", {4})}));
    expect_mentions(import_error(path), {prefix("import_onnx", path), "graph output 'z' is an initializer or produced by no node"});
}

TEST(OnnxImportErrors, RawDataShorterThanDims) {
    TempDir dir;
    const std::string path = dir.file("short_raw.onnx");
    write(path, add_model(Pb().i64(1, 2).i64(1, 3).i64(2, 1).str(8, "w").str(9, "12345678")));
    expect_mentions(import_error(path), {prefix("import_onnx", path), "initializer: tensor 'w' [2, 3] holds 8 bytes of raw_data, expected 24"});
    // The same with typed float_data: counted in values.
    write(path, add_model(Pb().i64(1, 2).i64(1, 3).i64(2, 1).str(8, "w").str(4, float_bytes(Tensor({2}, 1.0f)))));
    expect_mentions(import_error(path), {"tensor 'w' [2, 3] holds 2 values, expected 6"});
}

TEST(OnnxImportErrors, NegativeDimension) {
    TempDir dir;
    const std::string path = dir.file("negative.onnx");
    write(path, add_model(Pb().i64(1, -4).i64(2, 1).str(8, "w").str(9, "")));
    expect_mentions(import_error(path), {prefix("import_onnx", path), "initializer: tensor 'w' has a negative dimension -4"});
    // ConstantOfShape / Expand to a negative extent.
    write(path, model_bytes({node("ConstantOfShape", "cos", {"s"}, {"c"}), node("Add", "add", {"x", "c"}, {"y"})},
                            {int64_tensor("s", {1, -4})}, {value_info("x", {4})}, {value_info("y", {4})}));
    expect_mentions(import_error(path), {"node 'cos' (ConstantOfShape): shape has a negative dimension -4"});
    // A graph input: fails naming the input and the axis (see DISABLED_NegativeGraphInputDimIsCalledNegative).
    write(path, model_bytes({node("Relu", "r", {"x"}, {"y"})}, {}, {value_info_fixed("x", {1, -3})}, {value_info("y", {4})}));
    expect_mentions(import_error(path), {prefix("import_onnx", path), "input 'x'", "negative dimension -3 at axis 1"});
}

TEST(OnnxImportErrors, SequenceGraphInputIsNotATensor) {
    TempDir dir;
    const std::string path = dir.file("sequence.onnx");
    // TypeProto.sequence_type (4) of a float tensor.
    const Pb seq = Pb().str(1, "s").msg(2, Pb().msg(4, Pb().msg(1, Pb().msg(1, Pb().i64(1, 1)))));
    write(path, model_bytes({node("Relu", "r", {"x"}, {"y"})}, {}, {value_info("x", {4}), seq}, {value_info("y", {4})}));
    expect_mentions(import_error(path), {prefix("import_onnx", path), "input 's' is not a tensor (sequences, maps and optionals are not supported)"});
}

TEST(OnnxImportErrors, TruncatedGarbageAndEmptyFilesAreNotOnnxModels) {
    TempDir dir;
    const std::string good = model_bytes({node("Relu", "r", {"x"}, {"y"})}, {}, {value_info("x", {4})}, {value_info("y", {4})});
    const std::string path = dir.file("bad.onnx");
    for (std::size_t cut : {std::size_t(3), good.size() / 2, good.size() - 1}) {
        write(path, good.substr(0, cut));
        expect_mentions(import_error(path), {prefix("import_onnx", path), "not an ONNX model"});
    }
    write(path, "hello world, this is not an ONNX model at all\n");
    expect_mentions(import_error(path), {prefix("import_onnx", path), "not an ONNX model (protobuf parse error)"});
    expect_mentions(load_error(path), {prefix("load_onnx", path), "not an ONNX model"});
    // A length-delimited field claiming 4 GB in a 6-byte file.
    write(path, std::string("\x3a\xff\xff\xff\xff\x0f", 6));
    expect_mentions(fails_small(path), {prefix("import_onnx", path), "not an ONNX model"});
    write(path, "");
    expect_mentions(import_error(path), {prefix("import_onnx", path), "not an ONNX model (no IR version, graph or nodes)"});
}

TEST(OnnxImportErrors, MissingFileAndDirectory) {
    TempDir dir;
    const std::string missing = dir.file("missing.onnx");
    expect_mentions(import_error(missing), {prefix("import_onnx", missing), "cannot open: No such file or directory"});
    expect_mentions(load_error(missing), {prefix("load_onnx", missing), "cannot open"});
    const std::string folder = dir.file("folder.onnx");
    fs::create_directory(folder);
    expect_mentions(import_error(folder), {prefix("import_onnx", folder), "is a directory, not an ONNX model file"});
    expect_mentions(load_error(folder), {prefix("load_onnx", folder), "is a directory"});
}

TEST(OnnxImportErrors, LoadOnnxTensorErrors) {
    TempDir dir;
    const std::string missing = dir.file("missing.pb");
    expect_mentions(xvis::testing::message_of([&] { load_onnx_tensor(missing); }), {"load_onnx_tensor: '" + missing + "': cannot open"});
    const std::string path = dir.file("t.pb");
    write(path, std::string("\x3a\xff\xff\xff\xff\x0f", 6));
    expect_mentions(xvis::testing::message_of([&] { load_onnx_tensor(path); }), {"load_onnx_tensor: '" + path + "': not a serialized ONNX TensorProto"});
    // dims [2^30] with 4 bytes: refused before allocating 8 GB of doubles.
    write(path, Pb().i64(1, std::int64_t(1) << 30).i64(2, 1).str(8, "big").str(9, "abcd").b);
    std::string e;
    const long mb = peak_growth_mb([&] { e = xvis::testing::message_of([&] { load_onnx_tensor(path); }); });
    EXPECT_LT(mb, 100);
    expect_mentions(e, {"load_onnx_tensor: '" + path + "': tensor 'big' [1073741824] holds 4 bytes of raw_data, expected 4294967296"});
}

// ---------------------------------------------------------------------------------------------------------------
// Unsupported ops: every one at once, custom domains included, with counts and first nodes.

TEST(OnnxImportErrors, UnsupportedOpsOfCustomDomainsAreListedTogether) {
    TempDir dir;
    const std::string path = dir.file("custom.onnx");
    write(path, model_bytes({node("TopK", "top", {"x", "k"}, {"v", "i"}), node("MyOp", "c1", {"v"}, {"a"}, {}, "com.example"),
                             node("MyOp", "", {"a"}, {"b"}, {}, "com.example"),
                             // A supported op type in another domain is another op.
                             node("Relu", "msr", {"b"}, {"y"}, {}, "com.microsoft")},
                            {}, {value_info("x", {4})}, {value_info("y", {4})}));
    expect_mentions(import_error(path), {prefix("import_onnx", path),
                                         "unsupported ops at opset 13: TopK x1 (first node 'top'), com.example::MyOp x2 (first node 'c1'), "
                                         "com.microsoft::Relu x1 (first node 'msr')"});
    // An unnamed first node is named by its index.
    write(path, model_bytes({node("MyOp", "", {"x"}, {"a"}, {}, "com.example"), node("Relu", "r", {"a"}, {"y"})}, {},
                            {value_info("x", {4})}, {value_info("y", {4})}));
    expect_mentions(load_error(path), {prefix("load_onnx", path), "unsupported ops at opset 13: com.example::MyOp x1 (first node '#0')"});
}

// ---------------------------------------------------------------------------------------------------------------
// External data: a file beside the model, never outside its folder.


TEST(OnnxImportErrors, ExternalDataBesideTheModelLoads) {
    ExternalFixture f;
    const Tensor x = random_uniform<float>({2, 4}, -1, 1, 3);
    for (const auto& entries : std::vector<std::vector<std::pair<std::string, std::string>>>{
             {{"location", "w.bin"}, {"offset", "8"}, {"length", "16"}}, {{"location", "data/w.bin"}}}) {
        write(f.model, add_model(external_tensor("w", {4}, entries)));
        Model m = import_onnx(f.model);
        const Tensor& w = *m.weight("y", "w");
        ASSERT_EQ(w.shape(), (Shape{4}));
        for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(w[i], f.w[i]) << entries[0].second;
        const Tensor y = run(m, x);
        ASSERT_EQ(y.shape(), (Shape{2, 4}));
        for (std::size_t i = 0; i < y.size(); ++i) EXPECT_FLOAT_EQ(y[i], x[i] + f.w[i % 4]) << i;
    }
}

TEST(OnnxImportErrors, ExternalDataOutsideTheFolderIsRefused) {
    ExternalFixture f;
    const std::string p = prefix("import_onnx", f.model) + "initializer: tensor 'w': external data location ";
    expect_mentions(f.error({{"location", "../outside.bin"}}), {p + "'../outside.bin' leaves the model's folder " + f.canonical_folder()});
    expect_mentions(f.error({{"location", "data/../../outside.bin"}}), {p + "'data/../../outside.bin' leaves the model's folder " + f.canonical_folder()});
    const std::string absolute = f.root.file("outside.bin");
    expect_mentions(f.error({{"location", absolute}}), {p + "'" + absolute + "' is absolute; it must be a file beside the model"});
    // A symlink inside the folder pointing out of it.
    fs::create_symlink("../outside.bin", f.folder + "/link.bin");
    expect_mentions(f.error({{"location", "link.bin"}}), {p + "'link.bin' leaves the model's folder " + f.canonical_folder()});
    // A folder named like the model's folder plus a suffix is outside it too.
    fs::create_directories(f.folder + "2");
    write(f.folder + "2/w.bin", float_bytes(f.w));
    expect_mentions(f.error({{"location", "../model2/w.bin"}}), {p + "'../model2/w.bin' leaves the model's folder"});
}

TEST(OnnxImportErrors, ExternalDataOfTheWrongSize) {
    ExternalFixture f;
    const std::string p = prefix("import_onnx", f.model) + "initializer: tensor 'w': external data ";
    expect_mentions(f.error({{"location", "w.bin"}, {"offset", "8"}, {"length", "12"}}), {p + "has length 12, the tensor needs 16 bytes"});
    const std::string dirname = f.canonical_folder();
    expect_mentions(f.error({{"location", "short.bin"}}), {p + "file '" + dirname + "/short.bin' has 8 bytes, the tensor needs 16 from offset 0"});
    expect_mentions(f.error({{"location", "w.bin"}, {"offset", "100"}}), {p + "file '" + dirname + "/w.bin' has 24 bytes, the tensor needs 16 from offset 100"});
    expect_mentions(f.error({{"location", "w.bin"}, {"offset", "-8"}}), {p + "offset '-8' is not a byte count"});
    expect_mentions(f.error({{"location", "absent.bin"}}), {p + "file '" + dirname + "/absent.bin' cannot be opened: No such file or directory"});
    expect_mentions(f.error({{"offset", "0"}}), {p + "has no location"});
}

// Found by fuzzing (tests/fuzz/regressions/onnx/xvis_flatten_axis_not_int_message.onnx): in a file marked as written
// by xvis, an attribute of the wrong type read while fusing layers escaped without "load_onnx: '<path>'".
TEST(OnnxImportErrors, XvisFileWithAttributeOfWrongTypeNamesTheCallAndFile) {
    TempDir dir;
    const std::string path = dir.file("xvis_flatten.onnx");
    // Appending a top-level field to a serialized message adds it: metadata_props (14) xvis.model_kind.
    write(path, model_bytes({node("Flatten", "flat", {"x"}, {"y"}, {attr_float("axis", 1.5f)})}, {}, {value_info("x", {2, 2})},
                            {value_info("y", {4})}) +
                    Pb().msg(14, Pb().str(1, "xvis.model_kind").str(2, "sequential")).b);
    expect_mentions(load_error(path), {prefix("load_onnx", path), "node 'flat' (Flatten)", "axis"});
}
