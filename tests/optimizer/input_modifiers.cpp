// Jitter on its own: known shifts on small tensors in both data formats, 1-D to 3-D images, the drawn shifts'
// range and reproducibility, post() as the identity (keras-vis), per-axis jitter values, errors, and no
// allocation after the first call. (tests/optimizer/optimizer.cpp checks the bounds and a random shift.)
#include <xvis/xvis.hpp>

#include "support/counting_allocator.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

using namespace xvis;

namespace {

std::vector<float> values(const Tensor& t) { return {t.begin(), t.end()}; }

Tensor iota(const Shape& s, float start = 0) {
    Tensor t(s);
    for (std::size_t i = 0; i < t.size(); ++i) t[i] = start + float(i);
    return t;
}

}  // namespace

TEST(Jitter, KnownShiftChannelsFirst) {
    // Two samples of one 2×3 channel: [[0, 1, 2], [3, 4, 5]] and the same + 100. Shift (+1 rows, −1 column),
    // np.roll's sign: out[(i + s) mod n] = in[i]. Rows swap; each row rotates left by one.
    Tensor image({2, 1, 2, 3}, {0, 1, 2, 3, 4, 5, 100, 101, 102, 103, 104, 105});
    Jitter j(0.0, DataFormat::channels_first);
    j.shift(image, {1, -1});
    EXPECT_EQ(values(image), (std::vector<float>{4, 5, 3, 1, 2, 0, 104, 105, 103, 101, 102, 100}));
    j.shift(image, {-1, 1});  // the opposite shift restores the image
    EXPECT_EQ(values(image), (std::vector<float>{0, 1, 2, 3, 4, 5, 100, 101, 102, 103, 104, 105}));
    j.shift(image, {5, -7});  // shifts wrap: 5 ≡ 1 (mod 2), −7 ≡ −1 (mod 3)
    EXPECT_EQ(values(image), (std::vector<float>{4, 5, 3, 1, 2, 0, 104, 105, 103, 101, 102, 100}));
}

TEST(Jitter, KnownShiftChannelsLast) {
    // The same 2×3 image with two channels interleaved: pixel (h, w) holds 10·(3h + w) + c in channel c.
    Tensor image({1, 2, 3, 2}, {0, 1, 10, 11, 20, 21, 30, 31, 40, 41, 50, 51});
    Jitter j(0.0, DataFormat::channels_last);
    j.shift(image, {1, -1});
    // Pixels move as in the channels_first case; the channel pairs stay together.
    EXPECT_EQ(values(image), (std::vector<float>{40, 41, 50, 51, 30, 31, 10, 11, 20, 21, 0, 1}));
}

TEST(Jitter, PreAppliesTheShiftsItReports) {
    for (DataFormat f : {DataFormat::channels_first, DataFormat::channels_last}) {
        const Shape s = f == DataFormat::channels_first ? Shape{2, 3, 8, 6} : Shape{2, 8, 6, 3};
        Jitter drawn(0.25, f, 9), known(0.0, f);
        EXPECT_EQ(drawn.bounds(s), (std::vector<std::int64_t>{2, 1}));  // trunc(8 · 0.25), trunc(6 · 0.25)
        bool moved = false;
        for (int t = 0; t < 10; ++t) {
            Tensor a = iota(s), b = iota(s);
            drawn.pre(a);
            known.shift(b, drawn.last_shifts());
            EXPECT_EQ(values(a), values(b)) << "trial " << t;
            moved = moved || values(a) != values(iota(s));
        }
        EXPECT_TRUE(moved) << "ten draws in [−2, 2] × [−1, 1] all zero";
    }
}

TEST(Jitter, OneAndThreeSpatialAxes) {
    // 1-D: [N, C, L]; shift 1 along L.
    Tensor line({1, 2, 4}, {0, 1, 2, 3, 10, 11, 12, 13});
    Jitter(0.0).shift(line, {1});
    EXPECT_EQ(values(line), (std::vector<float>{3, 0, 1, 2, 13, 10, 11, 12}));
    // 3-D channels_last [N, D, H, W, C]: shift (1, 0, 1) on 2×2×2 voxels, one channel.
    Tensor volume = iota({1, 2, 2, 2, 1});  // voxel (d, h, w) holds 4d + 2h + w
    Jitter(0.0, DataFormat::channels_last).shift(volume, {1, 0, 1});
    // out(d, h, w) = in(d − 1, h, w − 1) (mod 2) = 4(1 − d) + 2h + (1 − w).
    EXPECT_EQ(values(volume), (std::vector<float>{5, 4, 7, 6, 1, 0, 3, 2}));
    Jitter j(1.0, DataFormat::channels_first, 4);
    Tensor v = iota({1, 1, 3, 4, 5});
    j.pre(v);
    EXPECT_EQ(j.last_shifts().size(), 3u);
}

TEST(Jitter, DrawsCoverTheRangeAndAreSeeded) {
    const Shape s{1, 1, 10, 10};
    Jitter a(3.0, DataFormat::channels_first, 21), b(3.0, DataFormat::channels_first, 21), c(3.0, DataFormat::channels_first, 22);
    std::set<std::int64_t> seen;
    bool c_differs = false;
    for (int t = 0; t < 200; ++t) {
        Tensor x = iota(s), y = iota(s), z = iota(s);
        a.pre(x);
        b.pre(y);
        c.pre(z);
        EXPECT_EQ(a.last_shifts(), b.last_shifts()) << "same seed, draw " << t;
        c_differs = c_differs || c.last_shifts() != a.last_shifts();
        for (std::int64_t v : a.last_shifts()) {
            EXPECT_GE(v, -3);
            EXPECT_LE(v, 3);
            seen.insert(v);
        }
    }
    EXPECT_EQ(seen.size(), 7u) << "every integer of [−3, 3] is drawn, both ends included";
    EXPECT_TRUE(c_differs);
}

TEST(Jitter, PostIsTheIdentityAsInKerasVis) {
    // keras-vis's Jitter has no post: the shifts accumulate over the iterations.
    Jitter j(0.5, DataFormat::channels_first, 1);
    Tensor x = iota({1, 2, 6, 6});
    j.pre(x);
    const std::vector<float> shifted = values(x);
    j.post(x);
    EXPECT_EQ(values(x), shifted);
}

TEST(Jitter, PerAxisValues) {
    // keras-vis's tuple form: 0.5 of 10 rows → 5, 2 pixels of columns.
    EXPECT_EQ(Jitter({0.5, 2.0}).bounds({1, 1, 10, 10}), (std::vector<std::int64_t>{5, 2}));
    EXPECT_EQ(Jitter({0.5, 2.0}, DataFormat::channels_last).bounds({1, 10, 8, 3}), (std::vector<std::int64_t>{5, 2}));
    EXPECT_EQ(Jitter(std::vector<double>{0.1}).bounds({1, 1, 30, 50}), (std::vector<std::int64_t>{3, 5}));
    try {
        Jitter({0.5, 2.0}).bounds({1, 1, 4, 4, 4});
        FAIL() << "two values for three spatial axes";
    } catch (const ShapeError& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("2 jitter values"), std::string::npos) << m;
        EXPECT_NE(m.find("3 spatial axes"), std::string::npos) << m;
    }
    EXPECT_THROW(Jitter(std::vector<double>{}), std::invalid_argument);
    EXPECT_THROW(Jitter({0.1, -1.0}), std::invalid_argument);
}

TEST(Jitter, ShiftErrorsNameTheCounts) {
    Jitter j;
    Tensor image({1, 1, 4, 4});
    try {
        j.shift(image, {1});
        FAIL() << "one shift for two spatial axes";
    } catch (const ShapeError& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("Jitter::shift: 1 shifts for the 2 spatial axes"), std::string::npos) << m;
        EXPECT_NE(m.find("[1, 1, 4, 4]"), std::string::npos) << m;
    }
    Tensor flat({2, 4});
    EXPECT_THROW(j.shift(flat, {}), ShapeError);
    EXPECT_THROW(j.pre(flat), ShapeError);
}

TEST(Jitter, AllocatesNothingAfterTheFirstCall) {
    using xvis::testing::allocation_count;
    Jitter j(0.1, DataFormat::channels_last, 5);
    Tensor x = iota({2, 32, 32, 3});
    const std::vector<std::int64_t> back{-1, 2};
    const long at_start = allocation_count();
    j.pre(x);
    const long after_first = allocation_count();
    EXPECT_GT(after_first, at_start) << "the first pre sizes its scratch image (and the counter must see it)";
    for (int t = 0; t < 10; ++t) {
        j.pre(x);
        j.shift(x, back);
        j.post(x);
    }
    EXPECT_EQ(allocation_count(), after_first) << "Jitter allocated after its first call";
}
