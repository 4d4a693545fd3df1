#pragma once
// A process-wide cache of large 64-byte aligned blocks for compiled functions' intermediate buffers.
// keras-vis style calls (visualize_saliency, visualize_cam, ...) build and compile a graph on every call;
// without the cache each call takes tens of MB of fresh memory from the OS for a ResNet, and the page faults
// and zeroing of that memory cost as much as a third of the call (measured: 13 ms of compile on ResNet-18).
// A released block is kept (up to a byte limit, oldest evicted first) and handed to the next request that
// it fits without wasting more than half of it. Blocks are not zeroed. Thread-safe.
#include <cstddef>

namespace xvis {

class CachedBlock {
public:
    CachedBlock() = default;
    // At least `bytes` bytes, 64-byte aligned (a cached block may be larger).
    explicit CachedBlock(std::size_t bytes);
    ~CachedBlock();
    CachedBlock(CachedBlock&& o) noexcept;
    CachedBlock& operator=(CachedBlock&& o) noexcept;
    CachedBlock(const CachedBlock&) = delete;
    CachedBlock& operator=(const CachedBlock&) = delete;

    void* data() const { return ptr_; }
    std::size_t bytes() const { return bytes_; }

private:
    void* ptr_ = nullptr;
    std::size_t bytes_ = 0;
};

// Bytes the cache may hold in released blocks (default 512 MiB); 0 disables caching. Lowering the limit
// frees the oldest blocks beyond it.
void set_buffer_cache_limit(std::size_t bytes);
std::size_t buffer_cache_limit();
// Bytes held in released blocks right now.
std::size_t buffer_cache_bytes();
// Returns every cached block to the system.
void release_buffer_cache();

}  // namespace xvis
