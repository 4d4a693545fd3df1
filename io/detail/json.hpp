#pragma once
// JSON text for data that ends up inside an HTML page (the gallery's data file, io/gallery.hpp). Strings come
// from strangers (label files, layer names, error messages), so the output is safe to embed in a <script>:
// pure ASCII, with no '<', '>' or '&' (a "</script>" or "<!--" in a class name cannot end or change the script)
// and no raw U+2028 / U+2029 (line terminators in old JavaScript, not in JSON).
#include <string>
#include <string_view>

namespace xvis::detail {

// Appends `text` as a quoted JSON string: '"' and '\\' as \" and \\, \n \r \t \b \f by name, other control
// bytes and '<', '>', '&', '\'' and every non-ASCII code point as \uXXXX (code points above U+FFFF as a
// UTF-16 surrogate pair). Each byte that is not part of a valid UTF-8 sequence (overlong forms, surrogates,
// code points above U+10FFFF, each byte of a cut sequence) becomes U+FFFD: the output is always valid.
void append_json_string(std::string& out, std::string_view text);
std::string json_string(std::string_view text);

// Appends the shortest decimal that reads back as exactly `value` (std::to_chars), e.g. 0.1 → "0.1", 1e+300.
// JSON has no NaN or infinity: those are written as the strings "NaN", "Infinity" and "-Infinity", which
// JavaScript's Number() turns back into the values.
void append_json_number(std::string& out, double value);

}  // namespace xvis::detail
