#pragma once
// A 64-byte aligned allocator with a fixed type: xtensor's default allocator changes with XTENSOR_USE_XSIMD
// and -march, which would make xvis's public types depend on the consumer's flags.
#include <cstddef>
#include <new>
#include <type_traits>

namespace xvis {

inline constexpr std::size_t tensor_alignment = 64;

template <class T, std::size_t Align = tensor_alignment>
class aligned_allocator {
public:
    using value_type = T;
    using size_type = std::size_t;
    using difference_type = std::ptrdiff_t;
    using propagate_on_container_move_assignment = std::true_type;
    using is_always_equal = std::true_type;
    template <class U>
    struct rebind {
        using other = aligned_allocator<U, Align>;
    };

    aligned_allocator() noexcept = default;
    template <class U>
    aligned_allocator(const aligned_allocator<U, Align>&) noexcept {}

    // Goes through the aligned operator new, so allocation-counting tests see every buffer.
    T* allocate(std::size_t n) {
        if (n == 0) return nullptr;
        return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{Align}));
    }
    void deallocate(T* p, std::size_t) noexcept {
        if (p) ::operator delete(p, std::align_val_t{Align});
    }
};

template <class T, class U, std::size_t A>
bool operator==(const aligned_allocator<T, A>&, const aligned_allocator<U, A>&) noexcept { return true; }
template <class T, class U, std::size_t A>
bool operator!=(const aligned_allocator<T, A>&, const aligned_allocator<U, A>&) noexcept { return false; }

}  // namespace xvis
