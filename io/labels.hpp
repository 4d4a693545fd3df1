#pragma once
// Class-name files: one name per line, line k + 1 names class k (e.g. ImageNet's 1000 names for a classifier's
// output). They come from anywhere and their names end up in terminal output, HTML reports and file names, so
// the reader bounds the file and refuses bytes that could do harm there (docs/security.md).
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace xvis {

// Fixed limits (a real list is a few KB: ImageNet-21k's 21843 names are under 1 MiB).
inline constexpr std::size_t max_labels_file_bytes = std::size_t(64) << 20;  // 64 MiB, checked before reading
inline constexpr std::size_t max_label_bytes = 4096;                         // one name, in UTF-8 bytes
inline constexpr std::size_t max_labels = std::size_t(1) << 20;              // lines

// The names in `text`: split at '\n'; a UTF-8 byte order mark at the start, and each line's trailing '\r',
// spaces and tabs are dropped; then trailing empty lines. Interior empty lines stay (a class without a name).
// Refused with std::runtime_error "parse_labels: <source>:<line>: ..." (line numbers from 1): a name longer than
// max_label_bytes, a control character (U+0000..U+001F including tab inside a name, U+007F, U+0080..U+009F),
// a bidirectional override or isolate (U+202A..U+202E, U+2066..U+2069: they reorder what a terminal or browser
// shows), invalid UTF-8 (overlong, surrogate, above U+10FFFF, truncated); more than max_labels lines. Fewer
// names than `classes` → "parse_labels: <source>: N names for the model's K classes"; more is allowed (the
// caller may warn); classes = 0 checks no count.
std::vector<std::string> parse_labels(std::string_view text, std::size_t classes, const std::string& source);

// parse_labels on the file at `path` (source = path, messages start "read_labels: "). A file that cannot be
// read, or larger than max_labels_file_bytes (checked before reading), → std::runtime_error naming it.
std::vector<std::string> read_labels(const std::string& path, std::size_t classes);

}  // namespace xvis
