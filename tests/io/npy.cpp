// io/npy.hpp against the format's definition (numpy.lib.format, version 1.0): magic, version, little-endian
// header length, the dict header padded with spaces to a 64-byte boundary and ended by '\n', then '<f4' data.
#include <xvis/io/npy.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>

namespace {

std::string header_of(const std::vector<std::uint8_t>& b) {
    const std::size_t len = b[8] | (std::size_t(b[9]) << 8);
    return std::string(b.begin() + 10, b.begin() + 10 + static_cast<std::ptrdiff_t>(len));
}

}  // namespace

TEST(Npy, HeaderIsTheSpecsBytes) {
    xvis::Tensor a({2, 3}, {1, 2, 3, 4, 5, 6});
    const auto b = xvis::encode_npy(a);
    ASSERT_GE(b.size(), 10u);
    EXPECT_EQ(std::memcmp(b.data(), "\x93NUMPY\x01\x00", 8), 0);
    const std::string h = header_of(b);
    // Exactly what numpy 1.x writes for np.zeros((2, 3), np.float32): 118 bytes of header, 128 before the data.
    const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    EXPECT_EQ(h.substr(0, dict.size()), dict);
    EXPECT_EQ(h.size(), 118u);
    EXPECT_EQ(h.back(), '\n');
    EXPECT_EQ(h.find_first_not_of(' ', dict.size()), h.size() - 1);  // spaces, then the '\n'
    EXPECT_EQ((10 + h.size()) % 64, 0u);
    ASSERT_EQ(b.size(), 128u + 6 * 4);
    // Little-endian IEEE float32, C order: 2.0f is 00 00 00 40.
    const std::uint8_t two[4] = {0x00, 0x00, 0x00, 0x40};
    EXPECT_EQ(std::memcmp(b.data() + 128 + 4, two, 4), 0);
    float last = 0;
    std::memcpy(&last, b.data() + 128 + 20, 4);
    EXPECT_EQ(last, 6.0f);
}

TEST(Npy, ShapesOfRankZeroAndOneAreWrittenAsNumpyDoes) {
    EXPECT_NE(header_of(xvis::encode_npy(xvis::Tensor({5}))).find("'shape': (5,), }"), std::string::npos);
    EXPECT_NE(header_of(xvis::encode_npy(xvis::Tensor::scalar(1.5f))).find("'shape': (), }"), std::string::npos);
    EXPECT_NE(header_of(xvis::encode_npy(xvis::Tensor({1, 28, 28}))).find("'shape': (1, 28, 28), }"), std::string::npos);
}

TEST(Npy, ReadsBackWhatItWrites) {
    const auto dir = std::filesystem::temp_directory_path() / ("xvis_npy_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    xvis::Tensor a({3, 4, 2});
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(i) * 0.25f - 3;
    const std::string path = (dir / "a.npy").string();
    xvis::write_npy(path, a);
    const xvis::Tensor b = xvis::read_npy(path);
    EXPECT_EQ(b.shape(), a.shape());
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(b[i], a[i]);
    const xvis::Tensor s = xvis::decode_npy(xvis::encode_npy(xvis::Tensor::scalar(7)));
    EXPECT_EQ(s.rank(), 0u);
    EXPECT_EQ(s[0], 7.0f);
    std::filesystem::remove_all(dir);
}

TEST(Npy, RefusesWhatItCannotRead) {
    auto b = xvis::encode_npy(xvis::Tensor({2, 2}));
    auto with = [&](const std::string& from, const std::string& to) {
        auto c = b;
        std::string h(c.begin() + 10, c.end());
        const std::size_t at = h.find(from);
        h.replace(at, from.size(), to);
        c.resize(10);
        c.insert(c.end(), h.begin(), h.end());
        return c;
    };
    EXPECT_THROW(xvis::decode_npy(with("'<f4'", "'<f8'")), std::runtime_error);
    EXPECT_THROW(xvis::decode_npy(with("False", "True ")), std::runtime_error);
    auto truncated = b;
    truncated.pop_back();
    try {
        xvis::decode_npy(truncated, "t.npy");
        FAIL() << "a truncated file was read";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("t.npy"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("16 data bytes"), std::string::npos) << e.what();
    }
    EXPECT_THROW(xvis::decode_npy({'x', 'y'}), std::runtime_error);
    EXPECT_THROW(xvis::read_npy("/nonexistent/a.npy"), std::runtime_error);
}
