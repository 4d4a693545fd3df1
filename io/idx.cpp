#include <xvis/io/idx.hpp>

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

#include <sys/stat.h>

namespace xvis {

namespace {

constexpr std::uint8_t type_ubyte = 0x08;
// A header may claim any size; reading grows the buffer chunk by chunk so a corrupt header cannot make us
// allocate gigabytes before we find out the file is short.
constexpr std::size_t chunk = std::size_t(1) << 20;
// No IDX dataset comes near 1 TiB (MNIST's images are 47 MB); larger declared sizes are corrupt headers.
constexpr std::size_t max_idx_bytes = std::size_t(1) << 40;

struct GzCloser {
    void operator()(gzFile_s* f) const noexcept { gzclose(f); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
    throw std::runtime_error("read_idx: '" + path + "': " + what);
}

// Reads up to n bytes; returns how many were read (short only at end of file). gzread takes an unsigned
// length, hence the loop in pieces of at most INT_MAX.
std::size_t read_some(gzFile f, void* out, std::size_t n, const std::string& path) {
    auto* p = static_cast<unsigned char*>(out);
    std::size_t done = 0;
    while (done < n) {
        const unsigned piece = static_cast<unsigned>(std::min<std::size_t>(n - done, INT_MAX));
        const int got = gzread(f, p + done, piece);
        if (got < 0) {
            int err = 0;
            const char* msg = gzerror(f, &err);
            fail(path, std::string("gzip stream error (") + (msg ? msg : "unknown") + ")");
        }
        if (got == 0) {
            // A gzip stream cut short reports Z_BUF_ERROR ("unexpected end of file") only through gzerror.
            int err = 0;
            const char* msg = gzerror(f, &err);
            if (err != Z_OK && err != Z_STREAM_END)
                fail(path, "truncated or corrupt gzip stream (" + std::string(msg ? msg : "unknown") + ") after " +
                               std::to_string(done) + " of " + std::to_string(n) + " requested bytes");
            break;
        }
        done += static_cast<std::size_t>(got);
    }
    return done;
}

}  // namespace

std::size_t IdxArray::item_size() const {
    std::size_t s = 1;
    for (std::size_t i = 1; i < dims.size(); ++i) s *= dims[i];
    return s;
}

IdxArray read_idx(const std::string& path, std::size_t max_items, std::size_t* header_count) {
    GzFile f(gzopen(path.c_str(), "rb"));
    if (!f) fail(path, std::string("cannot open: ") + std::strerror(errno));
    gzbuffer(f.get(), 1 << 17);

    unsigned char magic[4];
    const std::size_t got_magic = read_some(f.get(), magic, 4, path);
    if (got_magic < 4) fail(path, "truncated: " + std::to_string(got_magic) + " bytes, shorter than the 4-byte IDX magic");
    if (magic[0] != 0 || magic[1] != 0) {
        char hex[32];
        std::snprintf(hex, sizeof hex, "%02x %02x %02x %02x", magic[0], magic[1], magic[2], magic[3]);
        fail(path, std::string("bad magic ") + hex + " (expected 00 00 08 <ndim>): not an IDX file");
    }
    if (magic[2] != type_ubyte) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", magic[2]);
        fail(path, std::string("unsupported IDX data type ") + hex + " (only 0x08, unsigned byte, is supported)");
    }
    const std::size_t ndim = magic[3];
    if (ndim == 0) fail(path, "bad magic: 0 dimensions");

    IdxArray a;
    for (std::size_t i = 0; i < ndim; ++i) {
        unsigned char b[4];
        if (read_some(f.get(), b, 4, path) < 4)
            fail(path, "truncated header: dimension " + std::to_string(i) + " of " + std::to_string(ndim) + " is missing");
        a.dims.push_back((std::size_t(b[0]) << 24) | (std::size_t(b[1]) << 16) | (std::size_t(b[2]) << 8) | b[3]);
    }
    const auto dims_text = [&] {
        std::string s;
        for (std::size_t i = 0; i < a.dims.size(); ++i) s += (i ? "x" : "") + std::to_string(a.dims[i]);
        return s;
    };
    // The declared byte count, overflow-checked (255 dims of up to 2^32 each can wrap any integer). Empty axes
    // count as 1 in the check: item_size() of dims 0x2^32x2^32 would wrap too.
    std::size_t total = 1, bound = 1;
    bool overflow = false;
    for (auto d : a.dims) {
        overflow = overflow || __builtin_mul_overflow(bound, std::max<std::size_t>(d, 1), &bound);
        total *= d;  // <= bound: cannot overflow when bound did not
    }
    if (overflow || bound > max_idx_bytes)
        fail(path, "the header declares dims " + dims_text() + (overflow ? ", whose byte count overflows 64 bits" : ", " + std::to_string(bound) + " bytes" + (total != bound ? " with empty axes counted as 1" : "")) +
                       " (more than the " + std::to_string(max_idx_bytes) + " bytes read_idx accepts: corrupt header?)");
    if (header_count) *header_count = a.dims[0];
    const std::size_t item = a.item_size();
    const std::size_t items = max_items > 0 ? std::min(a.dims[0], max_items) : a.dims[0];
    const std::size_t want = items * item;
    // A plain file's size is known: a header claiming more than the file holds fails before anything is
    // allocated. A gzip stream's size is not (its trailer stores it mod 2^32); there the chunked reading below
    // bounds memory by what the stream really decompresses to.
    struct stat st {};
    if (gzdirect(f.get()) && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
        const std::size_t header = 4 + 4 * ndim, size = static_cast<std::size_t>(st.st_size);
        const std::size_t present = size > header ? size - header : 0;
        if (present < want)
            fail(path, "truncated: the header declares " + std::to_string(total) + " data bytes (dims " + dims_text() + ") but the file holds " +
                           std::to_string(present) + " after the " + std::to_string(header) + "-byte header");
    }

    std::size_t have = 0;
    while (have < want) {
        const std::size_t n = std::min(chunk, want - have);
        a.data.resize(have + n);
        const std::size_t got = read_some(f.get(), a.data.data() + have, n, path);
        have += got;
        if (got < n)
            fail(path, "truncated: the header declares " + std::to_string(total) + " data bytes (dims " + dims_text() +
                           ") but the file ends after " + std::to_string(have));
    }
    if (items == a.dims[0]) {
        unsigned char extra;
        if (read_some(f.get(), &extra, 1, path) == 1)
            fail(path, "trailing bytes after the " + std::to_string(total) + " data bytes the header declares (dims mismatch?)");
    }
    a.dims[0] = items;
    return a;
}

void write_idx(const std::string& path, const IdxArray& a, bool gzip) {
    if (a.dims.empty() || a.dims.size() > 255) throw std::invalid_argument("write_idx: '" + path + "': needs 1 to 255 dims");
    std::size_t total = 1;
    for (auto d : a.dims) {
        if (d > 0xffffffffu) throw std::invalid_argument("write_idx: '" + path + "': dimension " + std::to_string(d) + " exceeds uint32");
        total *= d;
    }
    if (total != a.data.size())
        throw std::invalid_argument("write_idx: '" + path + "': dims hold " + std::to_string(total) + " bytes, data has " +
                                    std::to_string(a.data.size()));
    std::vector<unsigned char> bytes{0, 0, type_ubyte, static_cast<unsigned char>(a.dims.size())};
    for (auto d : a.dims)
        for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<unsigned char>((d >> shift) & 0xff));
    bytes.insert(bytes.end(), a.data.begin(), a.data.end());

    // "wb" compresses; "wbT" writes plain bytes through the same code path.
    GzFile f(gzopen(path.c_str(), gzip ? "wb" : "wbT"));
    if (!f) throw std::runtime_error("write_idx: cannot create '" + path + "': " + std::strerror(errno));
    std::size_t done = 0;
    while (done < bytes.size()) {
        const unsigned piece = static_cast<unsigned>(std::min<std::size_t>(bytes.size() - done, INT_MAX));
        const int put = gzwrite(f.get(), bytes.data() + done, piece);
        if (put <= 0) throw std::runtime_error("write_idx: cannot write '" + path + "'");
        done += static_cast<std::size_t>(put);
    }
    if (gzclose(f.release()) != Z_OK) throw std::runtime_error("write_idx: cannot close '" + path + "'");
}

}  // namespace xvis
