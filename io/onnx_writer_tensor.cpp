// save_onnx's encoders: xvis values (float weights, double constants, decoded attributes) back into ONNX
// TensorProto / AttributeProto / NodeProto with their original element and attribute types. Everything is
// written one way only (raw_data, attributes sorted by name), so what xvis writes it reads back and writes again
// byte for byte.
#include <xvis/io/detail/onnx_import.hpp>
#include <xvis/io/detail/onnx_node_layer.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace xvis::detail {

namespace {

// float → IEEE half, rounding to nearest even; exact for every value that came from a half (NaN payloads too).
std::uint16_t float_to_half(float f) {
    std::uint32_t x;
    std::memcpy(&x, &f, 4);
    const auto sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
    const std::uint32_t a = x & 0x7fffffffu;
    if (a >= 0x7f800000u) {  // inf, or NaN (kept quiet: a payload that shifts out would make it inf)
        const std::uint32_t payload = a > 0x7f800000u ? ((a >> 13) & 0x3ffu) | ((a >> 13) & 0x3ffu ? 0u : 0x200u) : 0u;
        return static_cast<std::uint16_t>(sign | 0x7c00u | payload);
    }
    if (a >= 0x47800000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // >= 65536: inf
    if (a < 0x38800000u) {  // below 2^-14: a multiple of 2^-24 (1024 carries into the smallest normal)
        float v;
        std::memcpy(&v, &a, 4);
        return static_cast<std::uint16_t>(sign | static_cast<std::uint32_t>(std::nearbyint(v * 16777216.0f)));
    }
    std::uint32_t h = (((a >> 23) - 112u) << 10) | ((a >> 13) & 0x3ffu);
    const std::uint32_t rest = a & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;  // a carry may round up to inf: correct
    return static_cast<std::uint16_t>(sign | h);
}

// float → bfloat16 (the upper half of the float), rounding to nearest even; exact for values from a bfloat16.
std::uint16_t float_to_bfloat(float f) {
    std::uint32_t x;
    std::memcpy(&x, &f, 4);
    if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((x >> 16) | 0x40u);  // NaN stays NaN
    return static_cast<std::uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

// Integers come back whole from double; values beyond the type (INT64_MAX read as 2^63) saturate.
template <class I>
I to_integer(double v) {
    if (std::isnan(v)) return 0;
    if (v <= static_cast<double>(std::numeric_limits<I>::lowest())) return std::numeric_limits<I>::lowest();
    if (v >= static_cast<double>(std::numeric_limits<I>::max())) return std::numeric_limits<I>::max();
    return static_cast<I>(v);
}

template <class Out, class T, class F>
void append(std::string& bytes, const T* data, std::size_t n, F convert) {
    const std::size_t at = bytes.size();
    bytes.resize(at + n * sizeof(Out));
    for (std::size_t i = 0; i < n; ++i) {
        const Out v = convert(data[i]);
        std::memcpy(&bytes[at + i * sizeof(Out)], &v, sizeof(Out));
    }
}

}  // namespace

template <class T>
void encode_tensor(onnx::TensorProto& t, const std::string& name, const Shape& shape, OnnxType type, const T* data, const std::string& what) {
    static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "ONNX raw_data is little-endian; add a byte swap here");
    if (!name.empty()) t.set_name(name);
    t.set_data_type(static_cast<int>(type));
    for (auto d : shape) t.add_dims(static_cast<std::int64_t>(d));
    const std::size_t n = shape_size(shape);
    std::string bytes;
    const auto whole = [](auto tag) { return [](T v) { return to_integer<decltype(tag)>(static_cast<double>(v)); }; };
    switch (type) {
        case OnnxType::float32:
            if constexpr (std::is_same_v<T, float>) bytes.assign(reinterpret_cast<const char*>(data), n * sizeof(float));
            else append<float>(bytes, data, n, [](T v) { return static_cast<float>(v); });
            break;
        case OnnxType::float64: append<double>(bytes, data, n, [](T v) { return static_cast<double>(v); }); break;
        case OnnxType::float16: append<std::uint16_t>(bytes, data, n, [](T v) { return float_to_half(static_cast<float>(v)); }); break;
        case OnnxType::bfloat16: append<std::uint16_t>(bytes, data, n, [](T v) { return float_to_bfloat(static_cast<float>(v)); }); break;
        case OnnxType::int8: append<std::int8_t>(bytes, data, n, whole(std::int8_t{})); break;
        case OnnxType::uint8: append<std::uint8_t>(bytes, data, n, whole(std::uint8_t{})); break;
        case OnnxType::int16: append<std::int16_t>(bytes, data, n, whole(std::int16_t{})); break;
        case OnnxType::uint16: append<std::uint16_t>(bytes, data, n, whole(std::uint16_t{})); break;
        case OnnxType::int32: append<std::int32_t>(bytes, data, n, whole(std::int32_t{})); break;
        case OnnxType::uint32: append<std::uint32_t>(bytes, data, n, whole(std::uint32_t{})); break;
        case OnnxType::int64: append<std::int64_t>(bytes, data, n, whole(std::int64_t{})); break;
        case OnnxType::uint64: append<std::uint64_t>(bytes, data, n, whole(std::uint64_t{})); break;
        case OnnxType::boolean: append<std::uint8_t>(bytes, data, n, [](T v) { return std::uint8_t(v != 0 ? 1 : 0); }); break;
        default:
            throw std::invalid_argument("save_onnx: " + what + ": element type " + xvis::to_string(type) + " (" +
                                        std::to_string(static_cast<int>(type)) + ") cannot be written");
    }
    t.set_raw_data(std::move(bytes));
}

template void encode_tensor<float>(onnx::TensorProto&, const std::string&, const Shape&, OnnxType, const float*, const std::string&);
template void encode_tensor<double>(onnx::TensorProto&, const std::string&, const Shape&, OnnxType, const double*, const std::string&);

void encode_node(onnx::NodeProto& out, const OnnxOpNode& n, const std::string& domain, const std::map<std::string, std::string>& raw) {
    for (const auto& s : n.input_names) out.add_input(s);
    for (const auto& s : n.output_names) out.add_output(s);
    out.set_name(n.name);
    out.set_op_type(n.op_type);
    if (!domain.empty()) out.set_domain(domain);
    const auto fail = [&](const std::string& attr, const std::string& why) {
        throw std::invalid_argument("save_onnx: node '" + n.name + "' (" + n.op_type + "): attribute '" + attr + "' " + why);
    };
    for (const auto& [name, a] : n.attributes) {  // std::map: sorted by name, whatever the file's order was
        onnx::AttributeProto& p = *out.add_attribute();
        p.set_name(name);
        switch (a.kind) {
            case OnnxAttribute::Kind::integer: p.set_type(onnx::AttributeProto::INT), p.set_i(a.i); break;
            // Decoded from a float32, so the double converts back exactly.
            case OnnxAttribute::Kind::real: p.set_type(onnx::AttributeProto::FLOAT), p.set_f(static_cast<float>(a.f)); break;
            case OnnxAttribute::Kind::string: p.set_type(onnx::AttributeProto::STRING), p.set_s(a.s); break;
            case OnnxAttribute::Kind::integers:
                p.set_type(onnx::AttributeProto::INTS);
                for (auto v : a.ints) p.add_ints(v);
                break;
            case OnnxAttribute::Kind::reals:
                p.set_type(onnx::AttributeProto::FLOATS);
                for (auto v : a.floats) p.add_floats(static_cast<float>(v));
                break;
            case OnnxAttribute::Kind::tensor:
                p.set_type(onnx::AttributeProto::TENSOR);
                encode_tensor(*p.mutable_t(), {}, a.t.shape(), static_cast<OnnxType>(a.tensor_type), a.t.data(),
                              "node '" + n.name + "' (" + n.op_type + "): attribute '" + name + "'");
                break;
            case OnnxAttribute::Kind::other: {
                auto r = raw.find(name);
                if (r == raw.end()) fail(name, "has a type xvis does not decode, and its original bytes were not kept");
                if (!p.ParseFromString(r->second) || p.name() != name) fail(name, "could not be restored from its original bytes");
                break;
            }
        }
    }
}

}  // namespace xvis::detail
