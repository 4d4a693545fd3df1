#pragma once
// The optimizer and visualization test executables replace the global allocation functions
// (counting_allocator.cpp) so tests can prove that a loop allocates nothing. There is one replacement per
// executable: its test files share it and read the counter through this header.
namespace xvis::testing {

// Calls of any replaced operator new (plain, array, aligned, nothrow) since the program started; Tensor
// buffers come through the aligned one (aligned_allocator). Thread-safe.
long allocation_count() noexcept;

}  // namespace xvis::testing
