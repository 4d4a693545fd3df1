// ONNX builders for pooling (MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool) and resizing (Resize,
// Upsample). Registered by register_onnx_nn_ops (onnx_ops_nn.cpp), which shares its window helpers.
#include <xvis/autodiff/ops.hpp>
#include <xvis/io/detail/onnx_ops.hpp>

#include <cmath>
#include <map>
#include <string>
#include <vector>

namespace xvis::detail {

namespace {

std::string list(const std::vector<long long>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s + "]";
}

std::vector<Node> pool(OnnxOpNode& n, bool is_max) {
    if (is_max && n.num_outputs() > 1 && !n.output_names[1].empty())
        n.fail("output Indices ('" + n.output_names[1] + "') is not supported");
    const Node& x = n.input(0);
    if (x.rank() != 3 && x.rank() != 4)
        n.fail("input " + x.describe() + ": only 1-D and 2-D pooling (rank 3 or 4: N, C, [H,] W) is supported");
    const std::size_t dims = x.rank() - 2;
    if (!n.has("kernel_shape")) n.fail("attribute kernel_shape is missing");
    const auto per_axis = [&](const std::string& attr, long long fallback) {
        const auto v = n.attr_ints(attr, std::vector<long long>(dims, fallback));
        if (v.size() != dims) n.fail("attribute " + attr + " " + list(v) + ": expected " + std::to_string(dims) + " values");
        for (long long e : v)
            if (e < 1) n.fail("attribute " + attr + " " + list(v) + ": values must be >= 1");
        return v;
    };
    const auto k = per_axis("kernel_shape", 1), s = per_axis("strides", 1), d = per_axis("dilations", 1);
    for (long long e : d)
        if (e != 1) n.fail("attribute dilations " + list(d) + " is not supported (only 1)");
    const auto pads = onnx_window_pads(n, x.shape(), k, s);
    const long long ceil = n.attr_int("ceil_mode", 0), include = n.attr_int("count_include_pad", 0);
    if (ceil != 0 && ceil != 1) n.fail("attribute ceil_mode " + std::to_string(ceil) + " must be 0 or 1");
    if (include != 0 && include != 1) n.fail("attribute count_include_pad " + std::to_string(include) + " must be 0 or 1");
    kernels::Pool2dParams p;
    p.kernel_h = onnx_hw(k, 0, 1), p.kernel_w = onnx_hw(k, 1, 1);
    p.stride_h = onnx_hw(s, 0, 1), p.stride_w = onnx_hw(s, 1, 1);
    const OnnxPads2d pad = onnx_pads_2d(pads);
    p.pad_top = pad.top, p.pad_left = pad.left, p.pad_bottom = pad.bottom, p.pad_right = pad.right;
    p.count_include_pad = include != 0;
    // auto_pad VALID / SAME fix the output size (ceil(in / s) for SAME) whatever ceil_mode says.
    p.ceil_mode = ceil != 0 && n.attr_string("auto_pad", "NOTSET") == "NOTSET";
    const Node x2 = onnx_as_2d(x);
    return {onnx_from_2d(is_max ? max_pool2d(x2, p) : avg_pool2d(x2, p), dims)};
}

// Keeps [N, C, 1, ...]: the mean / max over every spatial axis.
std::vector<Node> global_pool(OnnxOpNode& n, bool is_max) {
    const Node& x = n.input(0);
    if (x.rank() < 3) n.fail("input " + x.describe() + " must have rank >= 3 (N, C, spatial...)");
    Shape out(x.rank(), 1);
    out[0] = x.shape()[0], out[1] = x.shape()[1];
    if (!is_max && x.rank() == 4) return {reshape(global_avg_pool(x), out)};
    Axes axes;
    for (std::size_t i = 2; i < x.rank(); ++i) axes.push_back(static_cast<std::int64_t>(i));
    return {is_max ? max(x, axes, true) : mean(x, axes, true)};
}

// Resize (opsets 10-17) and Upsample (7-9) of the last two axes, nearest or linear. Opset 10 Resize and Upsample:
// scales (attribute before opset 9, else input 1), asymmetric coordinates, nearest rounds down. Opset 11+: roi
// (unused unless tf_crop_and_resize), scales (input 2) or sizes (input 3); out = floor(in · scale).
std::vector<Node> resize_op(OnnxOpNode& n) {
    const Node& x = n.input(0);
    const bool legacy = n.op_type == "Upsample" || n.opset < 11;
    const std::size_t rank = x.rank();
    if (rank < 2) n.fail("input " + x.describe() + " must have rank >= 2");
    ResizeOptions o;
    const std::string mode = n.attr_string("mode", "nearest");
    if (mode == "linear" || (legacy && mode == "bilinear")) o.mode = ResizeMode::linear;
    else if (mode != "nearest") n.fail("attribute mode '" + mode + "' is not supported (nearest or linear)");
    std::vector<double> scales;
    std::vector<std::int64_t> sizes;
    const std::size_t scales_at = legacy ? 1 : 2;
    if (legacy && n.opset < 9 && n.op_type == "Upsample") {
        scales = n.attr_floats("scales", {});
    } else if (n.has_input(scales_at)) {
        const TensorD v = n.static_value(scales_at);  // may be empty when sizes are given
        scales.assign(v.begin(), v.end());
    }
    if (!legacy && n.has_input(3)) sizes = n.static_ints(3);
    if (scales.empty() == sizes.empty()) n.fail("exactly one of scales and sizes must be given");
    if ((!scales.empty() && scales.size() != rank) || (!sizes.empty() && sizes.size() != rank))
        n.fail("scales / sizes must hold " + std::to_string(rank) + " values (one per axis of " + x.describe() + ")");
    Shape out(rank);
    for (std::size_t i = 0; i < rank; ++i) {
        if (!scales.empty() && !(scales[i] > 0)) n.fail("scale " + std::to_string(scales[i]) + " of axis " + std::to_string(i) + " must be > 0");
        out[i] = scales.empty() ? static_cast<std::size_t>(std::max<std::int64_t>(sizes[i], 0))
                                : static_cast<std::size_t>(std::floor(static_cast<double>(x.shape()[i]) * scales[i]));
        if (i + 2 < rank && out[i] != x.shape()[i])
            n.fail("resizing axis " + std::to_string(i) + " of " + x.describe() + " to " + std::to_string(out[i]) + " is not supported (only the last two axes)");
    }
    if (!scales.empty()) o.scales = {scales[rank - 2], scales[rank - 1]};
    if (legacy) {
        o.coordinates = ResizeCoordinates::asymmetric;
        o.nearest = ResizeNearest::floor;
    } else {
        static const std::map<std::string, ResizeCoordinates> coords{
            {"half_pixel", ResizeCoordinates::half_pixel}, {"pytorch_half_pixel", ResizeCoordinates::pytorch_half_pixel},
            {"align_corners", ResizeCoordinates::align_corners}, {"asymmetric", ResizeCoordinates::asymmetric},
            {"tf_half_pixel_for_nn", ResizeCoordinates::tf_half_pixel_for_nn}};
        static const std::map<std::string, ResizeNearest> rounding{
            {"round_prefer_floor", ResizeNearest::round_prefer_floor}, {"round_prefer_ceil", ResizeNearest::round_prefer_ceil},
            {"floor", ResizeNearest::floor}, {"ceil", ResizeNearest::ceil}};
        const std::string ct = n.attr_string("coordinate_transformation_mode", "half_pixel");
        const std::string nm = n.attr_string("nearest_mode", "round_prefer_floor");
        if (!coords.count(ct)) n.fail("attribute coordinate_transformation_mode '" + ct + "' is not supported");
        if (!rounding.count(nm)) n.fail("attribute nearest_mode '" + nm + "' is not supported");
        o.coordinates = coords.at(ct), o.nearest = rounding.at(nm);
        if (n.attr_int("antialias", 0) != 0) n.fail("attribute antialias " + std::to_string(n.attr_int("antialias", 0)) + " is not supported (only 0)");
        if (n.has("axes")) n.fail("attribute axes is not supported");
        const std::string policy = n.attr_string("keep_aspect_ratio_policy", "stretch");
        if (policy != "stretch") n.fail("attribute keep_aspect_ratio_policy '" + policy + "' is not supported (only stretch)");
    }
    return {resize(x, out, o)};
}

}  // namespace

void register_onnx_pool_ops(OnnxOpTable& t) {
    t["MaxPool"] = [](OnnxOpNode& n) { return pool(n, true); };
    t["AveragePool"] = [](OnnxOpNode& n) { return pool(n, false); };
    t["GlobalMaxPool"] = [](OnnxOpNode& n) { return global_pool(n, true); };
    t["GlobalAveragePool"] = [](OnnxOpNode& n) { return global_pool(n, false); };
    t["Resize"] = resize_op;
    t["Upsample"] = resize_op;
}

}  // namespace xvis::detail
