#include <xvis/image/file_name.hpp>

#include <cstdint>
#include <cstdio>
#include <stdexcept>

namespace xvis {

namespace {

bool kept(unsigned char c) {
    // Not std::isalnum: its answer depends on the locale, and a file name should not.
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

std::uint32_t fnv1a(std::string_view s) {
    std::uint32_t h = 2166136261u;
    for (unsigned char c : s) h = (h ^ c) * 16777619u;
    return h;
}

}  // namespace

std::string safe_file_name(std::string_view text, std::size_t max_length) {
    if (max_length < 16) throw std::invalid_argument("safe_file_name: max_length " + std::to_string(max_length) + " is below 16");
    std::string out;
    for (unsigned char c : text) {
        const char k = kept(c) ? static_cast<char>(c) : '_';
        if ((k == '_' || k == '.') && !out.empty() && out.back() == k) continue;
        out += k;
    }
    const std::size_t first = out.find_first_not_of("._-");
    out.erase(0, first == std::string::npos ? out.size() : first);
    while (!out.empty() && (out.back() == '.' || out.back() == '_')) out.pop_back();
    if (out.empty()) return "unnamed";
    if (out.size() > max_length) {
        char tag[16];
        std::snprintf(tag, sizeof tag, "-%08x", static_cast<unsigned>(fnv1a(text)));
        out.resize(max_length - 9);
        out += tag;
    }
    return out;
}

std::string file_in_folder(const std::string& folder, std::string_view stem, std::string_view extension) {
    return folder + "/" + safe_file_name(stem) + std::string(extension);
}

}  // namespace xvis
