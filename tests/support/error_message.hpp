#pragma once
// The message of the exception a call throws, for tests that check what the user reads.

#include <gtest/gtest.h>

#include <exception>
#include <stdexcept>
#include <string>
#include <typeinfo>

namespace xvis::testing {

// The message of the E (std::runtime_error unless given) that f() throws. When f throws another exception or
// nothing, a test failure naming which, and that exception's message or "".
template <class E = std::runtime_error, class F>
std::string message_of(F&& f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "expected a " << typeid(E).name() << ", got another exception: " << e.what();
        return e.what();
    }
    ADD_FAILURE() << "expected a " << typeid(E).name() << ", got no exception";
    return {};
}

}  // namespace xvis::testing
