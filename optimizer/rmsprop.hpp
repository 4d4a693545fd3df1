#pragma once
// keras-vis's RMSprop (Optimizer._rmsprop with its default decay_rate = 0.95), as a state object that the
// Optimizer's loop uses and that any other loop can use step by step. There is no learning rate: keras-vis
// adds the raw step to the input.
#include <xvis/tensor/shape.hpp>
#include <xvis/tensor/tensor.hpp>

namespace xvis {

class RmsProp {
public:
    // K.epsilon(), added to the cache under the square root.
    static constexpr double epsilon = 1e-7;

    // decay_rate in [0, 1] (the cache is a running mean of g²); anything else, NaN included, throws
    // std::invalid_argument naming the value.
    explicit RmsProp(double decay_rate = 0.95);

    // One step, element by element, in float:
    //   cache ← decay · cache + (1 − decay) · g²
    //   x     ← x − g / sqrt(cache + 1e-7)          (keras-vis: step = −g / sqrt(cache + eps); x += step)
    // x and grads must have the same shape. The cache starts as zeros (keras-vis: np.zeros_like(grads)) and
    // takes its shape from the first step's grads (or from reset(shape)); that first step allocates it, later
    // steps allocate nothing. A step whose shape differs from the cache's throws ShapeError (a
    // std::invalid_argument) naming both shapes, and changes nothing. A zero gradient leaves x unchanged.
    void step(Tensor& x, const Tensor& grads);

    // The running mean of g²: the shape of the steps; [0] (empty) before the first step.
    const Tensor& cache() const noexcept { return cache_; }
    double decay_rate() const noexcept { return decay_; }

    // Back to keras-vis's initial state (zeros, as before any step), keeping the buffer: the next step may
    // have any shape and allocates only when the shape differs.
    void reset() noexcept;
    // Zeros of `shape`, allocated now so that not even the first step allocates; later steps must have it.
    void reset(const Shape& shape);

private:
    double decay_;
    float decay_f_, gain_f_;  // decay and 1 − decay as the float factors of the update
    Tensor cache_{Shape{0}};
    bool shape_fixed_ = false;  // false: the next step sets the cache's shape
};

}  // namespace xvis
