// Reading ONNX protobufs: model files, tensors of every numeric type (raw, typed fields, external data),
// attributes.
#include <xvis/io/detail/onnx_proto.hpp>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <unistd.h>

namespace xvis::detail {

namespace fs = std::filesystem;

void read_onnx_model(const std::string& path, onnx::ModelProto& model, const std::string& call) {
    const auto fail = [&](const std::string& what) { throw std::runtime_error(call + ": '" + path + "': " + what); };
    std::error_code ec;
    if (fs::is_directory(path, ec)) fail("is a directory, not an ONNX model file");
    if (fs::exists(path, ec) && !fs::is_regular_file(path, ec)) fail("is not a regular file");
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail(std::string("cannot open: ") + std::strerror(errno));
    bool ok = false;
    {
        // Streamed from the file descriptor: peak memory is the parsed model, not file + model.
        google::protobuf::io::FileInputStream raw(fd);
        google::protobuf::io::CodedInputStream coded(&raw);
        coded.SetTotalBytesLimit(std::numeric_limits<int>::max());
        ok = model.ParseFromCodedStream(&coded) && coded.ConsumedEntireMessage();
    }
    ::close(fd);
    if (!ok) fail("not an ONNX model (protobuf parse error)");
    if (model.ir_version() <= 0 || !model.has_graph() || model.graph().node_size() == 0)
        fail("not an ONNX model (no IR version, graph or nodes)");
}

Shape tensor_shape(const onnx::TensorProto& t) {
    Shape s;
    for (auto d : t.dims()) s.push_back(static_cast<std::size_t>(d));
    return s;
}

namespace {

std::string dims_text(const onnx::TensorProto& t) {
    std::string s;
    for (auto d : t.dims()) s += (s.empty() ? "" : ", ") + std::to_string(d);
    return "[" + s + "]";
}

}  // namespace

std::size_t checked_elements(const onnx::TensorProto& t, std::size_t max_elements) {
    const std::string what = "tensor '" + t.name() + "'";
    if (t.dims_size() > static_cast<int>(max_rank))
        throw std::runtime_error(what + " has rank " + std::to_string(t.dims_size()) + " (at most " + std::to_string(max_rank) + ")");
    for (auto d : t.dims())
        if (d < 0) throw std::runtime_error(what + " has a negative dimension " + std::to_string(d));
    // The full product first, overflow-checked: a wrapped count would pass every later size check.
    std::size_t n = 1;
    bool overflow = false;
    for (auto d : t.dims()) overflow = overflow || __builtin_mul_overflow(n, static_cast<std::size_t>(d), &n);
    if (overflow)
        throw std::runtime_error(what + " declares more than " + std::to_string(max_elements) + " elements (dims " + dims_text(t) +
                                 ": the element count overflows 64 bits)");
    if (n > max_elements)
        throw std::runtime_error(what + " declares more than " + std::to_string(max_elements) + " elements (dims " + dims_text(t) + ": " +
                                 std::to_string(n) + " elements; OnnxImportOptions::max_tensor_elements)");
    return n;
}

namespace {

float half_to_float(std::uint16_t h) {
    const std::uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ffu;
    std::uint32_t bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else {  // subnormal: normalize
            int e = -1;
            std::uint32_t m = mant;
            do { ++e; m <<= 1; } while (!(m & 0x400u));
            bits = sign | ((127 - 15 - e) << 23) | ((m & 0x3ffu) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

float bfloat_to_float(std::uint16_t b) {
    const std::uint32_t bits = std::uint32_t(b) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

std::size_t element_bytes(int type) {
    switch (type) {
        case onnx::TensorProto::FLOAT: case onnx::TensorProto::INT32: case onnx::TensorProto::UINT32: return 4;
        case onnx::TensorProto::DOUBLE: case onnx::TensorProto::INT64: case onnx::TensorProto::UINT64: return 8;
        case onnx::TensorProto::FLOAT16: case onnx::TensorProto::BFLOAT16: case onnx::TensorProto::INT16:
        case onnx::TensorProto::UINT16: return 2;
        case onnx::TensorProto::INT8: case onnx::TensorProto::UINT8: case onnx::TensorProto::BOOL: return 1;
        default: return 0;
    }
}

// One little-endian element of `type` at p.
double element(int type, const char* p) {
    switch (type) {
        case onnx::TensorProto::FLOAT: { float v; std::memcpy(&v, p, 4); return v; }
        case onnx::TensorProto::DOUBLE: { double v; std::memcpy(&v, p, 8); return v; }
        case onnx::TensorProto::INT32: { std::int32_t v; std::memcpy(&v, p, 4); return v; }
        case onnx::TensorProto::UINT32: { std::uint32_t v; std::memcpy(&v, p, 4); return v; }
        case onnx::TensorProto::INT64: { std::int64_t v; std::memcpy(&v, p, 8); return static_cast<double>(v); }
        case onnx::TensorProto::UINT64: { std::uint64_t v; std::memcpy(&v, p, 8); return static_cast<double>(v); }
        case onnx::TensorProto::INT16: { std::int16_t v; std::memcpy(&v, p, 2); return v; }
        case onnx::TensorProto::UINT16: { std::uint16_t v; std::memcpy(&v, p, 2); return v; }
        case onnx::TensorProto::FLOAT16: { std::uint16_t v; std::memcpy(&v, p, 2); return half_to_float(v); }
        case onnx::TensorProto::BFLOAT16: { std::uint16_t v; std::memcpy(&v, p, 2); return bfloat_to_float(v); }
        case onnx::TensorProto::INT8: return static_cast<std::int8_t>(*p);
        case onnx::TensorProto::UINT8: return static_cast<std::uint8_t>(*p);
        case onnx::TensorProto::BOOL: return *p != 0 ? 1.0 : 0.0;
        default: return 0;
    }
}

// Bytes of an external tensor: `location` relative to the model's folder and inside it.
std::string read_external(const onnx::TensorProto& t, const std::string& model_dir, std::size_t expected) {
    std::string location;
    long long offset = 0, length = -1;
    for (const auto& kv : t.external_data()) {
        if (kv.key() == "location") location = kv.value();
        else if (kv.key() == "offset" || kv.key() == "length") {
            long long v = -1;
            std::size_t used = 0;
            try {
                v = std::stoll(kv.value(), &used);
            } catch (const std::exception&) {
                used = 0;
            }
            if (used == 0 || used != kv.value().size() || v < 0)
                throw std::runtime_error("tensor '" + t.name() + "': external data " + kv.key() + " '" + kv.value() + "' is not a byte count");
            (kv.key() == "offset" ? offset : length) = v;
        }
    }
    const std::string what = "tensor '" + t.name() + "': external data";
    if (location.empty()) throw std::runtime_error(what + " has no location");
    const fs::path rel(location);
    if (rel.is_absolute()) throw std::runtime_error(what + " location '" + location + "' is absolute; it must be a file beside the model");
    const fs::path base = fs::weakly_canonical(fs::path(model_dir.empty() ? "." : model_dir));
    const fs::path file = fs::weakly_canonical(base / rel);
    const auto b = base.string(), f = file.string();
    if (f.compare(0, b.size(), b) != 0 || (f.size() > b.size() && f[b.size()] != '/'))
        throw std::runtime_error(what + " location '" + location + "' leaves the model's folder " + b);
    if (offset < 0) throw std::runtime_error(what + " has a negative offset");
    if (length >= 0 && static_cast<std::size_t>(length) != expected)
        throw std::runtime_error(what + " has length " + std::to_string(length) + ", the tensor needs " + std::to_string(expected) + " bytes");
    std::error_code ec;
    if (fs::exists(file, ec) && !fs::is_regular_file(file, ec)) throw std::runtime_error(what + " file '" + f + "' is not a regular file");
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error(what + " file '" + f + "' cannot be opened: " + std::strerror(errno));
    in.seekg(0, std::ios::end);
    const auto size = static_cast<long long>(in.tellg());
    if (size < offset || static_cast<std::size_t>(size - offset) < expected)
        throw std::runtime_error(what + " file '" + f + "' has " + std::to_string(size) + " bytes, the tensor needs " +
                                 std::to_string(expected) + " from offset " + std::to_string(offset));
    std::string bytes(expected, '\0');
    in.seekg(offset);
    in.read(bytes.data(), static_cast<std::streamsize>(expected));
    if (!in) throw std::runtime_error(what + " file '" + f + "' could not be read");
    return bytes;
}

}  // namespace

template <class T>
BasicTensor<T> decode_tensor(const onnx::TensorProto& t, const std::string& model_dir, std::size_t max_elements) {
    static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "ONNX raw_data is little-endian; add a byte swap here");
    const int type = t.data_type();
    const std::size_t width = element_bytes(type);
    if (width == 0) throw std::runtime_error("tensor '" + t.name() + "' has data type " + std::to_string(type) + " (xvis reads numeric and bool tensors)");
    const std::size_t n = checked_elements(t, max_elements);
    std::size_t bytes_needed = 0;
    if (__builtin_mul_overflow(n, width, &bytes_needed))
        throw std::runtime_error("tensor '" + t.name() + "': " + std::to_string(n) + " elements of " + std::to_string(width) +
                                 " bytes overflow 64 bits");
    const std::string what = "tensor '" + t.name() + "' " + shape_to_string(tensor_shape(t));
    const auto count_error = [&](std::size_t got, const char* unit) {
        return std::runtime_error(what + " holds " + std::to_string(got) + " " + unit + ", expected " +
                                  std::to_string(unit[0] == 'b' ? bytes_needed : n));
    };
    // Allocated only after the stored data proved to hold all n elements: memory stays bounded by the file.
    if (t.data_location() == onnx::TensorProto::EXTERNAL) {
        const std::string bytes = read_external(t, model_dir, bytes_needed);
        BasicTensor<T> v(tensor_shape(t));
        for (std::size_t i = 0; i < n; ++i) v.data()[i] = static_cast<T>(element(type, bytes.data() + i * width));
        return v;
    }
    if (t.has_raw_data()) {
        if (t.raw_data().size() != bytes_needed) throw count_error(t.raw_data().size(), "bytes of raw_data");
        BasicTensor<T> v(tensor_shape(t));
        const char* p = t.raw_data().data();
        if (type == onnx::TensorProto::FLOAT && std::is_same_v<T, float>) std::memcpy(v.data(), p, n * 4);
        else
            for (std::size_t i = 0; i < n; ++i) v.data()[i] = static_cast<T>(element(type, p + i * width));
        return v;
    }
    const auto fill = [&](const auto& field, auto convert) {
        if (static_cast<std::size_t>(field.size()) != n) throw count_error(static_cast<std::size_t>(field.size()), "values");
        BasicTensor<T> v(tensor_shape(t));
        for (std::size_t i = 0; i < n; ++i) v.data()[i] = static_cast<T>(convert(field.Get(static_cast<int>(i))));
        return v;
    };
    const auto same = [](auto x) { return static_cast<double>(x); };
    switch (type) {
        case onnx::TensorProto::FLOAT: return fill(t.float_data(), same);
        case onnx::TensorProto::DOUBLE: return fill(t.double_data(), same);
        case onnx::TensorProto::INT64: return fill(t.int64_data(), same);
        case onnx::TensorProto::UINT32: case onnx::TensorProto::UINT64: return fill(t.uint64_data(), same);
        case onnx::TensorProto::FLOAT16:
            return fill(t.int32_data(), [](std::int32_t x) { return double(half_to_float(static_cast<std::uint16_t>(x))); });
        case onnx::TensorProto::BFLOAT16:
            return fill(t.int32_data(), [](std::int32_t x) { return double(bfloat_to_float(static_cast<std::uint16_t>(x))); });
        default: return fill(t.int32_data(), same);  // int32, int16, int8, uint16, uint8, bool
    }
}

template Tensor decode_tensor<float>(const onnx::TensorProto&, const std::string&, std::size_t);
template TensorD decode_tensor<double>(const onnx::TensorProto&, const std::string&, std::size_t);

template <class T>
void check_finite(const T* values, std::size_t n, const Shape& shape, const std::string& name, bool allow_inf) {
    std::size_t i = 0;
    for (; i < n; ++i)
        if (std::isnan(values[i]) || (!allow_inf && std::isinf(values[i]))) break;
    if (i == n) return;
    std::string at;  // the multi-index of flat index i, row-major
    for (std::size_t rest = i, k = shape.size(); k-- > 0;) {
        const std::size_t d = shape[k] == 0 ? 1 : shape[k];
        at = std::to_string(rest % d) + (at.empty() ? "" : ", ") + at;
        rest /= d;
    }
    const double v = static_cast<double>(values[i]);
    throw std::runtime_error("tensor '" + name + "' " + shape_to_string(shape) + ": element [" + at + "] (flat index " + std::to_string(i) +
                             ") is " + (std::isnan(v) ? "nan" : v > 0 ? "inf" : "-inf") +
                             (allow_inf ? "; NaN is refused in every float initializer" : "; weights must be finite") +
                             " (a model with non-finite weights explains nothing: every heat-map would be NaN)");
}

template void check_finite<float>(const float*, std::size_t, const Shape&, const std::string&, bool);
template void check_finite<double>(const double*, std::size_t, const Shape&, const std::string&, bool);

OnnxAttribute decode_attribute(const onnx::AttributeProto& a, const std::string& model_dir, std::size_t max_elements) {
    OnnxAttribute r;
    switch (a.type()) {
        case onnx::AttributeProto::INT: r.kind = OnnxAttribute::Kind::integer; r.i = a.i(); break;
        case onnx::AttributeProto::FLOAT: r.kind = OnnxAttribute::Kind::real; r.f = a.f(); break;
        case onnx::AttributeProto::STRING: r.kind = OnnxAttribute::Kind::string; r.s = a.s(); break;
        case onnx::AttributeProto::INTS: r.kind = OnnxAttribute::Kind::integers; r.ints.assign(a.ints().begin(), a.ints().end()); break;
        case onnx::AttributeProto::FLOATS: r.kind = OnnxAttribute::Kind::reals; r.floats.assign(a.floats().begin(), a.floats().end()); break;
        case onnx::AttributeProto::TENSOR:
            r.kind = OnnxAttribute::Kind::tensor;
            r.t = decode_tensor<double>(a.t(), model_dir, max_elements);
            r.tensor_type = a.t().data_type();
            break;
        default: break;
    }
    return r;
}

}  // namespace xvis::detail
