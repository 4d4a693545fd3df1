#include <xvis/io/fashion_mnist.hpp>
#include <xvis/io/idx.hpp>

#include "image/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

using namespace xvis;
using xvis::testing::TempDir;

namespace {

IdxArray images_fixture(std::size_t n, std::size_t h = 4, std::size_t w = 3) {
    IdxArray a{{n, h, w}, {}};
    for (std::size_t i = 0; i < n * h * w; ++i) a.data.push_back(static_cast<std::uint8_t>((i * 37) % 256));
    return a;
}

IdxArray labels_fixture(std::size_t n) {
    IdxArray a{{n}, {}};
    for (std::size_t i = 0; i < n; ++i) a.data.push_back(static_cast<std::uint8_t>(i % 10));
    return a;
}

// Expects `f` to throw std::runtime_error whose message contains every one of `parts`.
template <class F>
void expect_error(F f, std::initializer_list<std::string> parts) {
    try {
        f();
        FAIL() << "no exception";
    } catch (const std::runtime_error& e) {
        for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << "'" << p << "' not in: " << e.what();
    }
}

}  // namespace

TEST(Idx, RoundTripPlainAndGzipped) {
    TempDir dir;
    const IdxArray a = images_fixture(5);
    for (bool gz : {false, true}) {
        const std::string path = dir.file(gz ? "a.gz" : "a");
        write_idx(path, a, gz);
        const auto bytes = xvis::testing::read_bytes(path);
        if (gz) {
            ASSERT_GE(bytes.size(), 2u);
            EXPECT_EQ(bytes[0], 0x1f);  // gzip magic: the file really is compressed
            EXPECT_EQ(bytes[1], 0x8b);
        } else {
            EXPECT_EQ(bytes.size(), 4u + 3 * 4 + a.data.size());
            EXPECT_EQ(bytes[2], 0x08);
            EXPECT_EQ(bytes[3], 3);
            EXPECT_EQ(bytes[7], 5);  // big-endian count
        }
        const IdxArray b = read_idx(path);
        EXPECT_EQ(b.dims, a.dims);
        EXPECT_EQ(b.data, a.data);
        EXPECT_EQ(b.count(), 5u);
        EXPECT_EQ(b.item_size(), 12u);
    }
}

TEST(Idx, PrefixReadsFirstItemsAndReportsHeaderCount) {
    TempDir dir;
    const IdxArray a = images_fixture(6);
    write_idx(dir.file("a.gz"), a, true);
    std::size_t declared = 0;
    const IdxArray b = read_idx(dir.file("a.gz"), 2, &declared);
    EXPECT_EQ(declared, 6u);
    EXPECT_EQ(b.dims, (std::vector<std::size_t>{2, 4, 3}));
    EXPECT_EQ(b.data, std::vector<std::uint8_t>(a.data.begin(), a.data.begin() + 24));
}

TEST(Idx, MissingFile) {
    TempDir dir;
    expect_error([&] { read_idx(dir.file("nope.gz")); }, {"nope.gz", "cannot open"});
}

TEST(Idx, BadMagic) {
    TempDir dir;
    xvis::testing::write_bytes(dir.file("bad"), {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'});
    expect_error([&] { read_idx(dir.file("bad")); }, {"bad", "bad magic"});
    xvis::testing::write_bytes(dir.file("float"), {0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0});
    expect_error([&] { read_idx(dir.file("float")); }, {"float", "unsupported IDX data type 0x0d"});
}

// An empty first axis does not hide absurd other axes: item_size() of 0x2^32x2^32 would wrap to 0 (found by
// fuzzing: tests/fuzz/regressions/idx/empty_axis_item_size_overflow).
TEST(Idx, EmptyAxisDoesNotHideOverflowingItemSize) {
    TempDir dir;
    xvis::testing::write_bytes(dir.file("empty"), {0, 0, 8, 3, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
    expect_error([&] { read_idx(dir.file("empty")); }, {"empty", "0x4294967295x4294967295", "with empty axes counted as 1"});
    xvis::testing::write_bytes(dir.file("wrap"), {0, 0, 8, 4, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
    expect_error([&] { read_idx(dir.file("wrap")); }, {"wrap", "overflows 64 bits"});
    // A legitimately empty file still reads.
    xvis::testing::write_bytes(dir.file("none"), {0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 28, 0, 0, 0, 28});
    const IdxArray a = read_idx(dir.file("none"));
    EXPECT_EQ(a.dims, (std::vector<std::size_t>{0, 28, 28}));
    EXPECT_EQ(a.item_size(), 784u);
}

TEST(Idx, TruncatedPlainAndGzipped) {
    TempDir dir;
    write_idx(dir.file("full"), images_fixture(4), false);
    auto bytes = xvis::testing::read_bytes(dir.file("full"));
    bytes.resize(bytes.size() - 5);
    xvis::testing::write_bytes(dir.file("short"), bytes);
    expect_error([&] { read_idx(dir.file("short")); }, {"short", "truncated"});
    xvis::testing::write_bytes(dir.file("header"), {0, 0, 8, 3, 0, 0, 0});
    expect_error([&] { read_idx(dir.file("header")); }, {"header", "truncated header"});

    // A gzip stream cut in the middle: zlib reports it, or the data comes up short.
    write_idx(dir.file("full.gz"), images_fixture(400, 28, 28), true);
    auto gz = xvis::testing::read_bytes(dir.file("full.gz"));
    gz.resize(gz.size() / 2);
    xvis::testing::write_bytes(dir.file("short.gz"), gz);
    expect_error([&] { read_idx(dir.file("short.gz")); }, {"short.gz", "truncated"});
}

TEST(Idx, TrailingBytesAreAnError) {
    TempDir dir;
    write_idx(dir.file("a"), labels_fixture(3), false);
    auto bytes = xvis::testing::read_bytes(dir.file("a"));
    bytes.push_back(7);
    xvis::testing::write_bytes(dir.file("long"), bytes);
    expect_error([&] { read_idx(dir.file("long")); }, {"long", "trailing bytes"});
}

TEST(Idx, WriterChecksSizes) {
    TempDir dir;
    EXPECT_THROW(write_idx(dir.file("x"), IdxArray{{2, 2}, {1, 2, 3}}), std::invalid_argument);
    EXPECT_THROW(write_idx(dir.file("x"), IdxArray{{}, {}}), std::invalid_argument);
    EXPECT_THROW(write_idx(dir.file("missing/x"), labels_fixture(2)), std::runtime_error);
}

TEST(FashionMnistFiles, LoadsWrittenFixtures) {
    TempDir dir;
    write_idx(dir.file("t10k-images-idx3-ubyte.gz"), images_fixture(7, 28, 28), true);
    write_idx(dir.file("t10k-labels-idx1-ubyte.gz"), labels_fixture(7), true);
    const FashionMnist d = load_fashion_mnist(dir.file(""), DatasetSubset::test);
    ASSERT_EQ(d.size(), 7u);
    EXPECT_EQ(d.images.shape(), (Shape{7, 1, 28, 28}));
    EXPECT_FLOAT_EQ(d.images[1], 37.0f / 255.0f);
    EXPECT_EQ(d.labels[3], 3);
    const FashionMnist first = load_fashion_mnist(dir.file(""), DatasetSubset::test, 2);
    EXPECT_EQ(first.images.shape(), (Shape{2, 1, 28, 28}));
    EXPECT_EQ(fashion_mnist_class_names()[9], "Ankle boot");
}

TEST(FashionMnistFiles, UncompressedFilesAreFoundToo) {
    TempDir dir;
    write_idx(dir.file("train-images-idx3-ubyte"), images_fixture(3, 28, 28), false);
    write_idx(dir.file("train-labels-idx1-ubyte"), labels_fixture(3), false);
    EXPECT_EQ(load_fashion_mnist(dir.file(""), DatasetSubset::train).size(), 3u);
}

TEST(FashionMnistFiles, CountMismatchMissingFilesAndBadLabels) {
    TempDir dir;
    expect_error([&] { load_fashion_mnist(dir.file(""), DatasetSubset::train); }, {"train-labels-idx1-ubyte.gz", "cannot open"});
    write_idx(dir.file("train-images-idx3-ubyte.gz"), images_fixture(5, 28, 28), true);
    write_idx(dir.file("train-labels-idx1-ubyte.gz"), labels_fixture(4), true);
    expect_error([&] { load_fashion_mnist(dir.file(""), DatasetSubset::train, 2); }, {"dims mismatch", "5 images", "4 labels"});
    IdxArray bad = labels_fixture(5);
    bad.data[2] = 12;
    write_idx(dir.file("train-labels-idx1-ubyte.gz"), bad, true);
    expect_error([&] { load_fashion_mnist(dir.file(""), DatasetSubset::train); }, {"label 12", "index 2"});
    write_idx(dir.file("train-labels-idx1-ubyte.gz"), images_fixture(5, 28, 28), true);
    expect_error([&] { load_fashion_mnist(dir.file(""), DatasetSubset::train); }, {"labels must be 1-D"});
}

TEST(FashionMnistReal, FirstTestLabels) {
    if (!fashion_mnist_available()) GTEST_SKIP() << "dataset-fashion-mnist is not installed in " << fashion_mnist_default_dir;
    const FashionMnist d = load_fashion_mnist(fashion_mnist_default_dir, DatasetSubset::test);
    ASSERT_EQ(d.size(), 10000u);
    EXPECT_EQ(d.images.shape(), (Shape{10000, 1, 28, 28}));
    const std::vector<std::uint8_t> first{9, 2, 1, 1, 6, 1, 4, 6};
    EXPECT_EQ(std::vector<std::uint8_t>(d.labels.begin(), d.labels.begin() + 8), first);
    float lo = 1, hi = 0;
    for (float v : d.images) lo = std::min(lo, v), hi = std::max(hi, v);
    EXPECT_EQ(lo, 0.0f);
    EXPECT_EQ(hi, 1.0f);
}
