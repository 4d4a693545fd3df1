// Image bytes → decode_image (PNG and JPEG; everything else refused by its magic bytes). Expected: an
// [H, W, C] tensor with C in 1..4, H·W·C within the limit and every value in [0, 255], or a
// std::runtime_error "decode_image: 'fuzz' ...". Anything else (another exception type, a crash, a sanitizer
// report, a leak, a hang, an allocation past -rss_limit_mb / -malloc_limit_mb) is a finding.
// The limit is smaller than the default so that one input decodes in milliseconds; the checks it guards are
// the same code.
#include <xvis/image/png.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>

namespace {

[[noreturn]] void unexpected(const char* what, const std::string& detail) {
    std::fprintf(stderr, "fuzz_image: unexpected %s: %s\n", what, detail.c_str());
    std::abort();
}

void check(const xvis::Tensor& t, std::size_t max_values) {
    const xvis::Shape& s = t.shape();
    if (s.size() != 3 || s[0] == 0 || s[1] == 0 || s[2] < 1 || s[2] > 4) unexpected("shape", xvis::shape_to_string(s));
    if (t.size() > max_values) unexpected("size", xvis::shape_to_string(s));
    for (std::size_t i = 0; i < t.size(); ++i)
        if (!(t[i] >= 0.0f && t[i] <= 255.0f)) unexpected("value", std::to_string(t[i]) + " at " + std::to_string(i));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    xvis::ImageLimits limits;
    limits.max_values = std::size_t(1) << 22;
    try {
        check(xvis::decode_image(data, size, "fuzz", limits), limits.max_values);
    } catch (const std::runtime_error& e) {
        if (std::strncmp(e.what(), "decode_image: 'fuzz'", 20) != 0) unexpected("message", e.what());
    } catch (const std::exception& e) {
        unexpected("exception", e.what());
    }
    return 0;
}
