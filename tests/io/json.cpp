// io/detail/json.hpp: JSON strings safe inside a <script>, decoded back by a reference decoder.
#include <xvis/io/detail/json.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>

using xvis::detail::append_json_number;
using xvis::detail::json_string;

namespace {

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// A strict decoder of one JSON string literal (RFC 8259) back to UTF-8: the reference the escaper is checked
// against. Throws on anything RFC 8259 forbids (raw control bytes, unknown escapes, lone surrogates).
std::string decode_json_string(const std::string& json) {
    if (json.size() < 2 || json.front() != '"' || json.back() != '"') throw std::runtime_error("not a string: " + json);
    std::string out;
    const auto hex4 = [&](std::size_t at) {
        if (at + 4 > json.size() - 1) throw std::runtime_error("short \\u escape");
        return static_cast<std::uint32_t>(std::stoul(json.substr(at, 4), nullptr, 16));
    };
    for (std::size_t i = 1; i + 1 < json.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(json[i]);
        if (c < 0x20) throw std::runtime_error("raw control byte");
        if (c == '"') throw std::runtime_error("unescaped quote");
        if (c != '\\') {
            out += static_cast<char>(c);
            continue;
        }
        const char e = json.at(++i);
        switch (e) {
            case '"': case '\\': case '/': out += e; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'u': {
                std::uint32_t cp = hex4(i + 1);
                i += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (json.compare(i + 1, 2, "\\u") != 0) throw std::runtime_error("lone high surrogate");
                    const std::uint32_t low = hex4(i + 3);
                    if (low < 0xDC00 || low > 0xDFFF) throw std::runtime_error("bad low surrogate");
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    i += 6;
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    throw std::runtime_error("lone low surrogate");
                }
                append_utf8(out, cp);
                break;
            }
            default: throw std::runtime_error(std::string("unknown escape \\") + e);
        }
    }
    return out;
}

bool pure_ascii_without_markup(const std::string& s) {
    for (unsigned char c : s)
        if (c >= 0x80 || c < 0x20 || c == '<' || c == '>' || c == '&') return false;
    return true;
}

}  // namespace

TEST(JsonString, EscapesQuotesBackslashesAndControlBytes) {
    EXPECT_EQ(json_string(""), "\"\"");
    EXPECT_EQ(json_string("plain text 123"), "\"plain text 123\"");
    EXPECT_EQ(json_string("a\"b\\c"), R"("a\"b\\c")");
    EXPECT_EQ(json_string("\n\r\t\b\f"), R"("\n\r\t\b\f")");
    EXPECT_EQ(json_string(std::string("\x01\x1f\x7f", 3)), R"("\u0001\u001f\u007f")");
    EXPECT_EQ(json_string(std::string("a\0b", 3)), R"("a\u0000b")");
}

// What could end or change a <script>, or be read as a line terminator by old JavaScript, never appears raw.
TEST(JsonString, EscapesMarkupAndLineSeparators) {
    EXPECT_EQ(json_string("</script><!--"), R"("\u003c/script\u003e\u003c!--")");
    EXPECT_EQ(json_string("a&b'c"), R"("a\u0026b\u0027c")");
    EXPECT_EQ(json_string("\xE2\x80\xA8|\xE2\x80\xA9"), R"("\u2028|\u2029")");
}

TEST(JsonString, NonAsciiBecomesUtf16Escapes) {
    EXPECT_EQ(json_string("caf\xC3\xA9"), R"("caf\u00e9")");
    EXPECT_EQ(json_string("\xE2\x82\xAC"), R"("\u20ac")");                // €
    EXPECT_EQ(json_string("\xF0\x9F\x98\x80"), R"("\ud83d\ude00")");      // U+1F600: a surrogate pair
    EXPECT_EQ(json_string("\xF4\x8F\xBF\xBF"), R"("\udbff\udfff")");      // U+10FFFF, the last code point
}

// Bytes that are not UTF-8 each become U+FFFD; the valid text around them is kept.
TEST(JsonString, InvalidUtf8BecomesReplacementCharacters) {
    EXPECT_EQ(json_string("a\xFF" "b"), R"("a\ufffdb")");
    EXPECT_EQ(json_string("\x80"), R"("\ufffd")");                          // a lone continuation byte
    EXPECT_EQ(json_string("\xC0\xAF"), R"("\ufffd\ufffd")");                // overlong '/'
    EXPECT_EQ(json_string("\xE0\x80\xAF"), R"("\ufffd\ufffd\ufffd")");      // overlong, 3 bytes
    EXPECT_EQ(json_string("\xED\xA0\x80"), R"("\ufffd\ufffd\ufffd")");      // a UTF-16 surrogate in UTF-8
    EXPECT_EQ(json_string("\xF4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");  // above U+10FFFF
    EXPECT_EQ(json_string("\xE2\x82"), R"("\ufffd\ufffd")");                // cut short at the end
    EXPECT_EQ(json_string("\xE2\x82x"), R"("\ufffd\ufffdx")");              // cut short by an ASCII byte
}

// Every valid string, hostile ones included, decodes back to itself, and the JSON is plain ASCII.
TEST(JsonString, RoundTripsThroughAStrictDecoder) {
    std::string all_ascii;
    for (int c = 0; c < 128; ++c) all_ascii += static_cast<char>(c);
    const std::string cases[] = {
        all_ascii,
        "</script><script>document.body.dataset.pwned=1</script>",
        "<img src=x onerror=\"document.body.dataset.pwned=1\">",
        "/layer4/Relu_output_0",
        "T-shirt/top \xE2\x80\xA8 line\xE2\x80\xA9sep \xF0\x9F\x91\x95 \xE4\xB8\xAD\xE6\x96\x87",
        "\\u003c is not an escape here \\",
    };
    for (const std::string& s : cases) {
        const std::string j = json_string(s);
        EXPECT_TRUE(pure_ascii_without_markup(j)) << j;
        EXPECT_EQ(decode_json_string(j), s) << j;
    }
}

TEST(JsonNumber, ShortestRoundTripAndNonFiniteAsStrings) {
    const auto number = [](double v) {
        std::string s;
        append_json_number(s, v);
        return s;
    };
    EXPECT_EQ(number(0), "0");
    EXPECT_EQ(number(0.1), "0.1");
    EXPECT_EQ(number(-2.5), "-2.5");
    EXPECT_EQ(number(1e300), "1e+300");
    EXPECT_EQ(std::strtod(number(1.0 / 3).c_str(), nullptr), 1.0 / 3);
    EXPECT_EQ(std::strtod(number(std::numeric_limits<double>::denorm_min()).c_str(), nullptr), std::numeric_limits<double>::denorm_min());
    EXPECT_EQ(number(std::nan("")), "\"NaN\"");
    EXPECT_EQ(number(std::numeric_limits<double>::infinity()), "\"Infinity\"");
    EXPECT_EQ(number(-std::numeric_limits<double>::infinity()), "\"-Infinity\"");
}
