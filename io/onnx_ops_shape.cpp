// ONNX layout ops: Reshape, Flatten, Transpose, Squeeze / Unsqueeze, Concat, Split, Slice, Gather, Expand,
// Tile, Pad. Values known at import (shapes, axes) arrive as constants (see onnx_ops_constant.cpp).
#include <xvis/autodiff/ops.hpp>
#include <xvis/io/detail/onnx_ops.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace xvis::detail {

namespace {

// Axes from the attribute (before `input_from`) or the optional input `index` (from that opset on).
std::vector<std::int64_t> axes_of(OnnxOpNode& n, int input_from, std::size_t index) {
    if (n.opset >= input_from) return n.has_input(index) ? n.static_ints(index) : std::vector<std::int64_t>{};
    const auto a = n.attr_ints("axes", {});
    return {a.begin(), a.end()};
}

std::vector<Node> reshape_op(OnnxOpNode& n) {
    const Node& x = n.input(0);
    std::vector<std::int64_t> dims = n.opset >= 5 ? n.static_ints(1) : std::vector<std::int64_t>(n.attr_ints("shape", {}).begin(), n.attr_ints("shape", {}).end());
    const bool allow_zero = n.attr_int("allowzero", 0) != 0;
    // A shape exported with the batch baked in follows the batch being built: [1, 512] for batch 1, and a
    // leading axis that folds the batch in ([B·windows, 16, 16] in Swin) when the element counts say so.
    if (!dims.empty() && n.batch != n.export_batch) {
        const auto eb = static_cast<std::int64_t>(n.export_batch), b = static_cast<std::int64_t>(n.batch);
        std::size_t fixed = 1;
        bool plain = true;
        for (std::size_t i = 0; i < dims.size(); ++i) {
            if (dims[i] < 0 || (dims[i] == 0 && !allow_zero)) plain = false;
            else fixed *= static_cast<std::size_t>(dims[i]);
        }
        if (plain) {  // every extent given: rescale the leading one when exactly the batch's factor is missing
            if (fixed != x.size() && dims[0] % eb == 0 && fixed * n.batch == x.size() * n.export_batch) dims[0] = dims[0] / eb * b;
        } else if (dims[0] == eb && !x.shape().empty() && x.shape()[0] == n.batch) {
            dims[0] = b;  // [1, -1]: the -1 then takes the rest
        }
    }
    Shape out(dims.size());
    std::size_t known = 1;
    int infer = -1;
    for (std::size_t i = 0; i < dims.size(); ++i) {
        if (dims[i] == 0 && !allow_zero) {
            if (i >= x.rank()) n.fail("shape entry " + std::to_string(i) + " is 0 (copy) but the input " + shape_to_string(x.shape()) + " has no such axis");
            out[i] = x.shape()[i];
        } else if (dims[i] == -1) {
            if (infer >= 0) n.fail("shape has two -1 entries");
            infer = static_cast<int>(i);
            continue;
        } else if (dims[i] < 0) {
            n.fail("shape entry " + std::to_string(dims[i]) + " is invalid");
        } else {
            out[i] = static_cast<std::size_t>(dims[i]);
        }
        known *= out[i];
    }
    if (infer >= 0) {
        if (known == 0 || x.size() % known != 0)
            n.fail("cannot infer -1: input " + shape_to_string(x.shape()) + " into shape with known product " + std::to_string(known));
        out[static_cast<std::size_t>(infer)] = x.size() / known;
    }
    if (shape_size(out) != x.size())
        n.fail("input " + shape_to_string(x.shape()) + " cannot be reshaped to " + shape_to_string(out) +
               (n.batch != n.export_batch ? " (the model was exported for batch " + std::to_string(n.export_batch) +
                                                 " and this reshape does not follow the batch: explain one image at a time)"
                                           : ""));
    return {reshape(x, out)};
}

std::vector<Node> flatten_op(OnnxOpNode& n) {
    const Node& x = n.input(0);
    const auto r = static_cast<std::int64_t>(x.rank());
    const std::int64_t a = n.attr_int("axis", 1);
    if (a < -r || a > r) n.fail("axis " + std::to_string(a) + " is out of range for rank " + std::to_string(r));
    const auto axis = static_cast<std::size_t>(a < 0 ? a + r : a);
    std::size_t outer = 1;
    for (std::size_t i = 0; i < axis; ++i) outer *= x.shape()[i];
    return {reshape(x, {outer, outer == 0 ? 0 : x.size() / std::max<std::size_t>(outer, 1)})};
}

std::vector<Node> transpose_op(OnnxOpNode& n) {
    const Node& x = n.input(0);
    std::vector<std::size_t> perm(x.rank());
    std::iota(perm.rbegin(), perm.rend(), std::size_t(0));
    if (n.has("perm")) {
        const auto p = n.attr_ints("perm", {});
        if (p.size() != x.rank()) n.fail("perm has " + std::to_string(p.size()) + " entries for rank " + std::to_string(x.rank()));
        for (std::size_t i = 0; i < p.size(); ++i) perm[i] = onnx_axis(n, p[i], x.rank());
    }
    return {transpose(x, perm)};
}

// An axis that indexes x's shape. onnx_axis lets axis 0 through for a scalar (ops that accept one); these ops read
// x.shape()[axis], which a scalar does not have (found by fuzzing: tests/fuzz/regressions/onnx/split_scalar.onnx).
std::size_t shape_axis(const OnnxOpNode& n, std::int64_t axis, const Node& x) {
    if (x.rank() == 0) n.fail("axis " + std::to_string(axis) + " of a scalar: the input has rank 0");
    return onnx_axis(n, axis, x.rank());
}

std::vector<Node> squeeze_op(OnnxOpNode& n) {
    const Node& x = n.input(0);
    const auto axes = axes_of(n, 13, 1);
    std::vector<bool> drop(x.rank(), false);
    for (auto a : axes) {
        const std::size_t k = shape_axis(n, a, x);
        if (x.shape()[k] != 1) n.fail("axis " + std::to_string(a) + " of " + shape_to_string(x.shape()) + " is not 1");
        drop[k] = true;
    }
    Shape out;
    for (std::size_t i = 0; i < x.rank(); ++i)
        if (!(axes.empty() ? x.shape()[i] == 1 : drop[i])) out.push_back(x.shape()[i]);
    return {reshape(x, out)};
}

std::vector<Node> unsqueeze_op(OnnxOpNode& n) {
    const Node& x = n.input(0);
    const auto axes = axes_of(n, 13, 1);
    const std::size_t rank = x.rank() + axes.size();
    std::vector<bool> inserted(rank, false);
    for (auto a : axes) {
        const std::size_t k = onnx_axis(n, a, rank);
        if (inserted[k]) n.fail("axis " + std::to_string(a) + " is given twice");
        inserted[k] = true;
    }
    Shape out;
    std::size_t next = 0;
    for (std::size_t i = 0; i < rank; ++i) out.push_back(inserted[i] ? 1 : x.shape()[next++]);
    return {reshape(x, out)};
}

std::vector<Node> concat_op(OnnxOpNode& n) {
    std::vector<Node> xs;
    for (std::size_t i = 0; i < n.inputs.size(); ++i)
        if (n.has_input(i) && n.input(i).size() > 0) xs.push_back(n.input(i));  // empty shape tensors add nothing
    if (xs.empty()) return {n.input(0)};
    if (xs.size() == 1) return {xs[0]};
    const auto axis = static_cast<std::int64_t>(onnx_axis(n, n.attr_int("axis", 0), xs[0].rank()));
    // Built for another batch than a batch-1 export: an operand still of batch 1 (ViT's class token, expanded
    // to a baked [1, 1, D]) did not come from the input, so it is the same for every sample: broadcast it.
    if (n.export_batch == 1 && n.batch != 1 && axis != 0) {
        bool batched = false;
        for (const auto& x : xs) batched = batched || (x.rank() > 0 && x.shape()[0] == n.batch);
        for (auto& x : xs)
            if (batched && x.rank() > 0 && x.shape()[0] == 1) {
                Shape s = x.shape();
                s[0] = n.batch;
                x = broadcast_to(x, s);
            }
    }
    return {concat(xs, axis)};
}

std::vector<Node> split_op(OnnxOpNode& n) {
    const Node& x = n.input(0);
    const std::size_t axis = shape_axis(n, n.attr_int("axis", 0), x);
    std::vector<std::int64_t> sizes;
    if (n.opset >= 13) {
        if (n.has_input(1)) sizes = n.static_ints(1);
    } else {
        const auto s = n.attr_ints("split", {});
        sizes.assign(s.begin(), s.end());
    }
    const std::size_t k = n.num_outputs(), len = x.shape()[axis];
    if (sizes.empty()) {  // equal parts; the last one smaller when the axis does not divide (opset 18's rule)
        const std::size_t part = (len + k - 1) / k;
        for (std::size_t i = 0; i < k; ++i) sizes.push_back(static_cast<std::int64_t>(std::min(part, len - std::min(len, part * i))));
    }
    if (sizes.size() != k) n.fail("split has " + std::to_string(sizes.size()) + " sizes for " + std::to_string(k) + " outputs");
    std::vector<Node> out;
    std::int64_t begin = 0;
    for (auto s : sizes) {
        if (s < 0) n.fail("split size " + std::to_string(s) + " is negative");
        Axes b(x.rank(), 0), e(x.rank(), slice_full);
        b[axis] = begin, e[axis] = begin + s;
        out.push_back(slice(x, b, e));
        begin += s;
    }
    if (begin != static_cast<std::int64_t>(len)) n.fail("split sizes add up to " + std::to_string(begin) + ", the axis has " + std::to_string(len));
    return out;
}

std::vector<Node> slice_op(OnnxOpNode& n) {
    const Node& x = n.input(0);
    std::vector<std::int64_t> starts, ends, axes, steps;
    if (n.opset >= 10) {
        starts = n.static_ints(1), ends = n.static_ints(2);
        if (n.has_input(3)) axes = n.static_ints(3);
        if (n.has_input(4)) steps = n.static_ints(4);
    } else {
        for (auto v : n.attr_ints("starts", {})) starts.push_back(v);
        for (auto v : n.attr_ints("ends", {})) ends.push_back(v);
        for (auto v : n.attr_ints("axes", {})) axes.push_back(v);
    }
    if (starts.size() != ends.size()) n.fail("starts and ends differ in length");
    if (axes.empty())
        for (std::size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<std::int64_t>(i));
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (axes.size() != starts.size() || steps.size() != starts.size()) n.fail("starts, ends, axes and steps differ in length");
    Axes b(x.rank(), 0), e(x.rank(), slice_full), s(x.rank(), 1);
    for (std::size_t i = 0; i < axes.size(); ++i) {
        const std::size_t a = shape_axis(n, axes[i], x);
        if (steps[i] == 0) n.fail("step 0 on axis " + std::to_string(a));
        const auto dim = static_cast<std::int64_t>(x.shape()[a]);
        // ONNX clamps to [0, dim] (or [−1, dim−1] walking backwards); INT64_MAX / INT64_MIN mean "to the end".
        auto clamp_index = [&](std::int64_t v, bool end) {
            if (v < 0) v += dim;
            if (steps[i] > 0) return std::clamp<std::int64_t>(v, 0, dim);
            return std::clamp<std::int64_t>(v, end ? -1 : 0, dim - 1);
        };
        b[a] = clamp_index(starts[i], false);
        const std::int64_t stop = clamp_index(std::max<std::int64_t>(ends[i], -dim - 1), true);
        // slice() reads a negative end as counted from the end: "before index 0" walking backwards is −dim − 1.
        e[a] = stop < 0 ? -dim - 1 : stop;
        s[a] = steps[i];
    }
    return {slice(x, b, e, s)};
}

std::vector<Node> gather_op(OnnxOpNode& n) {
    return {gather(n.input(0), n.input(1), static_cast<std::int64_t>(onnx_axis(n, n.attr_int("axis", 0), n.input(0).rank())))};
}

std::vector<Node> expand_op(OnnxOpNode& n) {
    const Node& x = n.input(0);
    // Expand's shape may hold 1 where x is larger: check the broadcast result, not the shape alone.
    const auto dims = n.static_ints(1);
    for (auto d : dims)
        if (d < 0) n.fail("shape has a negative dimension " + std::to_string(d));
    const Shape target(dims.begin(), dims.end());
    const Shape out = broadcast_shapes(x.shape(), target, "Expand");
    std::vector<std::int64_t> out_dims(out.begin(), out.end());
    onnx_shape(n, out_dims, "the expanded shape");
    return {broadcast_to(x, out)};
}

// Tile. Rank <= 3: broadcast [a, b] as [1, a, 1, b] → [r, a, s, b] and reshape to [r·a, s·b] (one op, any
// repeat count). Higher ranks: each repeated axis as a concatenation of up to 256 copies along it.
std::vector<Node> tile_op(OnnxOpNode& n) {
    Node y = n.input(0);
    const auto reps = n.static_ints(1);
    if (reps.size() != y.rank()) n.fail("repeats has " + std::to_string(reps.size()) + " entries for rank " + std::to_string(y.rank()));
    std::size_t total = y.size();
    for (std::size_t i = 0; i < reps.size(); ++i) {
        if (reps[i] < 0) n.fail("repeat " + std::to_string(reps[i]) + " is negative");
        if (total > 0 && static_cast<std::size_t>(reps[i]) > n.max_elements / total)
            n.fail("repeat " + std::to_string(reps[i]) + " on axis " + std::to_string(i) + " makes more than " + std::to_string(n.max_elements) + " elements");
        total *= static_cast<std::size_t>(reps[i]);
    }
    if (2 * y.rank() <= max_rank) {
        Shape spread, target, out;
        for (std::size_t i = 0; i < y.rank(); ++i) {
            spread.insert(spread.end(), {1, y.shape()[i]});
            target.insert(target.end(), {static_cast<std::size_t>(reps[i]), y.shape()[i]});
            out.push_back(static_cast<std::size_t>(reps[i]) * y.shape()[i]);
        }
        return {reshape(broadcast_to(reshape(y, spread), target), out)};
    }
    for (std::size_t i = 0; i < reps.size(); ++i) {
        if (reps[i] == 1) continue;
        if (reps[i] > 256) n.fail("repeat " + std::to_string(reps[i]) + " on axis " + std::to_string(i) + " of a rank-" + std::to_string(y.rank()) + " tensor (at most 256)");
        if (reps[i] == 0) {
            Axes b(y.rank(), 0), e(y.rank(), slice_full);
            e[i] = 0;
            y = slice(y, b, e);
            continue;
        }
        y = concat(std::vector<Node>(static_cast<std::size_t>(reps[i]), y), static_cast<std::int64_t>(i));
    }
    return {y};
}

std::vector<Node> pad_op(OnnxOpNode& n) {
    const Node& x = n.input(0);
    std::vector<std::int64_t> pads;
    double value = 0;
    if (n.opset >= 11) {
        pads = n.static_ints(1);
        if (n.has_input(2)) value = n.static_scalar(2);
        if (n.has_input(3)) n.fail("the axes input is not supported");
    } else {
        for (auto p : n.attr_ints("pads", {})) pads.push_back(p);
        value = n.attr_float("value", 0);
    }
    const std::size_t r = x.rank();
    if (pads.size() != 2 * r) n.fail("pads has " + std::to_string(pads.size()) + " entries, expected " + std::to_string(2 * r));
    const std::string mode = n.attr_string("mode", "constant");
    PadMode m = PadMode::constant;
    if (mode == "reflect") m = PadMode::reflect;
    else if (mode == "edge") m = PadMode::edge;
    else if (mode != "constant") n.fail("mode '" + mode + "' is not supported (constant, reflect, edge)");
    // Negative pads crop: slice first, then pad what is left.
    Axes b(r, 0), e(r, slice_full);
    std::vector<std::size_t> before(r), after(r);
    bool crop = false;
    for (std::size_t i = 0; i < r; ++i) {
        if (pads[i] < 0) b[i] = -pads[i], crop = true;
        if (pads[i + r] < 0) e[i] = static_cast<std::int64_t>(x.shape()[i]) + pads[i + r], crop = true;
        before[i] = static_cast<std::size_t>(std::max<std::int64_t>(pads[i], 0));
        after[i] = static_cast<std::size_t>(std::max<std::int64_t>(pads[i + r], 0));
    }
    Node y = crop ? slice(x, b, e) : x;
    return {pad(y, before, after, m, value)};
}

}  // namespace

void register_onnx_shape_ops(OnnxOpTable& t) {
    t["Reshape"] = reshape_op;
    t["Flatten"] = flatten_op;
    t["Transpose"] = transpose_op;
    t["Squeeze"] = squeeze_op;
    t["Unsqueeze"] = unsqueeze_op;
    t["Concat"] = concat_op;
    t["Split"] = split_op;
    t["Slice"] = slice_op;
    t["Gather"] = gather_op;
    t["Expand"] = expand_op;
    t["Tile"] = tile_op;
    t["Pad"] = pad_op;
}

}  // namespace xvis::detail
