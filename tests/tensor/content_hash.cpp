#include <xvis/tensor/content_hash.hpp>
#include <xvis/tensor/random.hpp>
#include <xvis/tensor/runtime.hpp>

#include "support/thread_guard.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

using namespace xvis;
using kernels::content_hash;

namespace {

// Sizes around the 256 KiB chunks (and the 512 KiB below which one thread hashes).
const std::size_t sizes[] = {0, 1, 7, 4096, 256 * 1024 - 1, 256 * 1024, 256 * 1024 + 3, 3 * 256 * 1024 + 100};

std::vector<unsigned char> bytes_of(std::size_t n, std::uint64_t seed) {
    const auto t = random_uniform<float>({n / 4 + 1}, -1, 1, seed);
    std::vector<unsigned char> b(n);
    if (n) std::memcpy(b.data(), t.data(), n);
    return b;
}

}  // namespace

TEST(ContentHash, SameForAnyThreadCount) {
    xvis::testing::ThreadGuard guard;
    for (const std::size_t n : sizes) {
        SCOPED_TRACE(n);
        const auto b = bytes_of(n, 1);
        set_num_threads(1);
        const auto h1 = content_hash(b.data(), n);
        set_num_threads(2);
        EXPECT_EQ(h1, content_hash(b.data(), n));
    }
}

// A flipped bit anywhere, two bytes swapped (an order-free checksum misses that), the same bytes one shorter
// or longer: each changes the hash.
TEST(ContentHash, SeesEveryKindOfChange) {
    xvis::testing::ThreadGuard guard;
    set_num_threads(2);
    for (const std::size_t n : sizes) {
        if (n < 2) continue;
        SCOPED_TRACE(n);
        auto b = bytes_of(n, 2);
        const auto h = content_hash(b.data(), n);
        for (const std::size_t at : {std::size_t(0), n / 2, n - 1}) {
            b[at] ^= 0x10;
            EXPECT_NE(content_hash(b.data(), n), h) << "bit flipped at " << at;
            b[at] ^= 0x10;
        }
        EXPECT_EQ(content_hash(b.data(), n), h);
        std::size_t j = n - 1;
        while (j > 0 && b[j] == b[0]) --j;
        ASSERT_GT(j, 0u);
        std::swap(b[0], b[j]);
        EXPECT_NE(content_hash(b.data(), n), h) << "bytes 0 and " << j << " swapped";
        std::swap(b[0], b[j]);
        EXPECT_NE(content_hash(b.data(), n - 1), h) << "one byte shorter";
        b.push_back(0);
        EXPECT_NE(content_hash(b.data(), n + 1), h) << "one zero byte longer";
    }
    EXPECT_NE(content_hash(nullptr, 0), content_hash(bytes_of(1, 3).data(), 1));
}
