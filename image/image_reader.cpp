// read_image / decode_image: PNG and JPEG only, sized from the header and bounded before stb_image decodes.
#include <xvis/image/detail/image_structure.hpp>
#include <xvis/image/png.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>

#include <sys/stat.h>

namespace xvis {
namespace {

// stb_image allocates through these hooks: while a decode runs, its live bytes are counted against a budget
// derived from the header (decode_image sets it), so a stream that inflates beyond what the header justifies
// (a PNG "zip bomb": stb grows its zlib buffer by doubling, up to 4 GiB) fails instead of allocating.
struct Budget {
    std::size_t live = 0, limit = 0;
    bool exceeded = false;
};
thread_local Budget* budget = nullptr;
constexpr std::size_t header_bytes = 16;  // keeps malloc's 16-byte alignment

void* budget_malloc(std::size_t n) {
    Budget* b = budget;
    if (b && n > b->limit - b->live) return b->exceeded = true, nullptr;
    if (n > std::numeric_limits<std::size_t>::max() - header_bytes) return nullptr;
    auto* p = static_cast<unsigned char*>(std::malloc(n + header_bytes));
    if (!p) return nullptr;
    std::memcpy(p, &n, sizeof n);
    if (b) b->live += n;
    return p + header_bytes;
}

void budget_free(void* q) {
    if (!q) return;
    unsigned char* p = static_cast<unsigned char*>(q) - header_bytes;
    std::size_t n = 0;
    std::memcpy(&n, p, sizeof n);
    if (budget) budget->live -= std::min(n, budget->live);
    std::free(p);
}

void* budget_realloc(void* q, std::size_t n) {
    if (!q) return budget_malloc(n);
    unsigned char* p = static_cast<unsigned char*>(q) - header_bytes;
    std::size_t old = 0;
    std::memcpy(&old, p, sizeof old);
    Budget* b = budget;
    if (b && n > old && n - old > b->limit - b->live) return b->exceeded = true, nullptr;
    if (n > std::numeric_limits<std::size_t>::max() - header_bytes) return nullptr;
    auto* r = static_cast<unsigned char*>(std::realloc(p, n + header_bytes));
    if (!r) return nullptr;
    std::memcpy(r, &n, sizeof n);
    if (b) b->live = b->live - std::min(old, b->live) + n;
    return r + header_bytes;
}

}  // namespace
}  // namespace xvis

// The stb_image implementation lives here and nowhere else in xvis: PNG and JPEG decoders only (the others are
// not compiled), memory only (read_image reads the file itself), STATIC so a program that also compiles stb
// keeps its own copy. 65536 per side: JPEG's own maximum is 65535; PNG allows 2^31.
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_MAX_DIMENSIONS (1 << 16)
#define STBI_MALLOC(n) ::xvis::budget_malloc(n)
#define STBI_REALLOC(p, n) ::xvis::budget_realloc(p, n)
#define STBI_FREE(p) ::xvis::budget_free(p)
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#include <xvis/image/detail/stb_warnings_off.hpp>
#include <stb/stb_image.h>
#include <xvis/image/detail/stb_warnings_on.hpp>

namespace xvis {
namespace {

struct StbFree {
    void operator()(void* p) const noexcept { stbi_image_free(p); }
};

// Sets the thread's budget for one decode; everything stb allocated is freed before it ends.
class BudgetScope {
public:
    explicit BudgetScope(std::size_t limit) : saved_(budget) {
        b_.limit = limit;
        budget = &b_;
    }
    ~BudgetScope() { budget = saved_; }
    BudgetScope(const BudgetScope&) = delete;
    BudgetScope& operator=(const BudgetScope&) = delete;
    bool exceeded() const { return b_.exceeded; }

private:
    Budget b_;
    Budget* saved_;
};

// stb's reason for the last failure; some paths leave none, or an empty one (an unknown chunk type of zeros).
std::string stb_reason() {
    const char* r = stbi_failure_reason();
    if (r && std::strcmp(r, "too large") == 0) return "a side longer than 65536 pixels, the most xvis reads";
    return r && *r ? r : "no reason given";
}

bool starts_with(const std::uint8_t* d, std::size_t n, const char* magic, std::size_t m, std::size_t at = 0) {
    return n >= at + m && std::memcmp(d + at, magic, m) == 0;
}

// The format named by the first bytes: "PNG" and "JPEG" are decoded; the others are named in the refusal.
std::string format_of(const std::uint8_t* d, std::size_t n) {
    if (starts_with(d, n, "\x89PNG\r\n\x1a\n", 8)) return "PNG";
    if (starts_with(d, n, "\xff\xd8\xff", 3)) return "JPEG";
    if (starts_with(d, n, "BM", 2)) return "BMP";
    if (starts_with(d, n, "GIF87a", 6) || starts_with(d, n, "GIF89a", 6)) return "GIF";
    if (starts_with(d, n, "II*\0", 4) || starts_with(d, n, "MM\0*", 4)) return "TIFF";
    if (starts_with(d, n, "RIFF", 4) && starts_with(d, n, "WEBP", 4, 8)) return "WebP";
    if (starts_with(d, n, "8BPS", 4)) return "PSD";
    if (starts_with(d, n, "#?RADIANCE", 10) || starts_with(d, n, "#?RGBE", 6)) return "Radiance HDR";
    if (starts_with(d, n, "qoif", 4)) return "QOI";
    if (starts_with(d, n, "\0\0\1\0", 4)) return "ICO";
    if (starts_with(d, n, "ftypavif", 8, 4) || starts_with(d, n, "ftypheic", 8, 4)) return "AVIF/HEIF";
    if (starts_with(d, n, "\0\0\0\x0cjP  ", 8) || starts_with(d, n, "\xff\x4f\xff\x51", 4)) return "JPEG 2000";
    if (n >= 3 && d[0] == 'P' && d[1] >= '1' && d[1] <= '7' && (d[2] == '\n' || d[2] == ' ' || d[2] == '\r' || d[2] == '\t'))
        return "PNM";
    if (starts_with(d, n, "%PDF", 4)) return "PDF";
    if (starts_with(d, n, "<svg", 4) || starts_with(d, n, "<?xml", 5)) return "SVG/XML";
    return {};
}


// The least number of bytes a complete file of this header needs, or 0 when the header is not understood (stb
// then reports it). PNG: the filtered rows (one filter byte + ceil(W·samples·depth / 8) per row) come out of
// deflate, which cannot expand more than 1032:1. JPEG: every 8×8 block of the full-resolution component
// carries at least a 1-bit DC code, so a file holds at most 512 pixels per byte.
std::size_t least_bytes(const std::string& format, const std::uint8_t* d, std::size_t n, std::size_t w, std::size_t h) {
    if (format == "JPEG") return (w * h) / 512;
    if (n < 33 || !starts_with(d, n, "IHDR", 4, 12)) return 0;
    const std::size_t depth = d[24], color = d[25];
    const std::size_t samples = color == 0 ? 1 : color == 2 ? 3 : color == 3 ? 1 : color == 4 ? 2 : color == 6 ? 4 : 0;
    if (samples == 0 || depth == 0 || depth > 16) return 0;
    return h * (1 + (w * samples * depth + 7) / 8) / 1032;
}

std::string dims(std::size_t w, std::size_t h) { return std::to_string(w) + "x" + std::to_string(h); }

template <typename Sample>
Tensor to_tensor(const Sample* pixels, std::size_t h, std::size_t w, std::size_t c, double divisor) {
    Tensor out({h, w, c});
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(pixels[i] / divisor);
    return out;
}

// `what` prefixes every message: "read_image: 'x.png'" or "decode_image: 'name'".
Tensor decode(const std::uint8_t* data, std::size_t size, const std::string& what, const ImageLimits& limits) {
    const std::string format = format_of(data, size);
    if (format.empty()) throw std::runtime_error(what + " is not a PNG or JPEG file" + (size == 0 ? " (it is empty)" : ""));
    if (format != "PNG" && format != "JPEG") throw std::runtime_error(what + " is a " + format + " image; xvis reads PNG and JPEG");
    if (size > static_cast<std::size_t>(std::numeric_limits<int>::max()))  // stb takes an int length
        throw std::runtime_error(what + ": " + std::to_string(size) + " bytes, more than stb_image reads (2^31 - 1)");
    const int len = static_cast<int>(size);
    const std::string error = format == "JPEG" ? detail::jpeg_structure_error(data, size) : detail::png_structure_error(data, size);
    if (!error.empty()) throw std::runtime_error(what + ": corrupt " + format + " (" + error + ")");
    // The format's own header reader (stbi_info would try the other decoder too and overwrite the reason).
    int wi = 0, hi = 0, ci = 0;
    stbi__context context;
    stbi__start_mem(&context, data, len);
    if (!(format == "PNG" ? stbi__png_info(&context, &wi, &hi, &ci) : stbi__jpeg_info(&context, &wi, &hi, &ci)))
        throw std::runtime_error(what + ": corrupt " + format + " header (" + stb_reason() + ")");
    const std::size_t w = std::size_t(wi), h = std::size_t(hi), c = std::size_t(ci);
    // w, h ≤ 65536 (STBI_MAX_DIMENSIONS) and c ≤ 4: the products below cannot overflow.
    if (w * h * c > limits.max_values)
        throw std::runtime_error(what + " is " + dims(w, h) + " with " + std::to_string(c) + " channels: " + std::to_string(w * h * c) +
                                 " values, more than the limit of " + std::to_string(limits.max_values) + " (ImageLimits::max_values)");
    const std::size_t least = least_bytes(format, data, size, w, h);
    if (size < least)
        throw std::runtime_error(what + ": its " + format + " header declares " + dims(w, h) + " pixels, more than its " + std::to_string(size) +
                                 " bytes can encode (truncated or corrupt)");
    const bool sixteen = format == "PNG" && stbi_is_16_bit_from_memory(data, len) != 0;
    // stb's working memory for a header-sized image (padded to JPEG's 16-pixel MCUs, up to 4 channels, zlib's
    // doubling, coefficients of a progressive JPEG) stays well under this; more means a stream that does not
    // match its header.
    const std::size_t sample = sixteen ? 2 : 1;
    BudgetScope scope(2 * size + 32 * sample * (w + 16) * (h + 16) + (std::size_t(1) << 20));
    int wd = 0, hd = 0, cd = 0;
    std::unique_ptr<void, StbFree> pixels(sixteen ? static_cast<void*>(stbi_load_16_from_memory(data, len, &wd, &hd, &cd, 0))
                                                  : static_cast<void*>(stbi_load_from_memory(data, len, &wd, &hd, &cd, 0)));
    if (!pixels) {
        if (scope.exceeded())
            throw std::runtime_error(what + ": the " + format + " data needs more memory than its " + dims(w, h) +
                                     " header justifies (corrupt, or a decompression bomb)");
        throw std::runtime_error(what + ": corrupt or truncated " + format + " (" + stb_reason() + ")");
    }
    const std::size_t hh = std::size_t(hd), ww = std::size_t(wd), cc = std::size_t(cd);
    if (ww != w || hh != h || cc < 1 || cc > 4 || ww * hh * cc > limits.max_values)  // a palette may add alpha
        throw std::runtime_error(what + ": decoded " + dims(ww, hh) + "x" + std::to_string(cc) + " does not match its header " + dims(w, h) +
                                 " or exceeds the limit of " + std::to_string(limits.max_values) + " values");
    return sixteen ? to_tensor(static_cast<const stbi_us*>(pixels.get()), hh, ww, cc, 257.0)
                   : to_tensor(static_cast<const stbi_uc*>(pixels.get()), hh, ww, cc, 1.0);
}

struct FileCloser {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};

std::runtime_error read_error(const std::string& path, const std::string& reason) {
    return std::runtime_error("read_image: cannot read '" + path + "': " + reason);
}

}  // namespace

Tensor decode_image(const std::uint8_t* data, std::size_t size, const std::string& name, const ImageLimits& limits) {
    if (!data && size > 0) throw std::invalid_argument("decode_image: null data with size " + std::to_string(size));
    static const std::uint8_t none = 0;
    return decode(data ? data : &none, size, "decode_image: '" + name + "'", limits);
}

Tensor decode_image(const std::vector<std::uint8_t>& bytes, const std::string& name, const ImageLimits& limits) {
    return decode_image(bytes.data(), bytes.size(), name, limits);
}

Tensor read_image(const std::string& path, const ImageLimits& limits) {
    // Our own fopen gives the system's reason (ENOENT, EACCES...).
    std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
    if (!file) throw read_error(path, std::strerror(errno));
    struct stat st {};
    if (::fstat(::fileno(file.get()), &st) != 0) throw read_error(path, std::strerror(errno));
    if (S_ISDIR(st.st_mode)) throw read_error(path, "it is a directory");
    const auto too_large = [&] {
        return std::runtime_error("read_image: '" + path + "' is larger than the limit of " + std::to_string(limits.max_file_bytes) +
                                  " bytes (ImageLimits::max_file_bytes)");
    };
    // A regular file's size is known before reading; pipes and devices are read in chunks up to the limit.
    if (S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) > limits.max_file_bytes) throw too_large();
    std::vector<std::uint8_t> bytes;
    if (S_ISREG(st.st_mode)) bytes.reserve(static_cast<std::size_t>(st.st_size));
    std::uint8_t chunk[1 << 16];
    for (std::size_t got; (got = std::fread(chunk, 1, sizeof chunk, file.get())) > 0;) {
        if (got > limits.max_file_bytes - bytes.size()) throw too_large();
        bytes.insert(bytes.end(), chunk, chunk + got);
    }
    if (std::ferror(file.get())) throw read_error(path, std::strerror(errno));
    return decode(bytes.data(), bytes.size(), "read_image: '" + path + "'", limits);
}

}  // namespace xvis
