// The buffer cache: reuse of released blocks, the half-waste rule, the byte limit and eviction order,
// alignment, concurrent use; and compiled functions built on recycled (dirty) memory computing what fresh
// ones compute.
#include <xvis/autodiff/function.hpp>
#include <xvis/autodiff/gradients.hpp>
#include <xvis/autodiff/ops.hpp>
#include <xvis/tensor/buffer_cache.hpp>
#include <xvis/tensor/random.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

namespace {

using namespace xvis;

// Restores the limit and empties the cache around each test, so tests do not see each other's blocks.
struct CacheGuard {
    std::size_t saved = buffer_cache_limit();
    CacheGuard() { release_buffer_cache(); }
    ~CacheGuard() {
        set_buffer_cache_limit(saved);
        release_buffer_cache();
    }
};

TEST(BufferCache, ReleasedBlockIsReusedForARequestItFits) {
    CacheGuard guard;
    void* first = nullptr;
    {
        CachedBlock b(1 << 20);
        first = b.data();
        EXPECT_GE(b.bytes(), std::size_t(1) << 20);
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b.data()) % 64, 0u);
    }
    EXPECT_EQ(buffer_cache_bytes(), std::size_t(1) << 20);
    CachedBlock again(600 << 10);  // more than half of the cached block: reused
    EXPECT_EQ(again.data(), first);
    EXPECT_EQ(again.bytes(), std::size_t(1) << 20);
    EXPECT_EQ(buffer_cache_bytes(), 0u);
}

TEST(BufferCache, SmallRequestDoesNotTakeAMuchLargerBlock) {
    CacheGuard guard;
    { CachedBlock big(4 << 20); }
    CachedBlock small(1 << 20);  // a quarter of the cached block: fresh memory
    EXPECT_EQ(small.bytes(), std::size_t(1) << 20);
    EXPECT_EQ(buffer_cache_bytes(), std::size_t(4) << 20);
}

TEST(BufferCache, LimitEvictsOldestFirstAndZeroDisables) {
    CacheGuard guard;
    set_buffer_cache_limit(3 << 20);
    void* oldest = nullptr;
    {
        CachedBlock a(1 << 20), b(1 << 20), c(1 << 20), d(1 << 20);
        oldest = a.data();
    }  // released d, c, b, a: d is the oldest entry and is evicted when a arrives
    EXPECT_EQ(buffer_cache_bytes(), std::size_t(3) << 20);
    CachedBlock x(1 << 20), y(1 << 20), z(1 << 20);
    EXPECT_TRUE(x.data() == oldest || y.data() == oldest || z.data() == oldest) << "a, released last, is kept";
    set_buffer_cache_limit(0);
    { CachedBlock w(1 << 20); }
    EXPECT_EQ(buffer_cache_bytes(), 0u);
}

TEST(BufferCache, MovedBlockIsReleasedOnce) {
    CacheGuard guard;
    {
        CachedBlock a(1 << 16);
        CachedBlock b(std::move(a));
        EXPECT_EQ(a.data(), nullptr);
        CachedBlock c(1 << 16);
        c = std::move(b);  // c's own block goes back to the cache now
        EXPECT_EQ(buffer_cache_bytes(), std::size_t(1) << 16);
    }
    EXPECT_EQ(buffer_cache_bytes(), std::size_t(2) << 16);
}

TEST(BufferCache, ConcurrentUse) {
    CacheGuard guard;
    auto work = [](int seed) {
        for (int i = 0; i < 2000; ++i) {
            CachedBlock b(std::size_t(1 + (i * 7 + seed) % 13) << 12);
            std::memset(b.data(), seed, b.bytes());  // ASan / a crash would flag shared or freed blocks
        }
    };
    std::thread t1(work, 1), t2(work, 2);
    t1.join();
    t2.join();
    EXPECT_LE(buffer_cache_bytes(), buffer_cache_limit());
}

// A function compiled on memory that another function left dirty computes what a fresh one does.
TEST(BufferCache, FunctionOnRecycledMemoryMatchesFreshMemory) {
    CacheGuard guard;
    const Node x = placeholder({2, 3, 8, 8}, "x");
    auto w = std::make_shared<Tensor>(random_uniform<float>({4, 3, 3, 3}, -1, 1, 2));
    kernels::Conv2dParams p;
    p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
    const Node y = sum(square(relu(conv2d(x, parameter(w, "w"), p))));
    const auto outs = std::vector<Node>{y, gradients(y, {x})[0]};
    const Tensor xv = random_uniform<float>({2, 3, 8, 8}, -1, 1, 3);
    set_buffer_cache_limit(0);
    Function fresh = compile(outs, {x});
    const auto want = fresh(xv);
    set_buffer_cache_limit(std::size_t(64) << 20);
    {
        Function dirty = compile(outs, {x});
        dirty(random_uniform<float>({2, 3, 8, 8}, -100, 100, 9));  // fills every buffer with other values
    }
    ASSERT_GT(buffer_cache_bytes(), 0u);
    Function recycled = compile(outs, {x});
    EXPECT_EQ(buffer_cache_bytes(), 0u) << "the second compile should take the released block";
    const auto got = recycled(xv);
    EXPECT_EQ(got[0].item(), want[0].item());
    for (std::size_t i = 0; i < want[1].size(); ++i) ASSERT_EQ(got[1][i], want[1][i]) << "gradient element " << i;
}

}  // namespace
