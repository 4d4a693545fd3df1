#include "image/temp_dir.hpp"
#include "support/error_message.hpp"

#include <xvis/io/labels.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

using namespace xvis;
using xvis::testing::message_of;
using xvis::testing::TempDir;

namespace {

using Names = std::vector<std::string>;

std::string parse_error(const std::string& text, std::size_t classes = 0) {
    return message_of([&] { parse_labels(text, classes, "l.txt"); });
}

void write_text(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

}  // namespace

TEST(Labels, OneNamePerLine) {
    EXPECT_EQ(parse_labels("cat\ndog\n", 2, "l.txt"), (Names{"cat", "dog"}));
    EXPECT_EQ(parse_labels("cat\ndog", 2, "l.txt"), (Names{"cat", "dog"}));  // no final newline
    EXPECT_EQ(parse_labels("golden retriever\n", 1, "l.txt"), (Names{"golden retriever"}));
    EXPECT_EQ(parse_labels("", 0, "l.txt"), Names{});
}

TEST(Labels, TrimsCrlfTrailingBlanksAndBom) {
    EXPECT_EQ(parse_labels("cat\r\ndog \t\r\n", 2, "l.txt"), (Names{"cat", "dog"}));
    EXPECT_EQ(parse_labels("\xEF\xBB\xBF" "cat\n", 1, "l.txt"), (Names{"cat"}));
    EXPECT_EQ(parse_labels("  indented\n", 1, "l.txt"), (Names{"  indented"}));  // leading spaces are part of the name
}

TEST(Labels, DropsTrailingEmptyLinesKeepsInteriorOnes) {
    EXPECT_EQ(parse_labels("a\n\nc\n\n\r\n  \n", 3, "l.txt"), (Names{"a", "", "c"}));
}

TEST(Labels, TooFewNamesNamesBothCounts) {
    const std::string msg = parse_error("a\nb\nc\n", 10);
    EXPECT_NE(msg.find("parse_labels: l.txt: 3 names for the model's 10 classes"), std::string::npos) << msg;
    EXPECT_EQ(parse_labels("a\nb\nc\n", 2, "l.txt").size(), 3u);  // more is the caller's warning
}

TEST(Labels, RefusesControlCharactersWithLineNumber) {
    EXPECT_NE(parse_error("ok\nbad\x1b[31mred\n").find("l.txt:2: control character U+001B (escape) at byte 4"), std::string::npos)
        << parse_error("ok\nbad\x1b[31mred\n");
    EXPECT_NE(parse_error(std::string("a\nb\nn\0ul\n", 9)).find("l.txt:3: control character U+0000 (NUL)"), std::string::npos);
    EXPECT_NE(parse_error("x\ry\n").find("l.txt:1: control character U+000D (carriage return)"), std::string::npos);
    EXPECT_NE(parse_error("a\tb\n").find("l.txt:1: control character U+0009 (tab)"), std::string::npos);
    EXPECT_NE(parse_error("del\x7f\n").find("U+007F (delete)"), std::string::npos);
    EXPECT_NE(parse_error("c1 \xC2\x9B" "31m\n").find("l.txt:1: control character U+009B"), std::string::npos);  // C1 CSI
    EXPECT_NE(parse_error("evil\xE2\x80\xAEtxt.exe\n").find("bidirectional control U+202E"), std::string::npos);
    EXPECT_NE(parse_error("iso\xE2\x81\xA6x\n").find("bidirectional control U+2066"), std::string::npos);
}

TEST(Labels, AcceptsUtf8Names) {
    const Names names = parse_labels("caf\xC3\xA9\n\xE7\x8C\xAB\n\xF0\x9F\x90\x95\n", 3, "l.txt");  // café, 猫, 🐕
    EXPECT_EQ(names[0], "caf\xC3\xA9");
    EXPECT_EQ(names[2], "\xF0\x9F\x90\x95");
}

TEST(Labels, RefusesInvalidUtf8WithLineNumber) {
    for (const std::string bad : {"\xC3", "\xC3(", "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xFF", "\x80", "\xF0\x9F\x90"}) {
        const std::string msg = parse_error("fine\nx" + bad + "y\n");
        EXPECT_NE(msg.find("l.txt:2: invalid UTF-8 at byte 2"), std::string::npos) << msg;
    }
}

TEST(Labels, LineLengthAndLineCountLimits) {
    EXPECT_EQ(parse_labels(std::string(max_label_bytes, 'a') + "\n", 1, "l.txt")[0].size(), max_label_bytes);
    const std::string msg = parse_error("a\n" + std::string(max_label_bytes + 1, 'b') + "\n");
    EXPECT_NE(msg.find("l.txt:2: a name of 4097 bytes, more than 4096"), std::string::npos) << msg;
    EXPECT_EQ(parse_labels(std::string(max_labels, '\n'), 0, "l.txt").size(), 0u);
    const std::string many = parse_error(std::string(max_labels + 1, '\n'));
    EXPECT_NE(many.find("l.txt: more than 1048576 lines"), std::string::npos) << many;
}

TEST(Labels, ReadLabelsNamesTheFile) {
    TempDir dir;
    const std::string path = dir.file("classes.txt");
    write_text(path, "zero\r\none\r\ntwo\r\n\r\n");
    EXPECT_EQ(read_labels(path, 3), (Names{"zero", "one", "two"}));
    std::string msg = message_of([&] { read_labels(path, 5); });
    EXPECT_NE(msg.find("read_labels: " + path + ": 3 names for the model's 5 classes"), std::string::npos) << msg;
    msg = message_of([&] { read_labels(dir.file("none.txt"), 1); });
    EXPECT_NE(msg.find("none.txt: cannot read the file: No such file"), std::string::npos) << msg;
    write_text(path, "a\nb\x01\n");
    msg = message_of([&] { read_labels(path, 0); });
    EXPECT_NE(msg.find("read_labels: " + path + ":2: control character U+0001"), std::string::npos) << msg;
}

TEST(Labels, ReadLabelsRefusesLargeFilesBeforeReading) {
    TempDir dir;
    const std::string path = dir.file("huge.txt");
    {
        std::ofstream out(path, std::ios::binary);
        out.seekp(static_cast<std::streamoff>(max_labels_file_bytes));  // sparse: 64 MiB + 1 byte, nothing to read
        out.put('\n');
    }
    const std::string msg = message_of([&] { read_labels(path, 0); });
    EXPECT_NE(msg.find("larger than 64 MiB"), std::string::npos) << msg;
    EXPECT_NE(message_of([&] { read_labels(dir.file(""), 0); }).find("it is a directory"), std::string::npos);
}
