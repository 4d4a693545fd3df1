// ONNX ops on values known at import (shape arithmetic and masks): Shape, Size, Constant, ConstantOfShape,
// Range, ScatterND. Their results are constants; what is computed from them is folded by the importer.
#include <xvis/autodiff/ops.hpp>
#include <xvis/io/detail/onnx_ops.hpp>

#include <algorithm>
#include <cmath>

namespace xvis::detail {

// A shape from import-time values, checked: no negative extent, and at most n.max_elements in all.
Shape onnx_shape(const OnnxOpNode& n, const std::vector<std::int64_t>& dims, const char* what) {
    Shape s;
    std::string text;
    for (auto d : dims) {
        if (d < 0) n.fail(std::string(what) + " has a negative dimension " + std::to_string(d));
        s.push_back(static_cast<std::size_t>(d));
        text += (text.empty() ? "" : ", ") + std::to_string(d);
    }
    if (onnx_checked_size(s) > n.max_elements)
        n.fail(std::string(what) + " [" + text + "] has more than " + std::to_string(n.max_elements) + " elements");
    return s;
}

namespace {

std::vector<Node> shape_op(OnnxOpNode& n) {
    const Shape& s = n.input(0).shape();
    const auto r = static_cast<std::int64_t>(s.size());
    std::int64_t start = n.attr_int("start", 0), end = n.attr_int("end", r);
    start = std::clamp<std::int64_t>(start < 0 ? start + r : start, 0, r);
    end = std::clamp<std::int64_t>(end < 0 ? end + r : end, 0, r);
    std::vector<double> v;
    for (std::int64_t i = start; i < end; ++i) v.push_back(static_cast<double>(s[static_cast<std::size_t>(i)]));
    n.output_types.assign(1, OnnxType::int64);
    return {onnx_constant({v.size()}, v)};
}

std::vector<Node> constant_op(OnnxOpNode& n) {
    const auto scalar_of = [&](OnnxType t, const Shape& shape, const std::vector<double>& v) {
        n.output_types.assign(1, t);
        return std::vector<Node>{onnx_constant(shape, v)};
    };
    if (n.has("value")) {
        const auto& a = n.attr_tensor("value");
        const auto type = static_cast<OnnxType>(a.tensor_type);
        n.output_types.assign(1, type == OnnxType::float64 || type == OnnxType::float16 || type == OnnxType::bfloat16 ? OnnxType::float32 : type);
        return {constant(a.t)};
    }
    if (n.has("value_float")) return scalar_of(OnnxType::float32, {}, {n.attr_float("value_float", 0)});
    if (n.has("value_int")) return scalar_of(OnnxType::int64, {}, {double(n.attr_int("value_int", 0))});
    if (n.has("value_floats")) {
        const auto v = n.attr_floats("value_floats", {});
        return scalar_of(OnnxType::float32, {v.size()}, v);
    }
    if (n.has("value_ints")) {
        std::vector<double> v;
        for (auto i : n.attr_ints("value_ints", {})) v.push_back(double(i));
        return scalar_of(OnnxType::int64, {v.size()}, v);
    }
    n.fail("has no value attribute that xvis reads (value, value_float(s), value_int(s))");
}

std::vector<Node> constant_of_shape_op(OnnxOpNode& n) {
    const Shape shape = onnx_shape(n, n.static_ints(0), "shape");
    double value = 0;
    OnnxType type = OnnxType::float32;
    if (n.has("value")) {
        const auto& a = n.attr_tensor("value");
        if (a.t.size() != 1) n.fail("value must hold one element");
        value = a.t.data()[0];
        type = static_cast<OnnxType>(a.tensor_type);
    }
    n.output_types.assign(1, type);
    return {broadcast_to(scalar(value), shape)};  // folded by the importer (size checked there)
}

std::vector<Node> range_op(OnnxOpNode& n) {
    const double start = n.static_scalar(0), limit = n.static_scalar(1), delta = n.static_scalar(2);
    if (!std::isfinite(start) || !std::isfinite(limit) || !std::isfinite(delta) || delta == 0)
        n.fail("start, limit and delta must be finite and delta non-zero, got " + std::to_string(start) + ", " + std::to_string(limit) +
               ", " + std::to_string(delta));
    const double count = std::max(0.0, std::ceil((limit - start) / delta));
    if (count > double(n.max_elements))
        n.fail("Range of " + std::to_string(static_cast<long long>(count)) + " elements (more than " + std::to_string(n.max_elements) + ")");
    std::vector<double> v(static_cast<std::size_t>(count));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = start + double(i) * delta;
    return {onnx_constant({v.size()}, v)};
}

// ScatterND on import-time values (masks built from shapes): data with updates written at indices.
std::vector<Node> scatter_nd_op(OnnxOpNode& n) {
    if (!n.all_static()) n.fail("is supported only on values known at import (shape arithmetic), not on run-time tensors");
    if (n.attr_string("reduction", "none") != "none") n.fail("reduction '" + n.attr_string("reduction", "") + "' is not supported");
    TensorD data = n.static_value(0);
    const TensorD idx = n.static_value(1), upd = n.static_value(2);
    if (idx.rank() == 0) n.fail("indices must have rank >= 1");
    const std::size_t q = idx.rank(), kdim = idx.shape()[q - 1];
    if (kdim > data.rank()) n.fail("index depth " + std::to_string(kdim) + " exceeds the data rank");
    std::size_t slice_size = 1;
    for (std::size_t d = kdim; d < data.rank(); ++d) slice_size *= data.shape()[d];
    const std::size_t count = idx.size() / std::max<std::size_t>(kdim, 1);
    if (upd.size() != count * slice_size) n.fail("updates " + shape_to_string(upd.shape()) + " do not match indices and data");
    const auto strides = row_major_strides(data.shape());
    for (std::size_t i = 0; i < count; ++i) {
        std::size_t offset = 0;
        for (std::size_t d = 0; d < kdim; ++d) {
            auto v = static_cast<std::int64_t>(idx.data()[i * kdim + d]);
            const auto dim = static_cast<std::int64_t>(data.shape()[d]);
            if (v < 0) v += dim;
            if (v < 0 || v >= dim) n.fail("index " + std::to_string(v) + " is out of range for axis " + std::to_string(d));
            offset += static_cast<std::size_t>(v) * strides[d];
        }
        std::copy(upd.data() + i * slice_size, upd.data() + (i + 1) * slice_size, data.data() + offset);
    }
    return {constant(data)};
}

}  // namespace

void register_onnx_constant_ops(OnnxOpTable& t) {
    t["Shape"] = shape_op;
    t["Size"] = [](OnnxOpNode& n) {
        n.output_types.assign(1, OnnxType::int64);
        return std::vector<Node>{onnx_constant({}, {double(n.input(0).size())})};
    };
    t["Constant"] = constant_op;
    t["ConstantOfShape"] = constant_of_shape_op;
    t["Range"] = range_op;
    t["ScatterND"] = scatter_nd_op;
}

}  // namespace xvis::detail
