// Winograd F(2×2, 3×3) convolution (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016)
// for 3×3 stride-1 undilated convolutions with one group. Each 2×2 output tile costs 16 multiply-adds per
// (input, output) channel pair instead of 36: 2.25× fewer than the im2col GEMM.
//   per tile and input channel:  V = Bᵀ d B      (d: the tile's 4×4 input patch)
//   per channel pair:            U = G g Gᵀ      (g: the 3×3 filter)
//   per tile and output channel: Y = Aᵀ (Σ_c U ⊙ V) A
// The sum over c is 16 GEMMs, one per position ξ of the 4×4 transformed tile: M_ξ[K × tiles] = U_ξ[K × C] ·
// V_ξ[C × tiles], run by the GEMM's own micro-kernel on operands written straight into its panel layouts. This
// file splits the work over threads; the operands' layout is in detail/winograd_layout.hpp, the transforms'
// arithmetic in detail/winograd_tiles.hpp.
// B, G and A hold only 0, ±1 and ±½, so the result is as accurate as the direct sum (the reference tests hold
// both to the same tolerance; larger tiles such as F(4×4, 3×3) need constants up to 8 and lose digits).
// Backward-data of a stride-1 convolution is itself one: dy convolved with the filters transposed and flipped,
// w'[c, k, r, s] = w[k, c, 2 − r, 2 − s], padded by 2 − pad, so it runs through the same code.
// Tiles are taken in blocks whose V and M fit in L2; threads take disjoint ranges of tiles of the whole batch,
// and no tile's arithmetic depends on its block, so results are the same bits with any number of threads.
#include <xvis/tensor/aligned_allocator.hpp>
#include <xvis/tensor/conv2d.hpp>
#include <xvis/tensor/detail/team.hpp>
#include <xvis/tensor/detail/winograd_layout.hpp>
#include <xvis/tensor/gemm.hpp>

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#ifdef XVIS_HAVE_OPENMP
#include <omp.h>
#endif

namespace xvis::kernels::detail {
namespace {

using std::ptrdiff_t;
using std::size_t;

using namespace winograd;
constexpr size_t max_slots = 8;              // per-thread block buffers in the workspace
// Below these the transforms and the per-call filter transform cost more than the multiply-adds saved
// (measured with xvis_bench BM_conv2d, docs/performance.md).
constexpr size_t min_channels = 16;
constexpr size_t min_tiles = 49;  // per image, not per batch: an image gets the same bits alone or in a batch
// With the filters transformed once (prepared weights), the transforms of the inputs and outputs are all that
// is added: a 7² output (16 tiles, ResNet's layer4) pays.
constexpr size_t min_tiles_prepared = 16;
// Below this many multiply-adds a second thread does not pay for the region's fork and join. (At 4 M, W1's
// 32→64 layer at 14², 1.6 M, stayed on one thread: split by output channels, both threads transformed all the
// inputs, 65 → 83 µs; split by tiles with prepared filters it takes 46 → 28 µs, below.)
constexpr size_t min_parallel_macs = size_t(1) << 20;

size_t slot_count() {
#ifdef XVIS_HAVE_OPENMP
    return std::min(size_t(std::max(1, omp_get_num_procs())), max_slots);
#else
    return 1;
#endif
}

size_t plan_workspace(const Plan& p) { return align_elements + filters_size(p) + slot_count() * slot_size(p); }

template <class T, class Filter>
void transform_filters(const Plan& p, const Filter& filter, T* u, int team) {
    const int nt = p.Ko * p.Ci >= 4096 ? team : 1;
    team_for(filter_panels(p), nt, [&](size_t panel, int) { transform_filter_panel(p, filter, panel, u); });
}

// Tiles [begin, end), output channels [k0, k1), on thread t's slot of the workspace: block by block, the
// input transform, the 16 GEMMs with U's rows from k0 and the output transform.
template <class T>
void run_tiles(const Plan& p, const T* in, const T* u, T* slots, int t, size_t begin, size_t end, size_t k0,
               size_t k1, T* out) {
    T* vb = slots + size_t(t) * slot_size(p);
    T* mb = vb + positions * p.v_stride;
    T* scratch = mb + positions * p.m_stride;
    std::fill(scratch, scratch + scratch_size(p), T(0));  // the room past each run is read
    for (size_t t0 = begin; t0 < end; t0 += p.nb) {
        const size_t n = std::min(p.nb, end - t0);
        transform_inputs(p, in, t0, n, vb, scratch);
        for (size_t xi = 0; xi < positions; ++xi)
            gemm_packed(k1 - k0, n, p.Ci, u + xi * p.u_stride + k0 * p.Ci, vb + xi * p.v_stride,
                        mb + xi * p.m_stride, p.nb);
        transform_outputs(p, mb, t0, n, k0, k1, out, scratch);
    }
}

// `prepared`: U from winograd_prepare() (nullptr: transform the filters into the workspace first).
template <class T, class Filter>
void run(const Plan& p, const T* in, const Filter& filter, T* out, T* workspace, const T* prepared) {
    T* u = align_up(workspace);
    T* slots = u + filters_size(p);
    const T* filters = prepared ? prepared : u;
    const size_t units = (p.tiles + p.nr - 1) / p.nr, panels = filter_panels(p);
    const size_t macs = positions * p.tiles * p.Ci * p.Ko;
    const int team = macs < min_parallel_macs ? 1 : int(std::min(size_t(team_threads()), slot_count()));
    // Split by tiles, each thread transforms only its tiles' inputs and outputs but reads all of U; split by
    // output channels, each reads only its filters' panels but transforms all the inputs.
    // Without prepared filters U is written on every call, and split by tiles half of what each core reads was
    // written by the other (a separate region): the channel split wins with fewer than 8 tile units a thread
    // (e.g. 49 tiles at 14² at batch 1). With prepared filters nothing is written, and the tiles win from 2
    // units a thread: `xvis_bench BM_conv2d` algo 2 at 2 threads, min of 4 interleaved runs, 256→256 at 14²
    // 510 → 466 µs forward and 491 → 457 backward-data, 128→128 at 28² 479 → 429 and 482 → 466, W1's 32→64
    // at 14² 46 → 28 and 54 → 43 (docs/performance.md). Below 2 units (7², 16 tiles) only channels split.
    const size_t few_units = (prepared ? 2 : 8) * size_t(team);
    if (team > 1 && units < few_units && panels >= 2 * size_t(team)) {
        // Few tiles: threads split the output channels. Each transforms and uses only its own filters' panels,
        // so no core reads U written by another, and each transforms the inputs itself: sharing V (each thread
        // transforming half the input channels, a barrier a block) was slower on the Zen 5 host, 128→128 at 28²
        // 0.56 → 0.80 ms with prepared filters, the lines of V moving between the cores' caches twice a block.
        team_for(size_t(team), team, [&](size_t part, int t) {
            const size_t pb = panels * part / size_t(team), pe = panels * (part + 1) / size_t(team);
            if (!prepared)
                for (size_t panel = pb; panel < pe; ++panel) transform_filter_panel(p, filter, panel, u);
            run_tiles(p, in, filters, slots, t, 0, p.tiles, pb * p.mr, std::min(p.Ko, pe * p.mr), out);
        });
        return;
    }
    if (!prepared) transform_filters(p, filter, u, team);
    const int nt = int(std::min(size_t(team), units));
    team_for(size_t(nt), nt, [&](size_t part, int t) {
        // Whole NR-tile units per thread, so only the last thread's last panel is partial.
        const size_t begin = std::min(p.tiles, units * part / size_t(nt) * p.nr);
        const size_t end = std::min(p.tiles, units * (part + 1) / size_t(nt) * p.nr);
        run_tiles(p, in, filters, slots, t, begin, end, 0, p.Ko, out);
    });
}

// Prepared weights: U, from a 64-byte boundary on (the GEMM's panels: MR is a constant of the build, the same
// for every micro-kernel).
size_t prepared_elements(const Plan& p) { return align_elements + filters_size(p); }

// The filters of each pass, as filter(k, c, g) gives them to the transform.
template <class T>
auto forward_filter(const Conv2dGeometry& g, const T* w) {
    return [w, C = g.C](size_t k, size_t c, T* f) { std::copy(w + (k * C + c) * 9, w + (k * C + c + 1) * 9, f); };
}
// Output channel c of backward-data is input channel c of the forward convolution, and the filter is flipped.
template <class T>
auto backward_data_filter(const Conv2dGeometry& g, const T* w) {
    return [w, C = g.C](size_t c, size_t k, T* f) {
        const T* src = w + (k * C + c) * 9;
        for (size_t i = 0; i < 9; ++i) f[i] = src[8 - i];
    };
}

}  // namespace

bool winograd_applies(const Conv2dGeometry& g, bool prepared) {
    const auto& q = g.p;
    const size_t least = prepared ? min_tiles_prepared : min_tiles;
    return g.R == 3 && g.S == 3 && q.stride_h == 1 && q.stride_w == 1 && q.dilation_h == 1 && q.dilation_w == 1 &&
           q.groups == 1 && g.C >= min_channels && g.K >= min_channels &&
           ((g.OH + 1) / 2) * ((g.OW + 1) / 2) >= least && ((g.H + 1) / 2) * ((g.W + 1) / 2) >= least;
}

size_t winograd_workspace_size(const Conv2dGeometry& g) {  // the same for float and double (block_unit)
    return std::max(plan_workspace(forward_plan<float>(g)), plan_workspace(backward_data_plan<float>(g)));
}

size_t winograd_prepared_size(const Conv2dGeometry& g, bool backward_data) {
    const auto size = [&](auto zero) {
        using T = decltype(zero);
        return prepared_elements(backward_data ? backward_data_plan<T>(g) : forward_plan<T>(g));
    };
    return std::max(size(0.0f), size(0.0));
}

template <class T>
void winograd_prepare(const Conv2dGeometry& g, bool backward_data, const T* w, T* prepared) {
    if (backward_data) transform_filters(backward_data_plan<T>(g), backward_data_filter(g, w), align_up(prepared), team_threads());
    else transform_filters(forward_plan<T>(g), forward_filter(g, w), align_up(prepared), team_threads());
}

template <class T>
void winograd_forward(const Conv2dGeometry& g, const T* x, const T* w, T* y, T* workspace, const T* prepared) {
    const Plan p = forward_plan<T>(g);
    run(p, x, forward_filter(g, w), y, workspace, prepared ? align_up(prepared) : nullptr);
}

template <class T>
void winograd_backward_data(const Conv2dGeometry& g, const T* dy, const T* w, T* dx, T* workspace, const T* prepared) {
    const Plan p = backward_data_plan<T>(g);
    run(p, dy, backward_data_filter(g, w), dx, workspace, prepared ? align_up(prepared) : nullptr);
}

#define XVIS_WINOGRAD_INSTANTIATE(T)                                                                    \
    template void winograd_prepare<T>(const Conv2dGeometry&, bool, const T*, T*);                       \
    template void winograd_forward<T>(const Conv2dGeometry&, const T*, const T*, T*, T*, const T*);    \
    template void winograd_backward_data<T>(const Conv2dGeometry&, const T*, const T*, T*, T*, const T*);
XVIS_WINOGRAD_INSTANTIATE(float)
XVIS_WINOGRAD_INSTANTIATE(double)
#undef XVIS_WINOGRAD_INSTANTIATE

}  // namespace xvis::kernels::detail
