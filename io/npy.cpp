#include <xvis/image/atomic_file.hpp>
#include <xvis/io/npy.hpp>

#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <stdexcept>

namespace xvis {

namespace {

constexpr char magic[] = "\x93NUMPY";  // 6 bytes

bool little_endian() {
    const std::uint16_t one = 1;
    std::uint8_t first = 0;
    std::memcpy(&first, &one, 1);
    return first == 1;
}

[[noreturn]] void bad(const std::string& name, const std::string& what) {
    throw std::runtime_error("decode_npy: " + name + ": " + what);
}

}  // namespace

std::vector<std::uint8_t> encode_npy(const Tensor& a) {
    std::string shape = "(";
    for (std::size_t d : a.shape()) shape += std::to_string(d) + ", ";
    if (a.rank() == 1) shape.erase(shape.size() - 1);  // "(n,)" as numpy writes it
    else if (a.rank() > 1) shape.erase(shape.size() - 2);
    shape += ")";
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
    // Pad with spaces and a final '\n' so that magic (6) + version (2) + length (2) + header is a multiple of 64.
    const std::size_t unpadded = 10 + header.size() + 1;
    header.append((64 - unpadded % 64) % 64, ' ');
    header += '\n';
    if (header.size() > 65535) throw std::invalid_argument("encode_npy: shape " + shape_to_string(a.shape()) + " makes a header over 65535 bytes");
    std::vector<std::uint8_t> out(magic, magic + 6);
    out.push_back(1);
    out.push_back(0);
    out.push_back(static_cast<std::uint8_t>(header.size() & 0xff));
    out.push_back(static_cast<std::uint8_t>(header.size() >> 8));
    out.insert(out.end(), header.begin(), header.end());
    const std::size_t start = out.size();
    out.resize(start + a.size() * 4);
    // Tensor storage is contiguous row-major float; swap bytes on a big-endian host.
    std::memcpy(out.data() + start, a.data(), a.size() * 4);
    if (!little_endian())
        for (std::size_t i = start; i < out.size(); i += 4) {
            std::swap(out[i], out[i + 3]);
            std::swap(out[i + 1], out[i + 2]);
        }
    return out;
}

void write_npy(const std::string& path, const Tensor& a) {
    const std::vector<std::uint8_t> bytes = encode_npy(a);
    try {
        AtomicFile file(path);
        file.write(bytes);
        file.commit();
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string("write_npy: ") + e.what());
    }
}

Tensor decode_npy(const std::vector<std::uint8_t>& b, const std::string& name) {
    if (b.size() < 10 || std::memcmp(b.data(), magic, 6) != 0) bad(name, "not a .npy file (no \\x93NUMPY magic)");
    const int major = b[6];
    std::size_t hlen = 0, hstart = 0;
    if (major == 1) {
        hlen = b[8] | (std::size_t(b[9]) << 8);
        hstart = 10;
    } else if (major == 2 || major == 3) {
        if (b.size() < 12) bad(name, "truncated header");
        hlen = b[8] | (std::size_t(b[9]) << 8) | (std::size_t(b[10]) << 16) | (std::size_t(b[11]) << 24);
        hstart = 12;
    } else {
        bad(name, "format version " + std::to_string(major) + "." + std::to_string(b[7]) + "; expected 1.0, 2.0 or 3.0");
    }
    if (hlen > b.size() - hstart) bad(name, "header of " + std::to_string(hlen) + " bytes in a file of " + std::to_string(b.size()));
    const std::string h(b.begin() + static_cast<std::ptrdiff_t>(hstart), b.begin() + static_cast<std::ptrdiff_t>(hstart + hlen));
    auto value_of = [&](const std::string& key) {
        const std::size_t k = h.find("'" + key + "'");
        if (k == std::string::npos) bad(name, "header has no '" + key + "': " + h);
        std::size_t v = h.find(':', k);
        if (v == std::string::npos) bad(name, "header does not parse: " + h);
        ++v;
        while (v < h.size() && h[v] == ' ') ++v;
        return v;
    };
    const std::size_t d = value_of("descr");
    if (h.compare(d, 5, "'<f4'") != 0)
        bad(name, "dtype " + h.substr(d, h.find(',', d) - d) + "; expected '<f4' (little-endian float32)");
    if (h.compare(value_of("fortran_order"), 5, "False") != 0) bad(name, "fortran_order is not False (expected C order)");
    std::size_t s = value_of("shape");
    if (s >= h.size() || h[s] != '(') bad(name, "shape does not parse: " + h);
    const std::size_t close = h.find(')', s);
    if (close == std::string::npos) bad(name, "shape does not parse: " + h);
    Shape shape;
    std::size_t count = 1;
    for (std::size_t i = s + 1; i < close;) {
        while (i < close && (h[i] == ' ' || h[i] == ',')) ++i;
        if (i == close) break;
        std::size_t used = 0;
        unsigned long long dim = 0;
        try {
            dim = std::stoull(h.substr(i, close - i), &used);
        } catch (const std::exception&) {
            bad(name, "shape does not parse: " + h.substr(s, close - s + 1));
        }
        if (dim != 0 && count > std::numeric_limits<std::size_t>::max() / 4 / dim) bad(name, "shape " + h.substr(s, close - s + 1) + " overflows");
        count *= static_cast<std::size_t>(dim);
        shape.push_back(static_cast<std::size_t>(dim));
        i += used;
    }
    const std::size_t data = hstart + hlen;
    if (b.size() - data < count * 4)
        bad(name, "shape " + shape_to_string(shape) + " needs " + std::to_string(count * 4) + " data bytes; the file holds " + std::to_string(b.size() - data));
    Tensor out(shape);
    std::memcpy(out.data(), b.data() + data, count * 4);
    if (!little_endian())
        for (std::size_t i = 0; i < count; ++i) {
            auto* p = reinterpret_cast<std::uint8_t*>(out.data() + i);
            std::swap(p[0], p[3]);
            std::swap(p[1], p[2]);
        }
    return out;
}

Tensor read_npy(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("read_npy: cannot open '" + path + "'");
    const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return decode_npy(bytes, "'" + path + "'");
}

}  // namespace xvis
