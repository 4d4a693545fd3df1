#pragma once
// What the library was built with and how many threads its kernels use.
#include <string>

namespace xvis {

// Threads used by xvis's OpenMP kernels (1 without OpenMP).
int num_threads();
// Sets the kernel thread count (n >= 1); throws std::invalid_argument otherwise.
void set_num_threads(int n);

// Adaptive team sizes (OpenMP dynamic threads: libgomp sizes each parallel region by the machine's load
// average). Two-thread runs on a busy 2-core machine otherwise wait at barriers for a descheduled thread and
// can run 3–15× slower than one thread; with adaptation they fall back to one thread instead. Off by default
// (it changes the process-wide OpenMP setting). Caveat: libgomp reads the 15-minute load average, which after
// a few minutes of a 2-thread run counts xvis's own threads, so a long run steps down to one thread; the
// command line uses threads_for_load() instead.
void set_adaptive_threads(bool on);

// Threads worth using now: num_threads() minus the processors kept busy by others, by the 1-minute load
// average (getloadavg), at least 1. Read once at start-up, before xvis's own threads add to the load; that is
// what the command line does. (libgomp's dynamic mode reads the 15-minute average, which after a few minutes
// of a 2-thread run counts xvis's own threads and steps the run down to one thread.)
int threads_for_load();

struct BuildInfo {
    std::string simd_arch;     // xsimd's default architecture in xvis's kernels, e.g. "avx2" (with fma3)
    std::size_t simd_width;    // floats per SIMD register
    std::size_t alignment;     // tensor storage alignment in bytes
    bool openmp;               // built with OpenMP
    std::string build_type;    // "Release", "Debug", ...
};
BuildInfo build_info();
// "simd=fma3<avx2> width=8 alignment=64 openmp=on threads=2"
std::string build_info_string();

}  // namespace xvis
