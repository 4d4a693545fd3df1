#include <xvis/tensor/aligned_allocator.hpp>
#include <xvis/tensor/buffer_cache.hpp>

#include <algorithm>
#include <mutex>
#include <utility>
#include <vector>

namespace xvis {
namespace {

struct Cache {
    std::mutex mutex;
    std::vector<std::pair<void*, std::size_t>> blocks;  // released blocks, oldest first
    std::size_t held = 0;
    std::size_t limit = std::size_t(512) << 20;

    // Frees the oldest blocks until at most `target` bytes are held. Caller holds the mutex.
    void shrink_to(std::size_t target) {
        std::size_t k = 0;
        while (held > target && k < blocks.size()) {
            held -= blocks[k].second;
            free_block(blocks[k].first);
            ++k;
        }
        blocks.erase(blocks.begin(), blocks.begin() + static_cast<std::ptrdiff_t>(k));
    }
    static void free_block(void* p) { ::operator delete(p, std::align_val_t{tensor_alignment}); }

    ~Cache() { shrink_to(0); }
};

Cache& cache() {
    static Cache c;  // destroyed at exit after every static Function that may release into it was built
    return c;
}

}  // namespace

CachedBlock::CachedBlock(std::size_t bytes) {
    bytes = std::max<std::size_t>(bytes, tensor_alignment);
    {
        Cache& c = cache();
        std::lock_guard<std::mutex> lock(c.mutex);
        // Smallest cached block that fits and is not more than twice the request.
        std::size_t best = c.blocks.size();
        for (std::size_t k = 0; k < c.blocks.size(); ++k) {
            const std::size_t b = c.blocks[k].second;
            if (b >= bytes && b / 2 <= bytes && (best == c.blocks.size() || b < c.blocks[best].second)) best = k;
        }
        if (best != c.blocks.size()) {
            std::tie(ptr_, bytes_) = c.blocks[best];
            c.held -= bytes_;
            c.blocks.erase(c.blocks.begin() + static_cast<std::ptrdiff_t>(best));
            return;
        }
    }
    ptr_ = ::operator new(bytes, std::align_val_t{tensor_alignment});
    bytes_ = bytes;
}

CachedBlock::~CachedBlock() {
    if (!ptr_) return;
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    if (bytes_ > c.limit) {
        Cache::free_block(ptr_);
        return;
    }
    c.shrink_to(c.limit - bytes_);
    c.blocks.emplace_back(ptr_, bytes_);
    c.held += bytes_;
}

CachedBlock::CachedBlock(CachedBlock&& o) noexcept : ptr_(std::exchange(o.ptr_, nullptr)), bytes_(std::exchange(o.bytes_, 0)) {}

CachedBlock& CachedBlock::operator=(CachedBlock&& o) noexcept {
    if (this != &o) {
        CachedBlock old(std::move(*this));  // released into the cache on scope exit
        ptr_ = std::exchange(o.ptr_, nullptr);
        bytes_ = std::exchange(o.bytes_, 0);
    }
    return *this;
}

void set_buffer_cache_limit(std::size_t bytes) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    c.limit = bytes;
    c.shrink_to(bytes);
}

std::size_t buffer_cache_limit() {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    return c.limit;
}

std::size_t buffer_cache_bytes() {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    return c.held;
}

void release_buffer_cache() {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    c.shrink_to(0);
}

}  // namespace xvis
