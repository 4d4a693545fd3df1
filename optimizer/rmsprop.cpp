#include <xvis/optimizer/rmsprop.hpp>

#include <cmath>
#include <stdexcept>
#include <string>

namespace xvis {

RmsProp::RmsProp(double decay_rate)
    : decay_(decay_rate), decay_f_(static_cast<float>(decay_rate)), gain_f_(static_cast<float>(1.0 - decay_rate)) {
    if (!(decay_rate >= 0 && decay_rate <= 1))
        throw std::invalid_argument("RmsProp: decay_rate " + std::to_string(decay_rate) + " must be in [0, 1]");
}

void RmsProp::step(Tensor& x, const Tensor& grads) {
    if (x.shape() != grads.shape())
        throw ShapeError("RmsProp::step: x of shape " + shape_to_string(x.shape()) + " and grads of shape " +
                         shape_to_string(grads.shape()) + " differ");
    if (!shape_fixed_) {
        if (cache_.shape() != grads.shape()) cache_ = Tensor(grads.shape(), 0.0f);  // the only allocation
        shape_fixed_ = true;
    } else if (cache_.shape() != grads.shape()) {
        throw ShapeError("RmsProp::step: grads of shape " + shape_to_string(grads.shape()) +
                         " do not match the cache of shape " + shape_to_string(cache_.shape()) +
                         " (sized by the first step); call reset() to start over with a new shape");
    }
    // Float arithmetic in this exact order: the Optimizer's results stay bit-identical to its earlier inlined loop.
    float* xv = x.data();
    float* cv = cache_.data();
    const float* g = grads.data();
    const float decay = decay_f_, gain = gain_f_, eps = static_cast<float>(epsilon);  // locals: no reload per store
    for (std::size_t k = 0, n = x.size(); k < n; ++k) {
        cv[k] = decay * cv[k] + gain * g[k] * g[k];
        xv[k] -= g[k] / std::sqrt(cv[k] + eps);
    }
}

void RmsProp::reset() noexcept {
    cache_.fill(0.0f);
    shape_fixed_ = false;
}

void RmsProp::reset(const Shape& shape) {
    if (cache_.shape() != shape) cache_ = Tensor(shape, 0.0f);
    cache_.fill(0.0f);
    shape_fixed_ = true;
}

}  // namespace xvis
