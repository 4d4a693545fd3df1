#pragma once
// Internal to compiled functions (function.cpp): the prepared inputs of their steps (Op::prepared_input), kept
// between runs and prepared again only when their source changed.
//
// Why: a convolution derives Winograd's transformed filters from its weights on every call; for ResNet-18 that
// was a quarter of its 256-channel layers' time, and it kept the 512-channel 7² layers on the slower GEMM.
// Parameters are tensors the caller may write at any time, through any pointer (node.hpp: "read at every
// run"), so no version counter can see every write. A content hash can: each run hashes every parameter that
// feeds a prepared input (kernels::content_hash, 128 bits: one read of the weights at memory speed, on the
// team's threads, against the transform's read, 16/9 as many writes and a later read), and prepares again
// when the hash changed.
// A function run only once never prepares: its first run is the unprepared one (keras-vis style calls compile
// a graph per call, and would pay the buffers and the hashing for nothing). From the second run on every
// prepared input is ready before its step runs.
#include <xvis/autodiff/op.hpp>
#include <xvis/tensor/buffer_cache.hpp>
#include <xvis/tensor/content_hash.hpp>
#include <xvis/tensor/tensor.hpp>

#include <cstdint>
#include <memory>
#include <vector>

namespace xvis::detail {

template <class T>
class PreparedInputs {
public:
    static constexpr std::size_t none = static_cast<std::size_t>(-1);

    // At compile: a prepared input of `size` elements for a step of `op`, derived from `parameter`'s contents
    // (null when the input is a constant, which never changes). Returns its index for prepared().
    std::size_t add(const Op& op, std::shared_ptr<const Tensor> parameter, std::size_t size);
    // At compile, after the last add(): one block for all of them (from the buffer cache; untouched until a
    // second run).
    void allocate();
    // At the start of every run: from the second run on, hashes each parameter source once and marks the
    // inputs prepared from a changed one stale.
    void begin_run();
    // What to pass as OpArgs::prepared for input `index` whose step reads `input` now: null on the first run,
    // else the buffer, prepared first if stale.
    const T* prepared(std::size_t index, const T* input);

    std::size_t count() const { return entries_.size(); }
    std::size_t elements() const;  // in all prepared buffers
    std::size_t preparations() const { return preparations_; }  // prepare() calls so far (for tests)

private:
    struct Source {
        std::shared_ptr<const Tensor> tensor;
        kernels::ContentHash hash;
        bool hashed = false;
    };
    struct Entry {
        const Op* op;
        std::size_t source;  // into sources_, or none for a constant
        std::size_t size, offset;
        bool ready = false;
    };
    std::vector<Source> sources_;
    std::vector<Entry> entries_;
    CachedBlock block_;
    T* base_ = nullptr;
    std::size_t runs_ = 0, preparations_ = 0;
};

extern template class PreparedInputs<float>;
extern template class PreparedInputs<double>;

}  // namespace xvis::detail
