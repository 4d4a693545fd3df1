#include <xvis/image/detail/image_structure.hpp>

namespace xvis::detail {

namespace {

class Reader {
public:
    Reader(const std::uint8_t* d, std::size_t n) : d_(d), n_(n) {}
    bool left(std::size_t k) const { return n_ - pos_ >= k; }
    std::size_t u8() { return pos_ < n_ ? d_[pos_++] : 0; }
    std::size_t u16() {
        const std::size_t hi = u8();
        return hi << 8 | u8();
    }
    void skip(std::size_t k) { pos_ += k < n_ - pos_ ? k : n_ - pos_; }
    std::size_t pos() const { return pos_; }
    bool at_end() const { return pos_ >= n_; }
    std::uint8_t peek(std::size_t k = 0) const { return pos_ + k < n_ ? d_[pos_ + k] : 0; }

private:
    const std::uint8_t* d_;
    std::size_t n_, pos_ = 0;
};

std::string hex(std::size_t m) {
    const char* digits = "0123456789ABCDEF";
    return std::string("0xFF") + digits[(m >> 4) & 15] + digits[m & 15];
}

struct State {
    bool dc[4] = {}, ac[4] = {}, quant[4] = {};
    bool frame = false, progressive = false;
    std::size_t components = 0, ids[4] = {}, tq[4] = {};
};

// DHT: each table's 16 code counts must fit a prefix code (Kraft) and hold at most 256 symbols.
std::string dht(Reader& r, std::size_t length, State& s) {
    std::size_t rest = length;
    while (rest > 0) {
        if (rest < 17) return "DHT segment ends inside a table header";
        const std::size_t q = r.u8(), tc = q >> 4, th = q & 15;
        if (tc > 1 || th > 3) return "DHT table class " + std::to_string(tc) + " id " + std::to_string(th) + " (class 0..1, id 0..3)";
        std::size_t n = 0, code = 0;
        for (std::size_t len = 1; len <= 16; ++len) {
            const std::size_t count = r.u8();
            n += count;
            code += count;
            if (code > (std::size_t(1) << len)) return "DHT table with more codes up to length " + std::to_string(len) + " than a prefix code allows";
            code <<= 1;
        }
        if (n > 256) return "DHT table " + std::string(tc ? "AC " : "DC ") + std::to_string(th) + " has " + std::to_string(n) + " codes, more than 256";
        rest -= 17;
        if (rest < n) return "DHT segment shorter than its tables";
        r.skip(n);
        rest -= n;
        (tc ? s.ac : s.dc)[th] = true;
    }
    return {};
}

std::string dqt(Reader& r, std::size_t length, State& s) {
    std::size_t rest = length;
    while (rest > 0) {
        const std::size_t q = r.u8(), p = q >> 4, t = q & 15;
        if (p > 1 || t > 3) return "DQT precision " + std::to_string(p) + " id " + std::to_string(t);
        const std::size_t bytes = p ? 129 : 65;
        if (rest < bytes) return "DQT segment shorter than its tables";
        r.skip(bytes - 1);
        rest -= bytes;
        s.quant[t] = true;
    }
    return {};
}

std::string sof(Reader& r, std::size_t length, State& s, std::size_t marker) {
    if (s.frame) return "a second frame header (SOF)";
    s.frame = true;
    s.progressive = marker == 0xC2;
    if (r.u8() != 8) return "sample precision other than 8 bits";
    const std::size_t h = r.u16(), w = r.u16(), c = r.u8();
    if (h == 0 || w == 0) return "zero width or height";
    if (c != 1 && c != 3 && c != 4) return std::to_string(c) + " components (1, 3 or 4)";
    if (length != 6 + 3 * c) return "SOF length " + std::to_string(length + 2) + " for " + std::to_string(c) + " components";
    s.components = c;
    for (std::size_t i = 0; i < c; ++i) {
        s.ids[i] = r.u8();
        const std::size_t hv = r.u8();
        s.tq[i] = r.u8();
        if ((hv >> 4) < 1 || (hv >> 4) > 4 || (hv & 15) < 1 || (hv & 15) > 4) return "sampling factors outside 1..4";
        if (s.tq[i] > 3) return "quantization table id above 3";
    }
    return {};
}

// SOS: every table the scan will use must be defined by now (stb does not check).
std::string sos(Reader& r, std::size_t length, const State& s) {
    if (!s.frame) return "a scan (SOS) before the frame header (SOF)";
    const std::size_t n = r.u8();
    if (n < 1 || n > 4 || n > s.components) return "SOS with " + std::to_string(n) + " components";
    if (length != 4 + 2 * n) return "SOS length";
    std::size_t which[4] = {}, td[4] = {}, ta[4] = {};
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t id = r.u8(), q = r.u8();
        std::size_t k = 0;
        while (k < s.components && s.ids[k] != id) ++k;
        if (k == s.components) return "SOS names component " + std::to_string(id) + ", not in the frame";
        which[i] = k, td[i] = q >> 4, ta[i] = q & 15;
        if (td[i] > 3 || ta[i] > 3) return "Huffman table id above 3";
    }
    const std::size_t ss = r.u8(), se = r.u8(), a = r.u8(), ah = a >> 4;
    for (std::size_t i = 0; i < n; ++i) {
        const bool need_dc = !s.progressive || (ss == 0 && ah == 0), need_ac = !s.progressive || se > 0;
        if (need_dc && !s.dc[td[i]]) return "a scan uses DC Huffman table " + std::to_string(td[i]) + ", which no DHT defined";
        if (need_ac && !s.ac[ta[i]]) return "a scan uses AC Huffman table " + std::to_string(ta[i]) + ", which no DHT defined";
        if (!s.quant[s.tq[which[i]]]) return "a scan uses quantization table " + std::to_string(s.tq[which[i]]) + ", which no DQT defined";
    }
    return {};
}

// Past the entropy-coded data: stops before the first 0xFF that starts a marker other than RSTn (0xFF 0x00 is a
// stuffed byte, repeated 0xFF are fill), as stb's bit reader does.
void skip_entropy_data(Reader& r) {
    while (!r.at_end()) {
        if (r.peek() != 0xFF) {
            r.skip(1);
            continue;
        }
        std::size_t k = 1;
        while (r.peek(k) == 0xFF && r.left(k + 1)) ++k;
        const std::uint8_t m = r.peek(k);
        if (!r.left(k + 1)) return r.skip(k);
        if (m == 0x00 || (m >= 0xD0 && m <= 0xD7)) {
            r.skip(k + 1);
            continue;
        }
        return;
    }
}

}  // namespace

std::string jpeg_structure_error(const std::uint8_t* data, std::size_t size) {
    Reader r(data, size);
    if (r.u8() != 0xFF || r.u8() != 0xD8) return "no start-of-image marker";
    State s;
    while (!r.at_end()) {
        if (r.u8() != 0xFF) return "expected a marker at byte " + std::to_string(r.pos() - 1);
        std::size_t m = r.u8();
        while (m == 0xFF) m = r.u8();
        if (m == 0xD9) return {};  // end of image
        if (!r.left(2)) return {};  // truncated: stb reads zeros from here and fails or stops, as at the end
        const std::size_t length = r.u16();
        if (length < 2) return "segment " + hex(m) + " with length " + std::to_string(length);
        const std::size_t body = length - 2;
        const std::size_t start = r.pos();
        std::string error;
        if (m == 0xC4) error = dht(r, body, s);
        else if (m == 0xDB) error = dqt(r, body, s);
        else if (m == 0xC0 || m == 0xC1 || m == 0xC2) error = sof(r, body, s, m);
        else if (m == 0xDA) error = sos(r, body, s);
        else if (m == 0xDD) error = body == 2 ? (r.skip(2), std::string()) : "DRI length";
        else if (m == 0xDC) error = s.frame && body == 2 ? (r.skip(2), std::string()) : "DNL segment";
        else if ((m >= 0xE0 && m <= 0xEF) || m == 0xFE) r.skip(body);
        else return "marker " + hex(m) + ", which xvis does not read (baseline and progressive Huffman JPEG only)";
        if (!error.empty()) return error;
        if (m != 0xDA && r.pos() != start + body && !r.at_end()) return "segment " + hex(m) + " length does not match its content";
        if (m == 0xDA) skip_entropy_data(r);
    }
    return {};
}

std::string png_structure_error(const std::uint8_t* data, std::size_t size) {
    Reader r(data, size);
    r.skip(8);  // the signature, checked by the caller
    for (bool first = true; r.left(8); first = false) {
        const std::size_t length = r.u16() << 16 | r.u16();
        const std::string type(reinterpret_cast<const char*>(data) + r.pos(), 4);
        r.skip(4);
        if (first && (type != "IHDR" || length != 13)) return "the first chunk is not a 13-byte IHDR";
        if (length > 0x7fffffffu) return "a chunk longer than 2^31 - 1 bytes";
        if (type == "IDAT") return length == 0 ? "an empty first IDAT chunk" : std::string();
        r.skip(length + 4);  // data and CRC (stb does not check CRCs)
    }
    return {};
}

}  // namespace xvis::detail
