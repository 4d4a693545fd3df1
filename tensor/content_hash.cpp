#include <xvis/tensor/content_hash.hpp>
#include <xvis/tensor/detail/team.hpp>

#include <algorithm>
#include <atomic>

// Header-only use of Debian's libxxhash-dev (private to this file: consumers never see it).
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace xvis::kernels {

namespace {
constexpr std::size_t chunk_bytes = 256 * 1024;
// Below this a second thread costs more (its fork) than it saves.
constexpr std::size_t min_parallel_bytes = 2 * chunk_bytes;
}  // namespace

ContentHash content_hash(const void* data, std::size_t bytes) {
    const XXH128_hash_t size_hash = XXH3_128bits(&bytes, sizeof bytes);
    std::atomic<std::uint64_t> low{size_hash.low64}, high{size_hash.high64};
    const auto* p = static_cast<const unsigned char*>(data);
    const std::size_t chunks = (bytes + chunk_bytes - 1) / chunk_bytes;
    const int team = bytes < min_parallel_bytes ? 1 : detail::team_threads();
    detail::team_for(chunks, team, [&](std::size_t i, int) {
        const std::size_t begin = i * chunk_bytes, n = std::min(chunk_bytes, bytes - begin);
        const XXH128_hash_t h = XXH3_128bits_withSeed(p + begin, n, i);
        low.fetch_add(h.low64, std::memory_order_relaxed);
        high.fetch_add(h.high64, std::memory_order_relaxed);
    });
    return {low.load(), high.load()};
}

}  // namespace xvis::kernels
