// OnnxAttributes and OnnxOpNode accessors, the builder table and the helpers builders share.
#include <xvis/io/detail/onnx_ops.hpp>

#include <cmath>
#include <stdexcept>

namespace xvis {

bool is_integral(OnnxType t) {
    switch (t) {
        case OnnxType::uint8: case OnnxType::int8: case OnnxType::uint16: case OnnxType::int16: case OnnxType::int32:
        case OnnxType::int64: case OnnxType::boolean: case OnnxType::uint32: case OnnxType::uint64: return true;
        default: return false;
    }
}

std::string to_string(OnnxType t) {
    switch (t) {
        case OnnxType::float32: return "float32";   case OnnxType::uint8: return "uint8";
        case OnnxType::int8: return "int8";         case OnnxType::uint16: return "uint16";
        case OnnxType::int16: return "int16";       case OnnxType::int32: return "int32";
        case OnnxType::int64: return "int64";       case OnnxType::string: return "string";
        case OnnxType::boolean: return "bool";      case OnnxType::float16: return "float16";
        case OnnxType::float64: return "float64";   case OnnxType::uint32: return "uint32";
        case OnnxType::uint64: return "uint64";     case OnnxType::bfloat16: return "bfloat16";
        default: return "undefined";
    }
}

void OnnxAttributes::fail(const std::string& what) const {
    throw std::runtime_error("node '" + name + "' (" + op_type + "): " + what);
}

namespace {
const OnnxAttribute* typed(const OnnxAttributes& n, const std::string& attr, OnnxAttribute::Kind kind, const char* kind_name) {
    auto it = n.attributes.find(attr);
    if (it == n.attributes.end()) return nullptr;
    if (it->second.kind != kind) n.fail("attribute '" + attr + "' is not " + kind_name);
    return &it->second;
}
}  // namespace

long long OnnxAttributes::attr_int(const std::string& attr, long long fallback) const {
    const auto* a = typed(*this, attr, OnnxAttribute::Kind::integer, "an int");
    return a ? a->i : fallback;
}
double OnnxAttributes::attr_float(const std::string& attr, double fallback) const {
    const auto* a = typed(*this, attr, OnnxAttribute::Kind::real, "a float");
    return a ? a->f : fallback;
}
std::string OnnxAttributes::attr_string(const std::string& attr, const std::string& fallback) const {
    const auto* a = typed(*this, attr, OnnxAttribute::Kind::string, "a string");
    return a ? a->s : fallback;
}
std::vector<long long> OnnxAttributes::attr_ints(const std::string& attr, const std::vector<long long>& fallback) const {
    const auto* a = typed(*this, attr, OnnxAttribute::Kind::integers, "a list of ints");
    return a ? a->ints : fallback;
}
std::vector<double> OnnxAttributes::attr_floats(const std::string& attr, const std::vector<double>& fallback) const {
    const auto* a = typed(*this, attr, OnnxAttribute::Kind::reals, "a list of floats");
    return a ? a->floats : fallback;
}
const OnnxAttribute& OnnxAttributes::attr_tensor(const std::string& attr) const {
    const auto* a = typed(*this, attr, OnnxAttribute::Kind::tensor, "a tensor");
    if (!a) fail("attribute '" + attr + "' is missing");
    return *a;
}

const Node& OnnxOpNode::input(std::size_t i) const {
    if (!has_input(i)) fail("input " + std::to_string(i) + " is missing");
    return inputs[i];
}

bool OnnxOpNode::is_static(std::size_t i) const {
    return has_input(i) && (inputs[i].kind() == NodeKind::constant || inputs[i].kind() == NodeKind::parameter);
}

bool OnnxOpNode::all_static() const {
    for (const auto& in : inputs)
        if (in.valid() && in.kind() != NodeKind::constant) return false;
    return true;
}

TensorD OnnxOpNode::static_value(std::size_t i) const {
    const Node& n = input(i);
    if (n.kind() == NodeKind::constant) return n.value_double();
    if (n.kind() == NodeKind::parameter) return n.parameter_storage()->cast<double>();
    fail("input " + std::to_string(i) + " ('" + input_names[i] + "') must be known when the model is imported (a constant, an " +
         "initializer or computed from shapes), but it is computed at run time by '" + n.name() + "'");
}

double OnnxOpNode::static_scalar(std::size_t i) const {
    const TensorD v = static_value(i);
    if (v.size() != 1) fail("input " + std::to_string(i) + " ('" + input_names[i] + "') must hold one value, got " + shape_to_string(v.shape()));
    return v.data()[0];
}

std::size_t onnx_checked_size(const Shape& shape) {
    std::size_t n = 1;
    for (auto d : shape) {
        if (d != 0 && n > SIZE_MAX / d) return SIZE_MAX;
        n *= d;
    }
    return n;
}

std::vector<std::int64_t> OnnxOpNode::static_ints(std::size_t i) const {
    const TensorD v = static_value(i);
    std::vector<std::int64_t> out;
    out.reserve(v.size());
    for (double x : v) {
        if (!std::isfinite(x) || x != std::floor(x)) fail("input " + std::to_string(i) + " ('" + input_names[i] + "') holds " + std::to_string(x) + ", expected integers");
        // INT64_MAX / INT64_MIN ("to the end" in Slice) are not exact in double: saturate instead of overflowing.
        if (x >= 9.2e18) out.push_back(INT64_MAX);
        else if (x <= -9.2e18) out.push_back(INT64_MIN);
        else out.push_back(static_cast<std::int64_t>(x));
    }
    return out;
}

std::map<std::string, OnnxOpBuilder>& onnx_op_builders() {
    static std::map<std::string, OnnxOpBuilder> table = [] {
        detail::OnnxOpTable t;
        detail::register_onnx_elementwise_ops(t);
        detail::register_onnx_nn_ops(t);
        detail::register_onnx_shape_ops(t);
        detail::register_onnx_constant_ops(t);
        return t;
    }();
    return table;
}

std::size_t onnx_axis(const OnnxOpNode& n, std::int64_t axis, std::size_t rank) {
    const auto r = static_cast<std::int64_t>(rank);
    if (axis < -r || axis >= std::max<std::int64_t>(r, 1))
        n.fail("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
    return static_cast<std::size_t>(axis < 0 ? axis + r : axis);
}

Node onnx_constant(const Shape& shape, const std::vector<double>& values) {
    TensorD t(shape);
    if (t.size() != values.size()) throw ShapeError("onnx_constant: " + std::to_string(values.size()) + " values for shape " + shape_to_string(shape));
    std::copy(values.begin(), values.end(), t.begin());
    return constant(t);
}

}  // namespace xvis
