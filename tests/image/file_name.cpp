// safe_file_name: output names built from user data stay one harmless component inside the output folder.
#include "image/temp_dir.hpp"

#include <xvis/image/file_name.hpp>
#include <xvis/image/png.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

using namespace xvis;
using xvis::testing::TempDir;
namespace fs = std::filesystem;

namespace {

// What every result must be, whatever the input: checked on each nasty name below.
void expect_one_safe_component(const std::string& input, std::size_t max_length = 100) {
    const std::string n = safe_file_name(input, max_length);
    SCOPED_TRACE("input '" + input + "' -> '" + n + "'");
    ASSERT_FALSE(n.empty());
    EXPECT_LE(n.size(), max_length);
    EXPECT_NE(n.front(), '.');
    EXPECT_NE(n.front(), '-');
    EXPECT_NE(n, "..");
    EXPECT_EQ(n.find('/'), std::string::npos);
    EXPECT_EQ(n.find(".."), std::string::npos);
    for (unsigned char c : n) EXPECT_TRUE(c > 32 && c < 127) << int(c);
    // Joined to a folder it names a file directly in that folder.
    const fs::path joined = fs::path("/out") / n;
    EXPECT_EQ(joined.parent_path(), fs::path("/out"));
    EXPECT_EQ(joined.lexically_normal(), joined);
}

}  // namespace

TEST(SafeFileName, KeepsOrdinaryNames) {
    EXPECT_EQ(safe_file_name("dress"), "dress");
    EXPECT_EQ(safe_file_name("conv2d_1.weights-v2"), "conv2d_1.weights-v2");
    EXPECT_EQ(safe_file_name("T-shirt/top"), "T-shirt_top");
    EXPECT_EQ(safe_file_name("/layer4/Relu_output_0"), "layer4_Relu_output_0");
    EXPECT_EQ(safe_file_name("Ankle boot"), "Ankle_boot");
}

TEST(SafeFileName, NastyNames) {
    EXPECT_EQ(safe_file_name("../../etc/passwd"), "etc_passwd");
    EXPECT_EQ(safe_file_name("/abs"), "abs");
    EXPECT_EQ(safe_file_name("a\nb"), "a_b");
    EXPECT_EQ(safe_file_name(std::string("a\0b", 3)), "a_b");
    EXPECT_EQ(safe_file_name(""), "unnamed");
    EXPECT_EQ(safe_file_name("."), "unnamed");
    EXPECT_EQ(safe_file_name(".."), "unnamed");
    EXPECT_EQ(safe_file_name("..."), "unnamed");
    EXPECT_EQ(safe_file_name("/"), "unnamed");
    EXPECT_EQ(safe_file_name(".hidden"), "hidden");
    EXPECT_EQ(safe_file_name("-rf"), "rf");
    EXPECT_EQ(safe_file_name("a/../b"), "a_._b");
    EXPECT_EQ(safe_file_name("caf\xc3\xa9"), "caf");
    EXPECT_EQ(safe_file_name("C:\\Windows\\x"), "C_Windows_x");
    for (const std::string s : {"../../etc/passwd", "/abs", "a\nb", "", ".", "..", "./.", "/..", "..\\..", " ", "\x1b[31mred",
                                "a/../../b", "....//....//x", "-", "_", "\t\r\n"})
        expect_one_safe_component(s);
}

TEST(SafeFileName, LongNamesAreCutAndStayDistinct) {
    const std::string a(300, 'a'), b = std::string(299, 'a') + "b";
    const std::string na = safe_file_name(a), nb = safe_file_name(b);
    EXPECT_EQ(na.size(), 100u);
    EXPECT_EQ(na.substr(0, 91), std::string(91, 'a'));
    EXPECT_EQ(na[91], '-');
    EXPECT_NE(na, nb);                 // the hash of the whole text tells them apart
    EXPECT_EQ(na, safe_file_name(a));  // and it is stable
    expect_one_safe_component(a);
    expect_one_safe_component(std::string(300, '/'));
    expect_one_safe_component("../" + std::string(300, 'x'), 16);
    EXPECT_EQ(safe_file_name(std::string(100, 'x')), std::string(100, 'x'));  // exactly the limit: kept whole
    EXPECT_THROW(safe_file_name("x", 15), std::invalid_argument);
}

TEST(SafeFileName, WritesInsideTheFolder) {
    TempDir dir;
    const std::string folder = dir.file("out");
    fs::create_directories(folder);
    int k = 0;
    // std::string elements: a braced list of const char* would keep a pointer into a destroyed temporary.
    const std::vector<std::string> stems{"../../escape", "/abs", "a\nb", std::string(300, 'z'), "", ".", ".."};
    for (const std::string& s : stems) {
        const std::string path = file_in_folder(folder, s, ".png");
        write_png(path, Tensor({1, 1, 1}, static_cast<float>(k++)));
        EXPECT_EQ(fs::path(path).parent_path(), fs::path(folder)) << path;
    }
    // Everything landed in out/, nothing beside it; "", "." and ".." all named unnamed.png.
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"out"});
    std::size_t n = 0;
    std::string names;
    for (const auto& e : fs::directory_iterator(folder)) n += e.is_regular_file(), names += e.path().filename().string() + " ";
    EXPECT_EQ(n, 5u) << names;
}
