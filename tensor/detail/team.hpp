#pragma once
// Internal to xvis's kernel .cpp files: how many threads a parallel region takes, and the watch that steps the
// team down to one thread while other processes keep a core of the team busy.
//
// Why: a parallel region ends at a barrier, so it lasts as long as its slowest thread. When another process
// shares a core with one of the team's threads, that thread runs in the scheduler's slices (milliseconds), and
// every region waits for it: small element-wise regions of 0.06 ms took 6 ms, whole explanations ran 3–30×
// slower with 2 threads than with 1 (measured, issue 13). One thread on the free core loses nothing there
// (a static split waits for the half-speed thread anyway).
//
// How: after each region of two or more threads, the master compares the time it waited (at the fork for the
// pooled threads to be back from the last region, at the join for the others to finish) with the time its own
// share took. A wait of more than 1 ms that is also more than half the master's share cannot come from a static
// split of even work. It may be a descheduled thread, but on a VM it is as often a host hiccup: an idle vCPU
// woken late, a guest kernel thread (DAMON's kdamond) preempting a worker. Those came several times a second
// on an idle 2-core VM (ViT-B/16 at 2 threads: 15 late regions in 3 calls) and kept a 2-thread run on one thread
// (ViT-B/16 saliency 510 ms a call against 310 with the watch off). So a late region is only believed when the
// other processes' CPU time says the team cannot have its cores: over the last 100 ms or more (/proc/stat's busy
// time of all CPUs minus this process's getrusage), others used more than the CPUs the team leaves free, plus
// half a core. A second such region within 50 ms of the first (a busy core makes every region late) steps the
// team down: every region runs on one thread for a back-off of 100 ms, doubled (up to 1.6 s) while the team
// keeps being late right after each back-off, and back to 100 ms once it is on time. (Stepping down on every
// lone late region kept a 2-thread ResNet-18 batch of 64 on one thread most of the time: 5.9-6.9 s a call
// against 3.2-3.9 s with the watch off.) Results do not change: every kernel gives the same bits with any
// number of threads.
#include <chrono>
#include <cstddef>
#include <cstdint>
#ifdef XVIS_HAVE_OPENMP
#include <omp.h>
#endif

namespace xvis::kernels::detail {

// Nanoseconds on the steady clock.
inline std::int64_t team_clock() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Turns the watch on (the default) or off (then team_threads() is the configured count).
void set_team_watch(bool on);
bool team_watch();
// Whether the watch has the team stepped down at `now` (team_clock()).
bool team_stepped_down(std::int64_t now);
// Whether a region of two or more threads was late: forked at `fork`, the master's share begun at
// `master_begin` and done at `master_done`, every thread done at `end`. The master waited (master_begin - fork)
// + (end - master_done) (libgomp's fork waits for every pooled thread to be back from the last region, the join
// for every thread to finish this one); late: more than 1 ms and more than half its share.
bool team_region_late(std::int64_t fork, std::int64_t master_begin, std::int64_t master_done, std::int64_t end);

// What other processes do with the CPUs, as a late region reads it.
enum class OtherLoad { free, busy };

// CPU time read at one instant: busy time of all CPUs (/proc/stat: user, nice, system, irq, softirq) and this
// process's (getrusage), in nanoseconds, at `at` (team_clock()).
struct CpuTimes {
    std::int64_t at = 0, all_busy = 0, self = 0;
};
// busy when the others' average cores between `before` and `after`, (Δall_busy − Δself) / Δat, exceed the
// CPUs that a team of `team` threads leaves free of `cpus`, plus half a core.
OtherLoad judge_other_load(const CpuTimes& before, const CpuTimes& after, int cpus, int team);
// The busy ticks of /proc/stat's first line ("cpu  user nice system idle iowait irq softirq steal ..."), in
// ticks; -1 when the line is not that.
std::int64_t parse_proc_stat_busy(const char* line);
// The other processes' load at `now`, judged over the time since the last reading if that was 100 ms or more
// ago (then the reading is renewed), else the last judgement (free before the first). busy where /proc/stat
// cannot be read (another OS): every late region is believed, as before.
OtherLoad other_load(std::int64_t now);

// A late region ended at `end`, with the others' load then: may step the team down (a second late region with
// others busy within 50 ms of the last late one).
void team_late(std::int64_t end, OtherLoad others);
// Reports a region of two or more threads (times as for team_region_late): if it was late, team_late(end,
// other_load(end)).
void team_region(std::int64_t fork, std::int64_t master_begin, std::int64_t master_done, std::int64_t end);

// Threads for a parallel region now: the configured count (omp_get_max_threads), 1 inside a parallel region,
// 1 while the watch has the team stepped down, 1 without OpenMP.
int team_threads();

// f(t, T) once on each of T = nt threads (t = 0..T-1), watched; nt <= 1: f(0, 1) on the caller.
template <class F>
void team_run(int nt, F&& f) {
#ifdef XVIS_HAVE_OPENMP
    if (nt > 1) {
        const std::int64_t fork = team_clock();
        std::int64_t master_begin = fork, master_done = fork;
#pragma omp parallel num_threads(nt)
        {
            const int t = omp_get_thread_num();
            if (t == 0) master_begin = team_clock();
            f(static_cast<std::size_t>(t), static_cast<std::size_t>(omp_get_num_threads()));
            if (t == 0) master_done = team_clock();
        }
        team_region(fork, master_begin, master_done, team_clock());
        return;
    }
#else
    (void)nt;
#endif
    f(std::size_t(0), std::size_t(1));
}

// f(unit, thread) for units [0, n) split statically over nt threads (thread: the caller's index in the team),
// watched. nt <= 1 runs a plain loop and takes no OpenMP construct (an inactive region around a kernel that
// forks itself would make that fork a nested team, created on every call).
template <class F>
void team_for(std::size_t n, int nt, F&& f) {
    if (nt > 1 && n > 1) {
        team_run(nt, [&](std::size_t t, std::size_t) {
#ifdef XVIS_HAVE_OPENMP
#pragma omp for schedule(static) nowait
#endif
            for (std::ptrdiff_t u = 0; u < static_cast<std::ptrdiff_t>(n); ++u) f(static_cast<std::size_t>(u), static_cast<int>(t));
        });
        return;
    }
    for (std::size_t u = 0; u < n; ++u) f(u, 0);
}

}  // namespace xvis::kernels::detail
