// Op-table rows: reductions (sum, mean, max), softmax family, and layout ops (reshape, flatten, transpose,
// slice, pad, concat, roll).
#include "op_table.hpp"
#include "reference/autodiff_reference.hpp"

#include <tuple>

namespace xvis::test {

namespace R = xvis::reference;

namespace {

constexpr std::int64_t full = slice_full;

void add_reduce_rows(std::vector<OpCase>& t, const std::string& kind, Sampler s) {
    struct Variant {
        std::string suffix;
        Axes axes;
        bool keepdims;
    };
    const std::vector<Variant> variants = {
        {"axis1", {1}, false},     {"axis1_keep", {1}, true},  {"axes02", {0, 2}, false}, {"axes02_keep", {0, 2}, true},
        {"all", {}, false},        {"all_keep", {}, true},     {"neg_axis", {-1}, false}, {"neg_axes_keep", {-3, -2}, true},
        {"all_listed", {2, 0, 1}, false},
    };
    for (const auto& v : variants) {
        t.push_back(OpCase(kind + "_" + v.suffix, {{2, 3, 4}},
                           [kind, v](const Inputs& x) {
                               if (kind == "sum") return sum(x[0], v.axes, v.keepdims);
                               if (kind == "mean") return mean(x[0], v.axes, v.keepdims);
                               return max(x[0], v.axes, v.keepdims);
                           },
                           [kind, v](const Values& in) { return R::reduce(in[0], v.axes, v.keepdims, kind); })
                        .sampler(s));
    }
}

OpCase slice_row(const std::string& name, const Shape& shape, Axes begin, Axes end, Axes step,
                 std::vector<std::vector<std::size_t>> pick) {
    return OpCase(name, {shape}, [=](const Inputs& x) { return slice(x[0], begin, end, step); },
                  [=](const Values& v) { return R::gather(v[0], pick); });
}

OpCase transpose_row(const std::string& name, const Shape& shape, std::vector<std::size_t> perm) {
    return OpCase(name, {shape}, [=](const Inputs& x) { return transpose(x[0], perm); },
                  [=](const Values& v) { return R::transpose(v[0], perm); });
}

}  // namespace

std::vector<OpCase> reduce_layout_cases() {
    std::vector<OpCase> t;
    add_reduce_rows(t, "sum", uniform());
    add_reduce_rows(t, "mean", uniform());
    add_reduce_rows(t, "max", distinct());  // distinct values: no ties within a step of the check

    // Softmax family (compositions).
    for (const auto& [name, shape, axis] : std::vector<std::tuple<std::string, Shape, std::int64_t>>{
             {"last_axis", {2, 5}, -1}, {"rank3_axis1", {2, 3, 4}, 1}, {"rank3_axis0", {2, 3, 2}, 0}}) {
        const std::int64_t ax = axis;
        t.push_back(OpCase("softmax_" + name, {shape}, [ax](const Inputs& x) { return softmax(x[0], ax); },
                           [ax](const Values& v) { return R::softmax(v[0], ax); })
                        .sampler(uniform(-2, 2)));
        t.push_back(OpCase("log_softmax_" + name, {shape}, [ax](const Inputs& x) { return log_softmax(x[0], ax); },
                           [ax](const Values& v) { return R::log_softmax(v[0], ax); })
                        .sampler(uniform(-2, 2)));
    }
    t.push_back(OpCase("softmax_large_logits", {{2, 4}}, [](const Inputs& x) { return softmax(x[0] * 100.0); },
                       [](const Values& v) {
                           return R::softmax(R::unary(v[0], [](double e) { return 100.0 * e; }), -1);
                       })
                    .sampler(each({[](const std::vector<Shape>& s, Rng& rng) {
                        // Shifted far from 0: an unshifted exp would overflow; spread keeps the gradient O(1).
                        Values v = uniform(-0.02, 0.02)(s, rng);
                        for (auto& e : v[0]) e += 5.0;
                        return v;
                    }})));
    t.push_back(OpCase("softmax_cross_entropy", {{3, 4}, {3, 4}},
                       [](const Inputs& x) { return softmax_cross_entropy(x[0], x[1]); },
                       [](const Values& v) { return R::softmax_cross_entropy(v[0], v[1]); })
                    .sampler(per_input({{-2, 2}, {0, 1}})));

    // Larger, odd sizes.
    t.push_back(OpCase("sum_large_middle_axis", {{7, 33, 17}}, [](const Inputs& x) { return sum(x[0], {1}); },
                       [](const Values& v) { return R::reduce(v[0], {1}, false, "sum"); }));
    t.push_back(OpCase("max_large_last_axes", {{5, 13, 19}}, [](const Inputs& x) { return max(x[0], {1, 2}, true); },
                       [](const Values& v) { return R::reduce(v[0], {1, 2}, true, "max"); })
                    .sampler(distinct(0.01)));
    t.push_back(OpCase("softmax_large", {{9, 67}}, [](const Inputs& x) { return softmax(x[0]); },
                       [](const Values& v) { return R::softmax(v[0], -1); })
                    .sampler(uniform(-3, 3)));
    t.push_back(transpose_row("transpose_large", {5, 7, 9, 3}, {2, 0, 3, 1}));

    // Reshape and flatten (views).
    t.push_back(OpCase("reshape", {{2, 3, 4}}, [](const Inputs& x) { return reshape(x[0], {4, 6}); },
                       [](const Values& v) { TensorD r = v[0]; r.reshape({4, 6}); return r; }));
    t.push_back(OpCase("reshape_to_scalar", {{1, 1}}, [](const Inputs& x) { return reshape(x[0], {}); },
                       [](const Values& v) { TensorD r = v[0]; r.reshape({}); return r; }));
    t.push_back(OpCase("reshape_then_mul", {{2, 6}}, [](const Inputs& x) { return reshape(x[0], {3, 4}) * reshape(x[0], {3, 4}); },
                       [](const Values& v) {
                           TensorD r = R::unary(v[0], [](double e) { return e * e; });
                           r.reshape({3, 4});
                           return r;
                       }));
    t.push_back(OpCase("flatten", {{2, 3, 2, 2}}, [](const Inputs& x) { return flatten(x[0]); },
                       [](const Values& v) { TensorD r = v[0]; r.reshape({2, 12}); return r; }));

    t.push_back(transpose_row("transpose_2d", {3, 4}, {1, 0}));
    t.push_back(transpose_row("transpose_rank3", {2, 3, 4}, {2, 0, 1}));
    t.push_back(transpose_row("transpose_rank4_nhwc", {2, 3, 2, 4}, {0, 2, 3, 1}));
    t.push_back(transpose_row("transpose_rank4_mixed", {2, 3, 2, 4}, {3, 1, 0, 2}));
    t.push_back(transpose_row("transpose_rank4_identity", {2, 3, 2, 2}, {0, 1, 2, 3}));

    // Slices, with the selected indices written out by hand.
    t.push_back(slice_row("slice_step1", {4, 5}, {1, 0}, {3, 4}, {}, {{1, 2}, {0, 1, 2, 3}}));
    t.push_back(slice_row("slice_step2", {5, 6}, {0, 1}, {full, full}, {2, 2}, {{0, 2, 4}, {1, 3, 5}}));
    t.push_back(slice_row("slice_reverse", {5, 4}, {}, {}, {-1}, {{4, 3, 2, 1, 0}, {0, 1, 2, 3}}));
    t.push_back(slice_row("slice_neg_step2", {5, 4}, {-2, full}, {0, full}, {-2, -3}, {{3, 1}, {3, 0}}));
    t.push_back(slice_row("slice_neg_begin", {5, 4}, {-3}, {full}, {}, {{2, 3, 4}, {0, 1, 2, 3}}));
    t.push_back(slice_row("slice_clamped", {5, 4}, {-100, 1}, {100, -1}, {}, {{0, 1, 2, 3, 4}, {1, 2}}));
    t.push_back(slice_row("slice_middle_axis", {2, 5, 3}, {0, 1}, {full, 4}, {}, {{0, 1}, {1, 2, 3}, {0, 1, 2}}));

    t.push_back(OpCase("pad_2d", {{2, 3}}, [](const Inputs& x) { return pad(x[0], {1, 0}, {0, 2}); },
                       [](const Values& v) { return R::pad(v[0], {1, 0}, {0, 2}, 0.0); }));
    t.push_back(OpCase("pad_rank3_value", {{2, 2, 3}}, [](const Inputs& x) { return pad(x[0], {0, 1, 2}, {1, 0, 1}, 1.5); },
                       [](const Values& v) { return R::pad(v[0], {0, 1, 2}, {1, 0, 1}, 1.5); }));
    t.push_back(OpCase("pad_trailing_default", {{2, 3}}, [](const Inputs& x) { return pad(x[0], {1}, {}); },
                       [](const Values& v) { return R::pad(v[0], {1, 0}, {0, 0}, 0.0); }));

    t.push_back(OpCase("concat3_middle_axis", {{2, 1, 3}, {2, 2, 3}, {2, 3, 3}},
                       [](const Inputs& x) { return concat({x[0], x[1], x[2]}, 1); },
                       [](const Values& v) { return R::concat(v, 1); }));
    t.push_back(OpCase("concat_neg_axis", {{2, 2}, {2, 1}, {2, 3}}, [](const Inputs& x) { return concat(x, -1); },
                       [](const Values& v) { return R::concat(v, 1); }));
    t.push_back(OpCase("concat_axis0", {{1, 3}, {2, 3}}, [](const Inputs& x) { return concat(x, 0); },
                       [](const Values& v) { return R::concat(v, 0); }));
    t.push_back(OpCase("concat_same_input_twice", {{2, 2}}, [](const Inputs& x) { return concat({x[0], x[0]}, 1); },
                       [](const Values& v) { return R::concat({v[0], v[0]}, 1); }));

    t.push_back(OpCase("roll_two_axes", {{3, 4}}, [](const Inputs& x) { return roll(x[0], {-1, 5}, {0, 1}); },
                       [](const Values& v) { return R::roll(v[0], {-1, 5}); }));
    t.push_back(OpCase("roll_oversized", {{5}}, [](const Inputs& x) { return roll(x[0], {7}, {0}); },
                       [](const Values& v) { return R::roll(v[0], {7}); }));
    t.push_back(OpCase("roll_neg_axes", {{3, 4}}, [](const Inputs& x) { return roll(x[0], {2, -3}, {-1, 0}); },
                       [](const Values& v) { return R::roll(v[0], {-3, 2}); }));
    t.push_back(OpCase("roll_repeated_axis", {{3, 4}}, [](const Inputs& x) { return roll(x[0], {1, 2}, {1, 1}); },
                       [](const Values& v) { return R::roll(v[0], {0, 3}); }));
    t.push_back(OpCase("roll_rank4_spatial", {{1, 2, 3, 3}}, [](const Inputs& x) { return roll(x[0], {-4, 1}, {2, 3}); },
                       [](const Values& v) { return R::roll(v[0], {0, 0, -4, 1}); }));
    return t;
}

}  // namespace xvis::test
