// The team watch of tensor/detail/team.hpp: process-wide state (kernels run from any thread): atomics, and a
// mutex around the CPU-time reading, which only late regions take.
#include <xvis/tensor/detail/team.hpp>
#include <xvis/tensor/runtime.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#if defined(__linux__)
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>
#endif

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

// Others' load is judged over 100 ms or more: /proc/stat counts in ticks (10 ms), so a shorter window could not
// tell half a core from none.
constexpr std::int64_t load_window = 100 * ms;
std::mutex load_mutex;                  // the reading below; a late region that finds it taken uses the verdict
CpuTimes load_reading;                  // at == 0: none yet
std::atomic<bool> others_busy{false};  // the last verdict

#if defined(__linux__)
// Now's CPU times; false when /proc/stat cannot be read. No allocation: one read into a stack buffer.
bool read_cpu_times(std::int64_t now, CpuTimes& t) {
    const int fd = ::open("/proc/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    char buf[512];
    const ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0) return false;
    buf[n] = '\0';
    const std::int64_t ticks = parse_proc_stat_busy(buf);
    const long hz = ::sysconf(_SC_CLK_TCK);
    rusage ru{};
    if (ticks < 0 || hz <= 0 || ::getrusage(RUSAGE_SELF, &ru) != 0) return false;
    const auto ns = [](const timeval& v) { return std::int64_t(v.tv_sec) * 1'000'000'000 + std::int64_t(v.tv_usec) * 1000; };
    t = CpuTimes{now, ticks * (1'000'000'000 / hz), ns(ru.ru_utime) + ns(ru.ru_stime)};
    return true;
}
#else
bool read_cpu_times(std::int64_t, CpuTimes&) { return false; }
#endif

int team_cpus() {
#ifdef XVIS_HAVE_OPENMP
    return omp_get_num_procs();
#else
    return 1;
#endif
}

}  // namespace

void set_team_watch(bool on) {  // and forgets what it saw
    watching.store(on, std::memory_order_relaxed);
    others_busy.store(false, std::memory_order_relaxed);
    {
        const std::lock_guard<std::mutex> lock(load_mutex);
        load_reading = CpuTimes{};
    }
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

bool team_region_late(std::int64_t fork, std::int64_t master_begin, std::int64_t master_done, std::int64_t end) {
    const std::int64_t waited = (master_begin - fork) + (end - master_done), share = master_done - master_begin;
    return waited > late_floor && 2 * waited > share;
}

std::int64_t parse_proc_stat_busy(const char* line) {
    if (line[0] != 'c' || line[1] != 'p' || line[2] != 'u' || line[3] != ' ') return -1;
    const char* p = line + 4;
    std::int64_t field[7];  // user nice system idle iowait irq softirq
    for (std::int64_t& f : field) {
        char* next = nullptr;
        const long long v = std::strtoll(p, &next, 10);
        if (next == p || v < 0) return -1;
        f = v;
        p = next;
    }
    return field[0] + field[1] + field[2] + field[5] + field[6];
}

OtherLoad judge_other_load(const CpuTimes& before, const CpuTimes& after, int cpus, int team) {
    const std::int64_t span = after.at - before.at;
    if (span <= 0) return OtherLoad::free;
    const double others = double((after.all_busy - before.all_busy) - (after.self - before.self)) / double(span);
    return others > double(cpus - team) + 0.5 ? OtherLoad::busy : OtherLoad::free;
}

OtherLoad other_load(std::int64_t now) {
    std::unique_lock<std::mutex> lock(load_mutex, std::try_to_lock);
    if (lock.owns_lock() && (load_reading.at == 0 || now - load_reading.at >= load_window)) {
        CpuTimes t;
        if (!read_cpu_times(now, t)) return OtherLoad::busy;
        if (load_reading.at != 0)
            others_busy.store(judge_other_load(load_reading, t, team_cpus(), num_threads()) == OtherLoad::busy,
                              std::memory_order_relaxed);
        load_reading = t;
    }
    return others_busy.load(std::memory_order_relaxed) ? OtherLoad::busy : OtherLoad::free;
}

void team_late(std::int64_t end, OtherLoad others) {
    if (!watching.load(std::memory_order_relaxed)) return;
    const std::int64_t before = last_late.exchange(end, std::memory_order_relaxed);
    if (others != OtherLoad::busy || before == 0 || end - before > repeat_window) return;
    // Late right after the last back-off ended (within as long again): the other process is still there, so
    // wait twice as long before trying the whole team again; otherwise start over from the first back-off.
    const std::int64_t last_end = down_until.load(std::memory_order_relaxed);
    const std::int64_t previous = back_off.load(std::memory_order_relaxed);
    const std::int64_t next = end - last_end < previous ? std::min(2 * previous, max_back_off) : first_back_off;
    back_off.store(next, std::memory_order_relaxed);
    down_until.store(end + next, std::memory_order_relaxed);
}

void team_region(std::int64_t fork, std::int64_t master_begin, std::int64_t master_done, std::int64_t end) {
    if (!watching.load(std::memory_order_relaxed) || !team_region_late(fork, master_begin, master_done, end)) return;
    team_late(end, other_load(end));
}

}  // namespace xvis::kernels::detail
