#pragma once
// XVIS_TEST_UNDER_ASAN: 1 when this test is compiled with AddressSanitizer (scripts/test-sanitize.sh
// address,undefined; GCC defines __SANITIZE_ADDRESS__, clang has __has_feature). The few tests that cannot
// work under it (an address-space limit, minutes-long runs of the whole demo, a third-party runtime's leaks)
// say why where they use it.
#if defined(__SANITIZE_ADDRESS__)
#define XVIS_TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define XVIS_TEST_UNDER_ASAN 1
#endif
#endif
#ifndef XVIS_TEST_UNDER_ASAN
#define XVIS_TEST_UNDER_ASAN 0
#endif
