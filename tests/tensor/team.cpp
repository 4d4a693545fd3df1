// The team watch (tensor/detail/team.hpp): when it steps the kernels down to one thread, the back-off it keeps,
// and that kernels give the same bits on a stepped-down team. Synthetic timestamps: nothing here is timed.
#include <xvis/tensor/conv2d.hpp>
#include <xvis/tensor/detail/team.hpp>
#include <xvis/tensor/gemm.hpp>
#include <xvis/tensor/runtime.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace {

using namespace xvis;
using namespace xvis::kernels::detail;

constexpr std::int64_t ms = 1'000'000;

// Restores the thread count and a fresh, watching team watch.
struct TeamGuard {
    int saved = num_threads();
    TeamGuard() { set_team_watch(true); }
    ~TeamGuard() {
        set_num_threads(saved);
        set_team_watch(true);
    }
};

// A region that ended at `end`, 5 ms after its fork, whose master did its share in 0.1 ms (it waited 4.9 ms for a
// descheduled thread), while other processes kept the CPUs busy.
void late_region(std::int64_t end, OtherLoad others = OtherLoad::busy) {
    ASSERT_TRUE(team_region_late(end - 5 * ms, end - 5 * ms, end - 5 * ms + ms / 10, end));
    team_late(end, others);
}

// Two late regions, 10 ms apart, the second ending at `end`: what a busy core does.
void late_regions(std::int64_t end) {
    late_region(end - 10 * ms);
    late_region(end);
}

TEST(TeamWatch, WaitsOfEvenWorkAreNotLate) {
    const std::int64_t t = 1000 * ms;
    EXPECT_FALSE(team_region_late(t, t, t + 10 * ms, t + 10 * ms + ms / 2));  // 0.5 ms at the join: a wake-up
    EXPECT_FALSE(team_region_late(t, t + ms / 2, t + 5 * ms, t + 6 * ms));    // 0.5 + 1 ms, not over half the 4.5 ms share
    EXPECT_FALSE(team_region_late(t, t + ms / 2, t + ms / 2, t + ms));        // 1 ms in all: not more than the floor
    EXPECT_TRUE(team_region_late(t, t + 3 * ms, t + 3 * ms + ms / 10, t + 4 * ms));  // the fork waited 3 ms
    EXPECT_TRUE(team_region_late(t, t, t + ms, t + 3 * ms));                  // the join 2 ms, the share 1 ms
}

TEST(TeamWatch, ALateRegionStepsDownOnlyWhenAnotherFollowsWithin50ms) {
    TeamGuard guard;
    const std::int64_t t = 1000 * ms;
    late_region(t);
    EXPECT_FALSE(team_stepped_down(t));  // alone
    late_region(t + 3 * ms);             // late again 3 ms later
    EXPECT_TRUE(team_stepped_down(t + 4 * ms));
    set_team_watch(true);
    EXPECT_FALSE(team_stepped_down(t + 4 * ms));
    EXPECT_FALSE(team_stepped_down(t + 100 * ms));
}

// Late regions on a machine whose other processes leave the team its cores: a host hiccup (a vCPU woken late,
// a kernel thread), however often.
TEST(TeamWatch, LateRegionsWithTheCoresFreeNeverStepDown) {
    TeamGuard guard;
    for (std::int64_t end = 1000 * ms; end < 2000 * ms; end += 2 * ms) {
        late_region(end, OtherLoad::free);
        EXPECT_FALSE(team_stepped_down(end)) << end / ms;
    }
    late_region(2000 * ms);  // others busy now, and the last late region 2 ms ago
    EXPECT_TRUE(team_stepped_down(2000 * ms));
}

TEST(TeamWatch, OthersLoadFromCpuTimes) {
    const std::int64_t s = 1'000'000'000;
    const CpuTimes before{1 * s, 50 * s, 10 * s};
    // 2 CPUs, a team of 2, over 0.2 s: the others' cores are (Δall − Δself) / Δat.
    const auto after = [&](double all, double self) {
        return CpuTimes{1 * s + s / 5, 50 * s + std::int64_t(all * 0.2 * double(s)), 10 * s + std::int64_t(self * 0.2 * double(s))};
    };
    EXPECT_EQ(judge_other_load(before, after(2.0, 2.0), 2, 2), OtherLoad::free);  // the team alone
    EXPECT_EQ(judge_other_load(before, after(2.3, 2.0), 2, 2), OtherLoad::free);  // kernel threads, 0.3 cores
    EXPECT_EQ(judge_other_load(before, after(2.0, 1.0), 2, 2), OtherLoad::busy);  // a busy core took half the team's
    EXPECT_EQ(judge_other_load(before, after(1.7, 1.0), 2, 2), OtherLoad::busy);  // 0.7 cores
    EXPECT_EQ(judge_other_load(before, after(1.4, 1.0), 2, 2), OtherLoad::free);  // 0.4 cores
    // 64 CPUs, a team of 2: 61 busy cores of others leave the team its two.
    EXPECT_EQ(judge_other_load(before, after(63.0, 2.0), 64, 2), OtherLoad::free);
    EXPECT_EQ(judge_other_load(before, after(64.0, 1.0), 64, 2), OtherLoad::busy);
    EXPECT_EQ(judge_other_load(before, before, 2, 2), OtherLoad::free);  // no time between: nothing to tell
}

TEST(TeamWatch, ProcStatBusyTicks) {
    // user nice system idle iowait irq softirq steal guest guest_nice: busy = user + nice + system + irq + softirq
    EXPECT_EQ(parse_proc_stat_busy("cpu  173524 7 54358 196747 1001 3 764 11 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n"),
              173524 + 7 + 54358 + 3 + 764);
    EXPECT_EQ(parse_proc_stat_busy("cpu  1 2 3 4 5 6 7\n"), 1 + 2 + 3 + 6 + 7);
    EXPECT_EQ(parse_proc_stat_busy("cpu0 1 2 3 4 5 6 7\n"), -1);  // a CPU's line, not the sum
    EXPECT_EQ(parse_proc_stat_busy("cpu  1 2 3\n"), -1);          // too few fields
    EXPECT_EQ(parse_proc_stat_busy("intr 1 2 3 4 5 6 7\n"), -1);
    EXPECT_EQ(parse_proc_stat_busy(""), -1);
}

TEST(TeamWatch, LoneLateRegionsDoNotStepDown) {
    TeamGuard guard;
    for (std::int64_t end = 1000 * ms; end < 2000 * ms; end += 51 * ms) {  // one a little over 50 ms after another
        late_region(end);
        EXPECT_FALSE(team_stepped_down(end)) << end / ms;
    }
}

TEST(TeamWatch, ALateTeamStepsDownFor100msDoublingWhileItStaysLate) {
    TeamGuard guard;
    std::int64_t end = 1000 * ms;
    late_regions(end);
    EXPECT_TRUE(team_stepped_down(end));
    EXPECT_TRUE(team_stepped_down(end + 100 * ms - 1));
    EXPECT_FALSE(team_stepped_down(end + 100 * ms));
    std::int64_t back_off = 100 * ms;
    for (const std::int64_t expected : {200, 400, 800, 1600, 1600}) {
        end += back_off + 20 * ms;  // the whole team again, and late 10 and 20 ms later
        late_regions(end);
        EXPECT_TRUE(team_stepped_down(end + expected * ms - 1)) << expected;
        EXPECT_FALSE(team_stepped_down(end + expected * ms)) << expected;
        back_off = expected * ms;
    }
    // On time for longer than the last back-off: the next late region starts over at 100 ms.
    end += 2 * back_off + 20 * ms;
    late_regions(end);
    EXPECT_TRUE(team_stepped_down(end + 100 * ms - 1));
    EXPECT_FALSE(team_stepped_down(end + 100 * ms));
}

TEST(TeamWatch, OffNeverStepsDown) {
    TeamGuard guard;
    set_adaptive_threads(false);
    EXPECT_FALSE(adaptive_threads());
    late_regions(1000 * ms);
    EXPECT_FALSE(team_stepped_down(1000 * ms));
    set_adaptive_threads(true);
    EXPECT_TRUE(adaptive_threads());
}

TEST(TeamWatch, SteppedDownTeamIsOneThread) {
    TeamGuard guard;
    set_num_threads(2);
    const int team = build_info().openmp ? 2 : 1;
    EXPECT_EQ(team_threads(), team);
    late_regions(team_clock() + 10'000 * ms);  // stepped down for the next 10 s
    EXPECT_EQ(team_threads(), 1);
    set_team_watch(true);  // forgets
    EXPECT_EQ(team_threads(), team);
}

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

std::vector<float> ramp(std::size_t n, float scale) {
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = scale * static_cast<float>(static_cast<int>((i * 7919) % 201) - 100);
    return v;
}

// GEMM (threads over C tiles) and convolutions (batch 1: threads in the GEMM and im2col / col2im; batch 8 of
// small images: whole images per thread, dw summed in fixed partials) on the whole team and stepped down.
std::vector<std::vector<float>> kernel_results() {
    std::vector<std::vector<float>> out;
    const std::size_t M = 200, N = 300, K = 250;
    const auto a = ramp(M * K, 0.01f), b = ramp(K * N, 0.02f);
    std::vector<float> c(M * N);
    kernels::gemm<float>(false, false, M, N, K, 1.0f, a.data(), K, b.data(), N, 0.0f, c.data(), N);
    out.push_back(c);
    for (const Shape& xs : {Shape{1, 16, 40, 40}, Shape{8, 4, 12, 12}}) {
        const Shape ws{16, xs[1], 3, 3};
        kernels::Conv2dParams p;
        p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
        const auto g = kernels::make_conv2d_geometry(xs, ws, p);
        const auto x = ramp(shape_size(xs), 0.03f), w = ramp(shape_size(ws), 0.05f);
        std::vector<float> y(shape_size(g.output_shape())), dx(x.size()), dw(w.size()), work(kernels::conv2d_workspace_size(g) + 1);
        kernels::conv2d_forward(g, x.data(), w.data(), y.data(), work.data());
        const auto& dy = y;
        kernels::conv2d_backward_data(g, dy.data(), w.data(), dx.data(), work.data());
        kernels::conv2d_backward_weights(g, x.data(), dy.data(), dw.data(), work.data());
        out.insert(out.end(), {y, dx, dw});
    }
    return out;
}

TEST(TeamWatch, KernelsGiveTheSameBitsSteppedDown) {
    TeamGuard guard;
    set_num_threads(2);
    const auto whole = kernel_results();
    late_regions(team_clock() + 10'000 * ms);
    ASSERT_EQ(team_threads(), 1);
    const auto stepped = kernel_results();
    ASSERT_EQ(whole.size(), stepped.size());
    for (std::size_t i = 0; i < whole.size(); ++i) EXPECT_TRUE(same_bits(whole[i], stepped[i])) << "result " << i;
}

}  // namespace
