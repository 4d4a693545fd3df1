#include <xvis/io/labels.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

#include <sys/stat.h>

namespace xvis {

namespace {

std::string hex_code(std::uint32_t c) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(c));
    return buf;
}

std::string describe(std::uint32_t c) {
    const char* name = c == 0 ? "NUL" : c == 9 ? "tab" : c == 13 ? "carriage return" : c == 27 ? "escape" : c == 127 ? "delete" : nullptr;
    return hex_code(c) + (name ? std::string(" (") + name + ")" : "");
}

// Length of the UTF-8 sequence at s[i] (RFC 3629: no overlongs, no surrogates, at most U+10FFFF) and its code
// point, or 0 when it is invalid.
std::size_t utf8_at(std::string_view s, std::size_t i, std::uint32_t& cp) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const std::size_t rest = s.size() - i;
    const unsigned char c = b(0);
    if (c < 0x80) return cp = c, 1;
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c == 0xE0) n = 3, lo = 0xA0;
    else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) n = 3;
    else if (c == 0xED) n = 3, hi = 0x9F;
    else if (c == 0xF0) n = 4, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) n = 4;
    else if (c == 0xF4) n = 4, hi = 0x8F;
    else return 0;
    if (rest < n || b(1) < lo || b(1) > hi) return 0;
    for (std::size_t k = 2; k < n; ++k)
        if (b(k) < 0x80 || b(k) > 0xBF) return 0;
    cp = c & (0xFF >> (n + 1));
    for (std::size_t k = 1; k < n; ++k) cp = cp << 6 | (b(k) & 0x3F);
    return n;
}

bool harmful(std::uint32_t c) {
    return c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

// "" or what is wrong with one (trimmed) name.
std::string check_name(std::string_view name) {
    if (name.size() > max_label_bytes)
        return "a name of " + std::to_string(name.size()) + " bytes, more than " + std::to_string(max_label_bytes);
    for (std::size_t i = 0; i < name.size();) {
        std::uint32_t cp = 0;
        const std::size_t n = utf8_at(name, i, cp);
        if (n == 0) return "invalid UTF-8 at byte " + std::to_string(i + 1) + " of the name";
        if (harmful(cp))
            return (cp >= 0x202A ? "bidirectional control " : "control character ") + describe(cp) + " at byte " + std::to_string(i + 1) +
                   " of the name";
        i += n;
    }
    return {};
}

std::vector<std::string> parse(std::string_view text, std::size_t classes, const std::string& where) {
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    std::vector<std::string> names;
    std::size_t line = 0;
    while (!text.empty()) {
        const std::size_t end = text.find('\n');
        std::string_view name = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        ++line;
        while (!name.empty() && (name.back() == '\r' || name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
        if (line > max_labels) throw std::runtime_error(where + ": more than " + std::to_string(max_labels) + " lines");
        const std::string error = check_name(name);
        if (!error.empty()) throw std::runtime_error(where + ":" + std::to_string(line) + ": " + error);
        names.emplace_back(name);
    }
    while (!names.empty() && names.back().empty()) names.pop_back();
    if (names.size() < classes)
        throw std::runtime_error(where + ": " + std::to_string(names.size()) + " names for the model's " + std::to_string(classes) +
                                 " classes (one class name per line)");
    return names;
}

struct FileCloser {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};

}  // namespace

std::vector<std::string> parse_labels(std::string_view text, std::size_t classes, const std::string& source) {
    return parse(text, classes, "parse_labels: " + source);
}

std::vector<std::string> read_labels(const std::string& path, std::size_t classes) {
    const std::string where = "read_labels: " + path;
    std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
    if (!file) throw std::runtime_error(where + ": cannot read the file: " + std::strerror(errno));
    struct stat st {};
    if (::fstat(::fileno(file.get()), &st) != 0) throw std::runtime_error(where + ": cannot read the file: " + std::strerror(errno));
    if (S_ISDIR(st.st_mode)) throw std::runtime_error(where + ": cannot read the file: it is a directory");
    const auto too_large = [&] {
        return std::runtime_error(where + ": larger than " + std::to_string(max_labels_file_bytes >> 20) + " MiB (max_labels_file_bytes)");
    };
    if (S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) > max_labels_file_bytes) throw too_large();
    std::string text;
    char chunk[1 << 16];
    for (std::size_t got; (got = std::fread(chunk, 1, sizeof chunk, file.get())) > 0;) {
        if (got > max_labels_file_bytes - text.size()) throw too_large();  // pipes and devices: bounded while reading
        text.append(chunk, got);
    }
    if (std::ferror(file.get())) throw std::runtime_error(where + ": cannot read the file: " + std::strerror(errno));
    return parse(text, classes, where);
}

}  // namespace xvis
