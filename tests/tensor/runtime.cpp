// Thread settings: set_num_threads validation, threads_for_load bounds.
#include <xvis/tensor/runtime.hpp>

#include <gtest/gtest.h>

#include <stdexcept>

namespace {

using namespace xvis;

struct ThreadGuard {
    int saved = num_threads();
    ~ThreadGuard() { set_num_threads(saved); }
};

TEST(Runtime, SetNumThreadsRejectsZero) {
    ThreadGuard guard;
    EXPECT_THROW(set_num_threads(0), std::invalid_argument);
    set_num_threads(1);
    EXPECT_EQ(num_threads(), 1);
}

TEST(Runtime, ThreadsForLoadStaysWithinTheTeam) {
    ThreadGuard guard;
    const int all = num_threads();
    const int n = threads_for_load();
    EXPECT_GE(n, 1);
    EXPECT_LE(n, all);
    set_num_threads(1);
    EXPECT_EQ(threads_for_load(), 1);  // never more than the configured team
}

TEST(Runtime, BuildInfoNamesTheArchitecture) {
    const std::string s = build_info_string();
    EXPECT_NE(s.find("simd="), std::string::npos) << s;
    EXPECT_NE(s.find("alignment=64"), std::string::npos) << s;
}

}  // namespace
