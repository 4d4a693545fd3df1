// The team watch of tensor/detail/team.hpp: process-wide state, atomics only (kernels run from any thread).
#include <xvis/tensor/detail/team.hpp>

#include <algorithm>
#include <atomic>

namespace xvis::kernels::detail {

namespace {

constexpr std::int64_t ms = 1'000'000;
constexpr std::int64_t late_floor = 1 * ms;  // a wait below this is a wake-up or a cache miss, not a lost slice
constexpr std::int64_t first_back_off = 100 * ms;
constexpr std::int64_t max_back_off = 1600 * ms;
// A second late region within this long of the first: a lone late region is a hiccup of the host (a vCPU
// descheduled for a few ms, seen about once a second on an idle VM), which stepping down for 100 ms or more
// costs more than it saves; a busy core makes every region late.
constexpr std::int64_t repeat_window = 50 * ms;

std::atomic<bool> watching{true};
std::atomic<std::int64_t> down_until{0};  // team_clock() until which regions take one thread
std::atomic<std::int64_t> back_off{first_back_off};
std::atomic<std::int64_t> last_late{0};  // end of the last late region (0: none yet)

}  // namespace

void set_team_watch(bool on) {  // and forgets what it saw
    watching.store(on, std::memory_order_relaxed);
    down_until.store(0, std::memory_order_relaxed);
    back_off.store(first_back_off, std::memory_order_relaxed);
    last_late.store(0, std::memory_order_relaxed);
}

bool team_watch() { return watching.load(std::memory_order_relaxed); }

bool team_stepped_down(std::int64_t now) { return now < down_until.load(std::memory_order_relaxed); }

int team_threads() {
#ifdef XVIS_HAVE_OPENMP
    if (omp_in_parallel()) return 1;
    const int n = omp_get_max_threads();
    return n > 1 && team_stepped_down(team_clock()) ? 1 : n;
#else
    return 1;
#endif
}

void team_region(std::int64_t fork, std::int64_t master_begin, std::int64_t master_done, std::int64_t end) {
    const std::int64_t waited = (master_begin - fork) + (end - master_done), share = master_done - master_begin;
    if (waited <= late_floor || 2 * waited <= share || !watching.load(std::memory_order_relaxed)) return;
    const std::int64_t before = last_late.exchange(end, std::memory_order_relaxed);
    if (before == 0 || end - before > repeat_window) return;
    // Late right after the last back-off ended (within as long again): the other process is still there, so
    // wait twice as long before trying the whole team again; otherwise start over from the first back-off.
    const std::int64_t last_end = down_until.load(std::memory_order_relaxed);
    const std::int64_t previous = back_off.load(std::memory_order_relaxed);
    const std::int64_t next = end - last_end < previous ? std::min(2 * previous, max_back_off) : first_back_off;
    back_off.store(next, std::memory_order_relaxed);
    down_until.store(end + next, std::memory_order_relaxed);
}

}  // namespace xvis::kernels::detail
