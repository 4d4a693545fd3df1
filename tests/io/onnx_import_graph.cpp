// import_onnx inside the graph: shape errors name the node, OnnxImportOptions::constant_inputs, batch, initializer types,
// substitution, node-name aliases; and the importer bugs found by the error suite, each asserting its fix.
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
// Shape errors inside the graph name the node and the shapes.

TEST(OnnxImportGraph, ShapeErrorsNameTheNodeAndTheShapes) {
    TempDir dir;
    const std::string path = dir.file("shapes.onnx");
    write(path, model_bytes({node("Add", "add", {"x", "w"}, {"y"})}, {tensor("w", Tensor({1, 4}, 1.0f))}, {value_info("x", {3})},
                            {value_info("y", {4})}));
    expect_mentions(import_error(path), {prefix("import_onnx", path), "node 'add' (Add)", "'x' [1, 3]", "'w' [1, 4]", "do not broadcast"});

    write(path, model_bytes({node("MatMul", "mm", {"x", "w"}, {"y"})}, {tensor("w", Tensor({4, 2}, 1.0f))}, {value_info("x", {3})},
                            {value_info("y", {2})}));
    expect_mentions(import_error(path), {prefix("import_onnx", path), "node 'mm' (MatMul): inner dimensions of 'x' [1, 3] and 'w' [4, 2] differ"});

    write(path, model_bytes({node("Reshape", "rs", {"x", "s"}, {"y"})}, {int64_tensor("s", {1, 4})}, {value_info("x", {6})},
                            {value_info("y", {4})}));
    expect_mentions(import_error(path), {prefix("import_onnx", path), "node 'rs' (Reshape): input [1, 6] cannot be reshaped to [1, 4]"});
    expect_mentions(load_error(path), {prefix("load_onnx", path), "node 'rs' (Reshape)"});

    write(path, model_bytes({node("Reshape", "rs", {"x", "s"}, {"y"})}, {int64_tensor("s", {-1, 4})}, {value_info("x", {6})},
                            {value_info("y", {4})}));
    expect_mentions(import_error(path), {"node 'rs' (Reshape): cannot infer -1: input [1, 6] into shape with known product 4"});
}

// ---------------------------------------------------------------------------------------------------------------
// OnnxImportOptions::constant_inputs: a graph input whose value is fixed at import folds like an initializer.

TEST(OnnxImportGraph, ConstantInputsFoldAGraphInput) {
    TempDir dir;
    const std::string path = dir.file("reshape_input.onnx");
    // y = reshape(x, shape) with the shape a graph input (int64 [3]).
    write(path, model_bytes({node("Reshape", "rs", {"x", "shape"}, {"y"})}, {},
                            {value_info("x", {6}), value_info_fixed("shape", {3}, 7)}, {value_info("y", {2, 3})}));
    expect_mentions(import_error(path), {prefix("import_onnx", path), "node 'rs' (Reshape): input 1 ('shape') must be known when the model is imported"});

    OnnxImportOptions o;
    o.constant_inputs["shape"] = TensorD({3}, {-1, 2, 3});
    Model m = import_onnx(path, o);
    EXPECT_EQ(m.num_inputs(), 1u);  // "shape" is a constant now
    EXPECT_EQ(m.output().shape(), (Shape{1, 2, 3}));
    const Tensor x = random_uniform<float>({2, 6}, -1, 1, 4);
    const Tensor y = run(m, x);
    ASSERT_EQ(y.shape(), (Shape{2, 2, 3}));
    for (std::size_t i = 0; i < y.size(); ++i) EXPECT_EQ(y[i], x[i]);

    // A value that is not a shape fails naming the node and the value.
    o.constant_inputs["shape"] = TensorD({3}, {-1, 2.5, 3});
    expect_mentions(import_error(path, o), {"node 'rs' (Reshape): input 1 ('shape') holds 2.5"});
}

// ---------------------------------------------------------------------------------------------------------------
// Batch: the first input's dim 0 is the batch, fixed at export or symbolic.

// Exported for batch 1 with the Reshape's [1, 18] baked in; built for batch 3 the importer substitutes the batch.
TEST(OnnxImportGraph, FixedBatchOneModelBuildsForBatchThree) {
    TempDir dir;
    const std::string path = dir.file("batch1.onnx");
    const Tensor w = random_uniform<float>({18, 4}, -1, 1, 5);
    const auto bytes = [&](std::int64_t export_batch) {
        return model_bytes({node("Relu", "r", {"x"}, {"a"}), node("Reshape", "flat", {"a", "s"}, {"f"}), node("MatMul", "fc", {"f", "w"}, {"y"})},
                           {int64_tensor("s", {export_batch, 18}), tensor("w", w)}, {value_info_fixed("x", {export_batch, 2, 3, 3})},
                           {value_info_fixed("y", {export_batch, 4})});
    };
    const Tensor x = random_uniform<float>({3, 2, 3, 3}, -1, 1, 6);
    for (std::int64_t export_batch : {1, 2}) {
        write(path, bytes(export_batch));
        Model m = import_onnx(path);
        EXPECT_EQ(m.batch_size(), static_cast<std::size_t>(export_batch));
        EXPECT_EQ(m.output().shape(), (Shape{static_cast<std::size_t>(export_batch), 4}));
        const Tensor y = run(m, x);  // builds for batch 3
        ASSERT_EQ(y.shape(), (Shape{3, 4})) << "exported for batch " << export_batch;
        for (std::size_t i = 0; i < 3; ++i) {
            const Tensor yi = run(m, sample(x, i));
            ASSERT_EQ(yi.shape(), (Shape{1, 4}));
            for (std::size_t j = 0; j < 4; ++j) EXPECT_NEAR(y[i * 4 + j], yi[j], 1e-5) << "sample " << i << ", export batch " << export_batch;
        }
    }
}

TEST(OnnxImportGraph, DynamicBatchModelRunsAtBatchFour) {
    TempDir dir;
    const std::string path = dir.file("dynamic.onnx");
    const Tensor w = random_uniform<float>({4, 3}, -1, 1, 7);
    write(path, model_bytes({node("Flatten", "flat", {"x"}, {"f"}, {attr_int("axis", 1)}), node("MatMul", "fc", {"f", "w"}, {"h"}),
                             node("Softmax", "sm", {"h"}, {"y"}, {attr_int("axis", -1)})},
                            {tensor("w", w)}, {value_info("x", {2, 2})}, {value_info("y", {3})}));
    Model m = import_onnx(path);
    const Tensor x = random_uniform<float>({4, 2, 2}, -1, 1, 8);
    const Tensor y = run(m, x);
    ASSERT_EQ(y.shape(), (Shape{4, 3}));
    EXPECT_EQ(m.batch_size(), 4u);
    for (std::size_t i = 0; i < 4; ++i) {
        const Tensor yi = run(m, sample(x, i));
        float total = 0;
        for (std::size_t j = 0; j < 3; ++j) {
            EXPECT_NEAR(y[i * 3 + j], yi[j], 1e-6) << "sample " << i;
            total += y[i * 3 + j];
        }
        EXPECT_NEAR(total, 1.0f, 1e-5);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Node names are aliases of the layer of the node's first output; a final Softmax node can be made linear.

TEST(OnnxImportGraph, NodeNameAliasesAndSoftmaxToLinear) {
    TempDir dir;
    const std::string path = dir.file("aliases.onnx");
    const Tensor w = random_uniform<float>({4, 3}, -1, 1, 9);
    write(path, model_bytes({node("MatMul", "fc", {"x", "w"}, {"h"}), node("Softmax", "act", {"h"}, {"probs"}, {attr_int("axis", -1)})},
                            {tensor("w", w)}, {value_info("x", {4})}, {value_info("probs", {3})}));
    Model m = import_onnx(path);
    ASSERT_EQ(m.num_layers(), 3u);
    EXPECT_EQ(m.layer("fc")->name(), "h");
    EXPECT_EQ(m.layer("fc")->class_name(), "MatMul");
    EXPECT_EQ(m.find_layer_idx("fc"), m.find_layer_idx("h"));
    EXPECT_EQ(m.find_layer_idx("fc"), 1u);
    EXPECT_EQ(m.layer("act")->name(), "probs");
    EXPECT_EQ(m.find_layer_idx("act"), 2u);
    EXPECT_EQ(m.layer(-1)->activation(), ActivationKind::softmax);
    EXPECT_THROW(m.find_layer_idx("nonexistent"), std::invalid_argument);

    const Tensor x = random_uniform<float>({2, 4}, -1, 1, 10);
    m.build(2);
    Function before = compile({m.output(), m.layer_output("fc")}, {m.input()});
    const auto probs = before(x);
    for (std::size_t i = 0; i < 2; ++i) EXPECT_NEAR(probs[0][i * 3] + probs[0][i * 3 + 1] + probs[0][i * 3 + 2], 1.0f, 1e-5);

    m.set_activation(-1, ActivationKind::linear);
    EXPECT_EQ(m.layer(-1)->activation(), ActivationKind::linear);
    EXPECT_EQ(m.layer(-1)->class_name(), "Softmax");  // still the Softmax node, now the identity
    Function after = compile({m.output(), m.layer_output("fc")}, {m.input()});
    const auto logits = after(x);
    ASSERT_EQ(logits[0].shape(), (Shape{2, 3}));
    for (std::size_t i = 0; i < 6; ++i) {
        EXPECT_EQ(logits[0][i], logits[1][i]) << i;     // the output is the pre-softmax value
        EXPECT_EQ(logits[1][i], probs[1][i]) << i;      // which did not change
    }
    // By node name too; a node that is no activation refuses.
    Model m2 = import_onnx(path);
    m2.set_activation("act", ActivationKind::linear);
    EXPECT_EQ(m2.layer("probs")->activation(), ActivationKind::linear);
    EXPECT_THROW(m2.set_activation("fc", ActivationKind::linear), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------------------------
// Importer bugs found by this suite, now fixed: each asserts the behaviour of the fix.

// A scalar operand given as an empty tensor is read at data()[0]: Range (onnx_ops_shape.cpp range_op), Pad's
// constant value (pad_op) and Dropout's ratio / training_mode (onnx_ops_elementwise.cpp dropout) segfault.
TEST(OnnxImportGraph, EmptyScalarOperandsFailInsteadOfCrashing) {
    TempDir dir;
    const std::string path = dir.file("empty_scalar.onnx");
    write(path, model_bytes({node("Range", "rg", {"a", "b", "d"}, {"r"}), node("Add", "add", {"x", "r"}, {"y"})},
                            {int64_tensor("a", {0}, {}), int64_tensor("b", {}, {4}), int64_tensor("d", {}, {1})}, {value_info("x", {4})},
                            {value_info("y", {4})}));
    expect_mentions(import_error(path), {prefix("import_onnx", path), "node 'rg' (Range)", "input 0 ('a')"});
    write(path, model_bytes({node("Pad", "pd", {"x", "p", "v"}, {"y"})}, {int64_tensor("p", {0, 1, 0, 1}), tensor("v", Tensor({0}))},
                            {value_info("x", {4})}, {value_info("y", {6})}));
    expect_mentions(import_error(path), {prefix("import_onnx", path), "node 'pd' (Pad)", "input 2 ('v')"});
    write(path, model_bytes({node("Dropout", "drop", {"x", "r"}, {"y"})}, {int64_tensor("r", {0}, {})}, {value_info("x", {4})},
                            {value_info("y", {4})}));
    expect_mentions(import_error(path), {prefix("import_onnx", path), "node 'drop' (Dropout)", "input 1 ('r')"});
}

// shape_size() wraps around: 192 × 192153584101141184 = 2^65 + 4096 ≡ 4096 (mod 2^64), so the size guard sees
// 4096 elements and the import succeeds with a layer "of shape [192, 192153584101141184]".
TEST(OnnxImportGraph, ShapeProductOverflowIsRejected) {
    TempDir dir;
    const std::string path = dir.file("overflow.onnx");
    write(path, model_bytes({node("ConstantOfShape", "cos", {"s"}, {"c"}), node("Reshape", "rs", {"c", "t"}, {"c2"}),
                             node("Add", "add", {"x", "c2"}, {"y"})},
                            {int64_tensor("s", {192, 192153584101141184LL}), int64_tensor("t", {1, 4096})}, {value_info("x", {4096})},
                            {value_info("y", {4096})}));
    expect_mentions(fails_small(path), {prefix("import_onnx", path), "node 'cos' (ConstantOfShape)", "[192, 192153584101141184]"});
    write(path, model_bytes({node("Expand", "ex", {"x", "s"}, {"y"})}, {int64_tensor("s", {192, 192153584101141184LL})},
                            {value_info_fixed("x", {1, 1})}, {value_info("y", {4})}));
    expect_mentions(fails_small(path), {prefix("import_onnx", path), "node 'ex' (Expand)", "[192, 192153584101141184]"});
}

// The cycle check names the first node still waiting, which may only depend on the cycle ('down' here).
TEST(OnnxImportGraph, CycleNamesANodeOnItEvenWhenADependentComesFirst) {
    TempDir dir;
    const std::string path = dir.file("cycle_downstream.onnx");
    write(path, model_bytes({node("Relu", "down", {"c"}, {"y"}), node("Add", "b1", {"x", "c"}, {"b"}), node("Relu", "c1", {"b"}, {"c"})},
                            {}, {value_info("x", {4})}, {value_info("y", {4})}));
    const std::string e = import_error(path);
    EXPECT_EQ(e.find("'down'"), std::string::npos) << e;
    EXPECT_TRUE(e.find("node 'b1' (Add)") != std::string::npos || e.find("node 'c1' (Relu)") != std::string::npos) << e;
}

// Unnamed nodes appear as "node '' (Add)" in dangling-input and cycle messages; elsewhere the importer calls
// them "<op>_<index>".
TEST(OnnxImportGraph, UnnamedNodesAreNamedInStructuralErrors) {
    TempDir dir;
    const std::string path = dir.file("unnamed.onnx");
    write(path, model_bytes({node("Relu", "", {"x"}, {"a"}), node("Add", "", {"a", "nowhere"}, {"y"})}, {}, {value_info("x", {4})},
                            {value_info("y", {4})}));
    expect_mentions(import_error(path), {"node 'Add_1' (Add): input 'nowhere'"});
}

// A graph input's negative dim_value is reported as "a dynamic dimension 1 ('')" (and at axis 0 silently taken
// as a symbolic batch).
TEST(OnnxImportGraph, NegativeGraphInputDimIsCalledNegative) {
    TempDir dir;
    const std::string path = dir.file("negative_input.onnx");
    write(path, model_bytes({node("Relu", "r", {"x"}, {"y"})}, {}, {value_info_fixed("x", {1, -3})}, {value_info("y", {4})}));
    expect_mentions(import_error(path), {prefix("import_onnx", path), "input 'x'", "negative dimension -3"});
    write(path, model_bytes({node("Relu", "r", {"x"}, {"y"})}, {}, {value_info_fixed("x", {-3, 4})}, {value_info("y", {4})}));
    expect_mentions(import_error(path), {prefix("import_onnx", path), "input 'x'", "negative dimension -3"});
}

// A non-numeric external offset or length fails with just "stoll".
TEST(OnnxImportGraph, ExternalDataBadOffsetIsNamed) {
    ExternalFixture f;
    expect_mentions(f.error({{"location", "w.bin"}, {"offset", "abc"}}),
                    {prefix("import_onnx", f.model), "tensor 'w': external data", "offset 'abc'"});
    expect_mentions(f.error({{"location", "w.bin"}, {"length", "99999999999999999999999"}}),
                    {prefix("import_onnx", f.model), "tensor 'w': external data", "length '99999999999999999999999'"});
}

// constant_inputs is not checked: a value of another shape than the graph input declares is taken (the model
// silently changes), and a name that is no graph input is ignored.
TEST(OnnxImportGraph, ConstantInputsAreChecked) {
    TempDir dir;
    const std::string path = dir.file("reshape_input.onnx");
    write(path, model_bytes({node("Reshape", "rs", {"x", "shape"}, {"y"})}, {},
                            {value_info("x", {6}), value_info_fixed("shape", {3}, 7)}, {value_info("y", {2, 3})}));
    OnnxImportOptions o;
    o.constant_inputs["shape"] = TensorD({2}, {-1, 6});
    expect_mentions(import_error(path, o), {prefix("import_onnx", path), "'shape'", "[2]", "[3]"});
    o.constant_inputs.clear();
    o.constant_inputs["shap"] = TensorD({3}, {-1, 2, 3});
    expect_mentions(import_error(path, o), {prefix("import_onnx", path), "constant_inputs", "'shap'"});
}

// A FIFO is opened and read like a file: an external-data location naming a FIFO in the model's folder, or a
// model path that is a FIFO, blocks import_onnx forever (onnx_proto.cpp read_external: std::ifstream;
// read_onnx_model: open(O_RDONLY)). Expected: refused at once as not a regular file. (A helper opens the FIFO for
// writing and closes it, so that without the fix the test fails instead of hanging.)
TEST(OnnxImportGraph, FifosAreRefusedInsteadOfBlocking) {
    ExternalFixture f;
    const auto with_unblocker = [](const std::string& fifo, const std::function<void()>& body) {
        std::atomic<bool> done{false};
        std::thread unblock([&] {
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
            while (!done && std::chrono::steady_clock::now() < deadline) {
                const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);  // fails while nobody reads
                if (fd >= 0) {
                    ::close(fd);
                    return;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
        });
        body();
        done = true;
        unblock.join();
    };
    const std::string fifo = f.folder + "/fifo.bin";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    with_unblocker(fifo, [&] {
        expect_mentions(f.error({{"location", "fifo.bin"}}), {prefix("import_onnx", f.model), "tensor 'w'", "not a regular file"});
    });
    const std::string model_fifo = f.folder + "/model_fifo.onnx";
    ASSERT_EQ(::mkfifo(model_fifo.c_str(), 0600), 0);
    with_unblocker(model_fifo, [&] { expect_mentions(import_error(model_fifo), {prefix("import_onnx", model_fifo), "not a regular file"}); });
}

// Initializers of other element types load: float16 and float64 weights become float32, an int32 shape folds.
TEST(OnnxImportGraph, Float16Float64AndInt32Initializers) {
    TempDir dir;
    const auto typed = [](const std::string& name, std::int64_t type, std::vector<std::int64_t> dims, const std::string& raw) {
        Pb p;
        for (auto d : dims) p.i64(1, d);
        return p.i64(2, type).str(8, name).str(9, raw);
    };
    const std::uint16_t half[4] = {0x3C00, 0xC000, 0x3800, 0x7BFF};  // 1, -2, 0.5, 65504
    const double wide[4] = {0.25, 1e-3, -4.0, 3.0};
    const std::int32_t shape[3] = {-1, 2, 2};
    const std::string path = dir.file("types.onnx");
    write(path, model_bytes({node("Add", "add", {"x", "h"}, {"s"}), node("Mul", "mul", {"s", "d"}, {"p"}),
                             node("Reshape", "rs", {"p", "shape"}, {"y"})},
                            {typed("h", 10, {4}, std::string(reinterpret_cast<const char*>(half), 8)),
                             typed("d", 11, {4}, std::string(reinterpret_cast<const char*>(wide), 32)),
                             typed("shape", 6, {3}, std::string(reinterpret_cast<const char*>(shape), 12))},
                            {value_info("x", {4})}, {value_info("y", {2, 2})}));
    Model m = import_onnx(path);
    const Tensor x({1, 4}, {1.0f, 2.0f, 3.0f, 4.0f});
    const Tensor y = run(m, x);
    ASSERT_EQ(y.shape(), (Shape{1, 2, 2}));
    const float want[4] = {2.0f * 0.25f, 0.0f * 1e-3f, 3.5f * -4.0f, 65508.0f * 3.0f};
    for (std::size_t i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(y[i], want[i]) << i;
}
