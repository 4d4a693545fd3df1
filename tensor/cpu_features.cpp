// Run-time CPU features for the kernels' dispatch (detail/cpu_features.hpp).
#include <xvis/tensor/detail/cpu_features.hpp>

namespace xvis::kernels::detail {

#ifdef XVIS_AVX512_KERNELS
bool cpu_has_avx512() {
    __builtin_cpu_init();  // may run from a static initializer, before libgcc's own
    return __builtin_cpu_supports("avx512f");
}
#endif

}  // namespace xvis::kernels::detail
