#pragma once
// What the library was built with and how many threads its kernels use.
#include <string>

namespace xvis {

// Threads used by xvis's OpenMP kernels (1 without OpenMP).
int num_threads();
// Sets the kernel thread count (n >= 1); throws std::invalid_argument otherwise.
void set_num_threads(int n);

// Adaptive team sizes, on by default. A kernel's parallel region ends at a barrier, so when another process
// shares a core with one of the team's threads every region waits for that thread's next time slice: 2-thread
// runs on a 2-core machine with one core busy were 3–30× slower than 1 thread. With adaptation, two regions
// within 50 ms whose master waited more than 1 ms (and more than half its own share) for the others, while
// other processes' CPU time (Linux: /proc/stat) says they take the cores the team needs, step the kernels down
// to one thread for 100 ms (doubling up to 1.6 s while it keeps happening), then the whole team is tried again.
// (Late regions on an idle VM, a vCPU woken late, do not.) Results are the same bits with any team size. Off:
// every region takes num_threads() threads.
void set_adaptive_threads(bool on);
bool adaptive_threads();

// Threads worth using now: num_threads() minus the processors kept busy by others, by the 1-minute load
// average (getloadavg), at least 1. Read once at start-up, before xvis's own threads add to the load; that is
// what the command line does. (libgomp's dynamic mode reads the 15-minute average, which after a few minutes
// of a 2-thread run counts xvis's own threads and steps the run down to one thread.)
int threads_for_load();

struct BuildInfo {
    std::string simd_arch;     // xsimd's default architecture in xvis's kernels, e.g. "avx2" (with fma3)
    std::size_t simd_width;    // floats per SIMD register
    std::string gemm_isa;      // the GEMM micro-kernel's instruction set now (kernels::gemm_kernel_isa())
    std::size_t alignment;     // tensor storage alignment in bytes
    bool openmp;               // built with OpenMP
    std::string build_type;    // "Release", "Debug", ...
};
BuildInfo build_info();
// "simd=fma3<avx2> width=8 gemm=avx512f alignment=64 openmp=on threads=2 build=Release"
std::string build_info_string();

}  // namespace xvis
