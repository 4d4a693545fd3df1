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

std::atomic<bool> watching{true};
std::atomic<std::int64_t> down_until{0};  // team_clock() until which regions take one thread
std::atomic<std::int64_t> back_off{first_back_off};

}  // namespace

void set_team_watch(bool on) {  // and forgets what it saw
    watching.store(on, std::memory_order_relaxed);
    down_until.store(0, std::memory_order_relaxed);
    back_off.store(first_back_off, std::memory_order_relaxed);
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
    // Late right after the last back-off ended (within as long again): the other process is still there, so
    // wait twice as long before trying the whole team again; otherwise start over from the first back-off.
    const std::int64_t last_end = down_until.load(std::memory_order_relaxed);
    const std::int64_t previous = back_off.load(std::memory_order_relaxed);
    const std::int64_t next = end - last_end < previous ? std::min(2 * previous, max_back_off) : first_back_off;
    back_off.store(next, std::memory_order_relaxed);
    down_until.store(end + next, std::memory_order_relaxed);
}

}  // namespace xvis::kernels::detail
