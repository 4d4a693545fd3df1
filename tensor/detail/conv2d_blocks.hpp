#pragma once
// Internal (not installed; conv2d.cpp and conv2d_blocks.cpp): backward-data of one image in blocks whose panel
// stays in L2, where writing the whole panel and reading it back in col2im would make the layer memory-bound.
//   row blocks:     blocks of output rows, for few channels with large panel rows (an ImageNet stem);
//   channel blocks: blocks of input channels, where several channels' R·S panel rows fit (the ResNets' 3×3 / 2).
// Both depend on the geometry and the machine's core count, never on the thread count: every dx element sums its
// terms in one fixed order, the same bits with any number of threads, alone or in a batch.
#include <xvis/tensor/conv2d.hpp>

#include <algorithm>
#include <cstddef>
#ifdef XVIS_HAVE_OPENMP
#include <omp.h>
#endif

namespace xvis::kernels::detail {

// The machine's cores (1 without OpenMP): per-thread workspace is sized from it, never from the thread count of
// the moment, so a geometry's workspace and path do not depend on set_num_threads.
inline std::size_t processors() {
#ifdef XVIS_HAVE_OPENMP
    return std::size_t(std::max(1, omp_get_num_procs()));
#else
    return 1;
#endif
}

// Per-thread block panels: as many as the machine has cores (at most 8). Each block kind needs at most
// block_slots() panels of its own, within the workspace's one whole panel (C/G·R·S × panel_ld).
inline std::size_t block_slots() { return std::min<std::size_t>(processors(), 8); }

// Whether one image's backward-data takes row blocks.
bool blocked_backward_data(const Conv2dGeometry& g);
// Channels per channel block, or 0 when channel blocks do not apply (they are preferred when both do).
std::size_t dx_block_channels(const Conv2dGeometry& g);

// One image: dy [K, OH, OW] to dx [C, H, W] (overwritten), `threads` threads each on its block panel of
// `workspace`.
template <class T>
void backward_data_blocks(const Conv2dGeometry& g, const T* dy, const T* w, T* dx, T* workspace, int threads);
template <class T>
void backward_data_channel_blocks(const Conv2dGeometry& g, std::size_t cb, const T* dy, const T* w, T* dx,
                                  T* workspace, int threads);

}  // namespace xvis::kernels::detail
