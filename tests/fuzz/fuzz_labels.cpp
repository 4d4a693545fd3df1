// Label-file bytes → parse_labels, with class counts derived from the input (0, the first byte, and the number of
// lines, so both the "enough names" and the "too few names" paths run). Expected: names that are each at most
// max_label_bytes of valid UTF-8 without control characters, at least `classes` of them, none after the last
// non-empty one empty; or a std::runtime_error "parse_labels: fuzz...". Anything else is a finding.
#include <xvis/io/labels.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>

namespace {

[[noreturn]] void unexpected(const char* what, const std::string& detail) {
    std::fprintf(stderr, "fuzz_labels: unexpected %s: %s\n", what, detail.c_str());
    std::abort();
}

void parse(std::string_view text, std::size_t classes) {
    try {
        const auto names = xvis::parse_labels(text, classes, "fuzz");
        if (names.size() < classes) unexpected("count", std::to_string(names.size()) + " < " + std::to_string(classes));
        if (!names.empty() && names.back().empty()) unexpected("result", "a trailing empty name");
        for (const std::string& n : names) {
            if (n.size() > xvis::max_label_bytes) unexpected("result", "a name of " + std::to_string(n.size()) + " bytes");
            for (unsigned char c : n)
                if (c < 0x20 || c == 0x7f) unexpected("result", "a control byte " + std::to_string(c));
            if (!n.empty() && (n.back() == ' ' || n.back() == '\r')) unexpected("result", "an untrimmed name");
        }
    } catch (const std::runtime_error& e) {
        if (std::strncmp(e.what(), "parse_labels: fuzz", 18) != 0) unexpected("message", e.what());
    } catch (const std::exception& e) {
        unexpected("exception", e.what());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::size_t lines = 0;
    for (char c : text) lines += c == '\n';
    parse(text, 0);
    parse(text, size > 0 ? data[0] : 1);
    parse(text, lines);
    parse(text, lines + 1);
    return 0;
}
