// Non-finite model weights (issue 11): NaN in any float initializer, and ±inf in the operands of the ops that
// multiply or normalize the input, fail at import naming the initializer and the first bad element; -inf in
// other constants (attention masks, clamp bounds) is legitimate and loads.
#include <xvis/io/onnx.hpp>

#include "io/onnx_error_support.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace xvis;
using namespace xvis::test;
using xvis::testing::TempDir;

namespace {

const float nan_value = std::numeric_limits<float>::quiet_NaN();
const float inf_value = std::numeric_limits<float>::infinity();

// y = x · w for x [N, 4] and w [4, 2].
std::string matmul_model(const Tensor& w) {
    return model_bytes({node("MatMul", "mm", {"x", "w"}, {"y"})}, {tensor("w", w)}, {value_info("x", {4})}, {value_info("y", {2})});
}

}  // namespace

TEST(NonFinite, NanWeightIsNamedWithItsIndex) {
    TempDir dir;
    const std::string path = dir.file("nan.onnx");
    Tensor w({4, 2}, 0.5f);
    w[5] = nan_value;  // [2, 1]
    write(path, matmul_model(w));
    expect_mentions(import_error(path), {prefix("import_onnx", path), "initializer: tensor 'w' [4, 2]: element [2, 1] (flat index 5) is nan"});
    expect_mentions(load_error(path), {prefix("load_onnx", path), "tensor 'w'", "element [2, 1] (flat index 5) is nan"});
    // Typed float_data is checked the same way.
    write(path, model_bytes({node("MatMul", "mm", {"x", "w"}, {"y"})}, {tensor("w", w, false)}, {value_info("x", {4})}, {value_info("y", {2})}));
    expect_mentions(import_error(path), {"tensor 'w' [4, 2]: element [2, 1] (flat index 5) is nan"});
}

TEST(NonFinite, InfiniteMatMulWeightIsRefused) {
    TempDir dir;
    const std::string path = dir.file("inf.onnx");
    Tensor w({4, 2}, 0.5f);
    w[0] = -inf_value;
    write(path, matmul_model(w));
    expect_mentions(import_error(path), {"tensor 'w' [4, 2]: element [0, 0] (flat index 0) is -inf", "weights must be finite"});
    w[0] = 0.5f;
    write(path, matmul_model(w));
    EXPECT_NO_THROW(import_onnx(path));
}

// An additive attention mask: -inf where attention is masked. Must load and compute.
TEST(NonFinite, MinusInfInAMaskConstantLoads) {
    TempDir dir;
    const std::string path = dir.file("mask.onnx");
    const Tensor mask({4}, {0.0f, -inf_value, 0.0f, -inf_value});
    write(path, add_model(tensor("w", mask)));
    Model m = import_onnx(path);
    const Tensor y = run(m, Tensor({1, 4}, 1.0f));
    EXPECT_EQ(y[0], 1.0f);
    EXPECT_TRUE(std::isinf(y[1]) && y[1] < 0);
    // NaN is refused even there: no mask or bound is NaN on purpose.
    write(path, add_model(tensor("w", Tensor({4}, {0.0f, nan_value, 0.0f, 0.0f}))));
    expect_mentions(import_error(path), {"tensor 'w' [4]: element [1] (flat index 1) is nan", "NaN is refused in every float initializer"});
}

// A float scalar initializer (folded as a constant) is checked too.
TEST(NonFinite, NanScalarConstantIsRefused) {
    TempDir dir;
    const std::string path = dir.file("scalar.onnx");
    write(path, model_bytes({node("Mul", "mul", {"x", "s"}, {"y"})}, {tensor("s", Tensor(Shape{}, nan_value))}, {value_info("x", {4})},
                            {value_info("y", {4})}));
    expect_mentions(import_error(path), {"tensor 's' []: element [] (flat index 0) is nan"});
}

// A model written by xvis holds weights only: any non-finite value is refused by its reader.
TEST(NonFinite, XvisWrittenModelWithInfWeightIsRefused) {
    TempDir dir;
    const std::string path = dir.file("xvis_inf.onnx");
    Tensor w({4}, 1.0f);
    w[3] = inf_value;
    write(path, add_model(tensor("w", w)) + Pb().msg(14, Pb().str(1, "xvis.model_kind").str(2, "functional")).b);
    expect_mentions(load_error(path), {prefix("load_onnx", path), "initializer: tensor 'w' [4]: element [3] (flat index 3) is inf"});
}
