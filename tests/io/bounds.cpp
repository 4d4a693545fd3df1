// Bounded memory (issue 11): a tiny file declaring an absurd size fails with a message naming the tensor and
// the numbers, before anything of that size is allocated. Each call runs in a child whose address space may
// grow by 256 MiB only (io/memory_limit.hpp), so allocating first would end in "bad_alloc" there.
#include <xvis/io/idx.hpp>
#include <xvis/io/onnx.hpp>

#include "io/memory_limit.hpp"
#include "io/onnx_error_support.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <vector>

using namespace xvis;
using namespace xvis::test;
using xvis::testing::TempDir;

namespace {

// The message the call fails with inside the memory-limited child ("" and a test failure otherwise).
std::string limited_error(const std::function<void()>& f) {
    const std::string r = outcome_with_memory_limit(f);
    EXPECT_EQ(r.rfind("error: ", 0), 0u) << "expected a clear error, got: " << r;
    return r;
}

// The same Add model as add_model(w), marked as written by xvis: load_onnx then uses its layer reader, which
// decodes initializers on its own (metadata_props, field 14, appended: protobuf merges repeated fields).
std::string xvis_written_model(const Pb& w) {
    return add_model(w) + Pb().msg(14, Pb().str(1, "xvis.model_kind").str(2, "functional")).b;
}

const std::int64_t big = std::int64_t(1) << 27;  // 512 MiB of float32: within max_tensor_elements, above the headroom

}  // namespace

// The limit itself works: without it these tests could not fail.
TEST(Bounds, MemoryLimitTurnsALargeAllocationIntoBadAlloc) {
    if (XVIS_TEST_UNDER_ASAN) GTEST_SKIP() << "AddressSanitizer build: no RLIMIT_AS in the child (io/memory_limit.hpp)";
    EXPECT_EQ(outcome_with_memory_limit([] { std::vector<char> v(std::size_t(1) << 30, 1); }), "bad_alloc");
    EXPECT_EQ(outcome_with_memory_limit([] { std::vector<char> v(std::size_t(1) << 20, 1); }), "ok");
}

// Found in issue 11: `xvis info` on such a file ended in "std::bad_alloc" (the layer reader allocated first).
TEST(Bounds, InitializerClaimingMoreThanItsRawDataFailsBeforeAllocating) {
    TempDir dir;
    const std::string path = dir.file("claim.onnx"), xvis_path = dir.file("claim_xvis.onnx");
    const Pb w = Pb().i64(1, big).i64(2, 1).str(8, "w").str(9, "abcd");
    write(path, add_model(w));
    write(xvis_path, xvis_written_model(w));
    expect_mentions(limited_error([&] { import_onnx(path); }),
                    {prefix("import_onnx", path), "tensor 'w' [134217728] holds 4 bytes of raw_data, expected 536870912"});
    expect_mentions(limited_error([&] { load_onnx(xvis_path); }),
                    {prefix("load_onnx", xvis_path), "initializer 'w' [134217728] has 4 bytes of raw_data, expected 536870912"});
}

TEST(Bounds, InitializerClaimingMoreThanItsTypedValuesFailsBeforeAllocating) {
    TempDir dir;
    const std::string path = dir.file("typed.onnx"), xvis_path = dir.file("typed_xvis.onnx");
    const Pb w = Pb().i64(1, big).i64(2, 1).str(8, "w").str(4, float_bytes(Tensor({1}, 1.0f)));
    write(path, add_model(w));
    write(xvis_path, xvis_written_model(w));
    expect_mentions(limited_error([&] { import_onnx(path); }), {"tensor 'w' [134217728] holds 1 values, expected 134217728"});
    expect_mentions(limited_error([&] { load_onnx(xvis_path); }), {"initializer 'w' [134217728] has 1 values, expected 134217728"});
}

TEST(Bounds, ExternalDataClaimingMoreThanItsFileFailsBeforeAllocating) {
    TempDir dir;
    const std::string path = dir.file("ext.onnx");
    write(dir.file("w.bin"), float_bytes(Tensor({4}, 1.0f)));
    write(path, add_model(external_tensor("w", {big}, {{"location", "w.bin"}})));
    expect_mentions(limited_error([&] { import_onnx(path); }), {"tensor 'w': external data file", "has 16 bytes, the tensor needs 536870912"});
}

// Found in issue 11: the product wrapped to 0 and was reported as "expected 0" bytes.
TEST(Bounds, OverflowingDimsAreNamedAsSuch) {
    TempDir dir;
    const std::string path = dir.file("wrap.onnx"), xvis_path = dir.file("wrap_xvis.onnx");
    const std::int64_t d = std::int64_t(1) << 33;  // d * d = 2^66 wraps to 0
    const Pb w = Pb().i64(1, d).i64(1, d).i64(2, 1).str(8, "w").str(9, "");
    write(path, add_model(w));
    write(xvis_path, xvis_written_model(w));
    for (const std::string& e : {limited_error([&] { import_onnx(path); }), limited_error([&] { load_onnx(xvis_path); })}) {
        expect_mentions(e, {"tensor 'w'", "dims [8589934592, 8589934592]", "overflows 64 bits"});
        EXPECT_EQ(e.find("expected 0"), std::string::npos) << e;
    }
    // Below the overflow, the count is named with the limit it exceeds.
    write(path, add_model(Pb().i64(1, 1000000).i64(1, 1000000).i64(2, 1).str(8, "w").str(9, "")));
    expect_mentions(limited_error([&] { import_onnx(path); }),
                    {"dims [1000000, 1000000]: 1000000000000 elements; OnnxImportOptions::max_tensor_elements"});
}

// Reshape / Expand / ConstantOfShape / Tile to absurd shapes are caught by max_tensor_elements /
// max_constant_elements before the result exists.
TEST(Bounds, ShapeOpsToAbsurdShapesFailBeforeAllocating) {
    TempDir dir;
    const std::string path = dir.file("shape.onnx");
    const std::vector<std::int64_t> absurd{1 << 20, 1 << 20};
    write(path, model_bytes({node("ConstantOfShape", "cos", {"s"}, {"c"}), node("Add", "add", {"x", "c"}, {"y"})}, {int64_tensor("s", absurd)},
                            {value_info("x", {4})}, {value_info("y", {4})}));
    expect_mentions(limited_error([&] { import_onnx(path); }), {"node 'cos' (ConstantOfShape)", "[1048576, 1048576] has more than"});
    write(path, model_bytes({node("Expand", "ex", {"x", "s"}, {"y"})}, {int64_tensor("s", absurd)}, {value_info("x", {1})}, {value_info("y", {4})}));
    expect_mentions(limited_error([&] { import_onnx(path); }), {"node 'ex' (Expand)", "[1048576, 1048576] has more than"});
    write(path, model_bytes({node("Tile", "tile", {"x", "r"}, {"y"})}, {int64_tensor("r", absurd)}, {value_info("x", {4})}, {value_info("y", {4})}));
    expect_mentions(limited_error([&] { import_onnx(path); }), {"node 'tile' (Tile)", "repeat 1048576", "makes more than"});
    // Tile of a constant: the folded value is bounded by max_constant_elements.
    write(path, model_bytes({node("Tile", "tile", {"c", "r"}, {"t"}), node("Add", "add", {"x", "t"}, {"y"})},
                            {int64_tensor("c", {4}), int64_tensor("r", {1 << 25})}, {value_info("x", {4})}, {value_info("y", {4})}));
    expect_mentions(limited_error([&] { import_onnx(path); }), {"node 'tile' (Tile)", "more than 4194304"});
    // Reshape keeps the element count: an absurd target shape cannot match it.
    write(path, model_bytes({node("Reshape", "rs", {"x", "s"}, {"y"})}, {int64_tensor("s", {1, 1 << 20, 1 << 20})}, {value_info("x", {4})},
                            {value_info("y", {4})}));
    expect_mentions(limited_error([&] { import_onnx(path); }), {"node 'rs' (Reshape)"});
}

// IDX: a 1 KB file whose header claims 2^31 images fails before allocating, naming claimed and present bytes.
TEST(Bounds, IdxHeaderClaimingMoreThanTheFileHoldsFailsBeforeAllocating) {
    TempDir dir;
    const auto idx = [](std::vector<std::uint32_t> dims, std::size_t data) {
        std::vector<unsigned char> b{0, 0, 8, static_cast<unsigned char>(dims.size())};
        for (auto d : dims)
            for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<unsigned char>((d >> s) & 0xff));
        b.resize(b.size() + data, 7);
        return b;
    };
    xvis::testing::write_bytes(dir.file("claim"), idx({1u << 31}, 1016));
    expect_mentions(limited_error([&] { read_idx(dir.file("claim")); }),
                    {"read_idx: '" + dir.file("claim") + "'", "declares 2147483648 data bytes (dims 2147483648)", "holds 1016 after the 8-byte header"});
    xvis::testing::write_bytes(dir.file("images"), idx({1u << 31, 28, 28}, 1000));
    expect_mentions(limited_error([&] { read_idx(dir.file("images")); }), {"dims 2147483648x28x28, 1683627180032 bytes", "more than the 1099511627776"});
    xvis::testing::write_bytes(dir.file("wrap"), idx({0xffffffffu, 0xffffffffu, 0xffffffffu}, 8));
    expect_mentions(limited_error([&] { read_idx(dir.file("wrap")); }), {"dims 4294967295x4294967295x4294967295", "overflows 64 bits"});
    // Gzipped, the size is unknown up front: reading in chunks still stops at the real end of the data.
    ASSERT_EQ(std::system(("gzip -c '" + dir.file("claim") + "' > '" + dir.file("claim.gz") + "'").c_str()), 0);
    expect_mentions(limited_error([&] { read_idx(dir.file("claim.gz")); }),
                    {"truncated: the header declares 2147483648 data bytes (dims 2147483648) but the file ends after 1016"});
}
