#pragma once
// Restores the kernel thread count and the team watch when a test ends, and keeps the watch off meanwhile.
// Why off: a test that sets 2 threads must run its kernels on 2. Under `ctest -j2` another test process keeps a
// core busy, the watch (tensor/detail/team.hpp) steps the team down to one thread, and the 2-thread test
// silently tests the 1-thread path (seen: a broken 2-thread matrix-vector split passed that way).
// tests/tensor/team.cpp tests the watch itself.
#include <xvis/tensor/runtime.hpp>

namespace xvis::testing {

struct ThreadGuard {
    int threads = num_threads();
    bool adaptive = adaptive_threads();
    ThreadGuard() { set_adaptive_threads(false); }
    ~ThreadGuard() {
        set_num_threads(threads);
        set_adaptive_threads(adaptive);
    }
    ThreadGuard(const ThreadGuard&) = delete;
    ThreadGuard& operator=(const ThreadGuard&) = delete;
};

}  // namespace xvis::testing
