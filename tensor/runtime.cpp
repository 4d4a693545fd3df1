#include <xvis/tensor/aligned_allocator.hpp>
#include <xvis/tensor/detail/team.hpp>
#include <xvis/tensor/gemm.hpp>
#include <xvis/tensor/runtime.hpp>

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#ifdef XVIS_HAVE_OPENMP
#include <omp.h>
#endif

namespace xvis {

int num_threads() {
#ifdef XVIS_HAVE_OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

void set_num_threads(int n) {
    if (n < 1) throw std::invalid_argument("set_num_threads: " + std::to_string(n) + " threads; expected >= 1");
#ifdef XVIS_HAVE_OPENMP
    omp_set_num_threads(n);
#endif
}

int threads_for_load() {
    const int n = num_threads();
#ifdef XVIS_HAVE_OPENMP
    double load[1];
    if (getloadavg(load, 1) != 1) return n;
    const int free_procs = omp_get_num_procs() - static_cast<int>(load[0] + 0.5);
    return std::max(1, std::min(n, free_procs));
#else
    return n;
#endif
}

void set_adaptive_threads(bool on) { kernels::detail::set_team_watch(on); }
bool adaptive_threads() { return kernels::detail::team_watch(); }

BuildInfo build_info() {
    BuildInfo info;
    info.simd_arch = xsimd::default_arch::name();
    info.simd_width = xsimd::batch<float>::size;
    info.gemm_isa = kernels::gemm_kernel_isa();
    info.alignment = tensor_alignment;
#ifdef XVIS_HAVE_OPENMP
    info.openmp = true;
#else
    info.openmp = false;
#endif
#ifdef NDEBUG
    info.build_type = "Release";
#else
    info.build_type = "Debug";
#endif
    return info;
}

std::string build_info_string() {
    const auto b = build_info();
    return "simd=" + b.simd_arch + " width=" + std::to_string(b.simd_width) + " gemm=" + b.gemm_isa + " alignment=" +
           std::to_string(b.alignment) + " openmp=" + (b.openmp ? "on" : "off") +
           " threads=" + std::to_string(num_threads()) + " build=" + b.build_type;
}

}  // namespace xvis
