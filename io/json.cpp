#include <xvis/io/detail/json.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <system_error>

namespace xvis::detail {

namespace {

void append_u16(std::string& out, unsigned unit) {
    static const char hex[] = "0123456789abcdef";
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out += hex[(unit >> shift) & 0xF];
}

void append_code_point(std::string& out, std::uint32_t cp) {
    if (cp < 0x10000) return append_u16(out, cp);
    cp -= 0x10000;
    append_u16(out, 0xD800 + (cp >> 10));
    append_u16(out, 0xDC00 + (cp & 0x3FF));
}

// The code point of the UTF-8 sequence at text[i], and its length in `length`; an invalid sequence yields
// U+FFFD with length 1 (only its first byte is consumed, so the next valid sequence is kept).
std::uint32_t decode_utf8(std::string_view text, std::size_t i, std::size_t& length) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char b0 = byte(i);
    length = 1;
    std::size_t n = 0;
    std::uint32_t cp = 0, min = 0;
    if (b0 >= 0xC2 && b0 <= 0xDF) n = 2, cp = b0 & 0x1F, min = 0x80;
    else if (b0 >= 0xE0 && b0 <= 0xEF) n = 3, cp = b0 & 0x0F, min = 0x800;
    else if (b0 >= 0xF0 && b0 <= 0xF4) n = 4, cp = b0 & 0x07, min = 0x10000;
    else return 0xFFFD;  // a continuation byte, 0xC0 / 0xC1 (always overlong) or 0xF5..0xFF
    if (i + n > text.size()) return 0xFFFD;
    for (std::size_t k = 1; k < n; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80) return 0xFFFD;
        cp = (cp << 6) | (byte(i + k) & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0xFFFD;
    length = n;
    return cp;
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
    out += '"';
    for (std::size_t i = 0; i < text.size();) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {
            std::size_t length = 1;
            append_code_point(out, decode_utf8(text, i, length));
            i += length;
            continue;
        }
        ++i;
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '<': case '>': case '&': case '\'': append_u16(out, c); break;
            default:
                if (c < 0x20 || c == 0x7F) append_u16(out, c);
                else out += static_cast<char>(c);
        }
    }
    out += '"';
}

std::string json_string(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    append_json_string(out, text);
    return out;
}

void append_json_number(std::string& out, double value) {
    if (std::isnan(value)) { out += "\"NaN\""; return; }
    if (std::isinf(value)) { out += value > 0 ? "\"Infinity\"" : "\"-Infinity\""; return; }
    char buffer[32];
    const auto r = std::to_chars(buffer, buffer + sizeof buffer, value);
    if (r.ec != std::errc()) throw std::logic_error("append_json_number: to_chars failed");  // 32 bytes always suffice
    out.append(buffer, r.ptr);
}

}  // namespace xvis::detail
