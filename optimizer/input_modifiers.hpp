#pragma once
// Input modifiers: `pre` runs on the image before each iteration's forward pass (in list order), `post` after
// the update (in reverse order). Both work in place on the batch tensor and must not allocate after their
// first call (the optimizer loop allocates nothing).
#include <xvis/tensor/data_format.hpp>
#include <xvis/tensor/random.hpp>
#include <xvis/tensor/tensor.hpp>

#include <cstdint>
#include <vector>

namespace xvis {

class InputModifier {
public:
    virtual ~InputModifier() = default;
    virtual void pre(Tensor& image) { (void)image; }
    virtual void post(Tensor& image) { (void)image; }
};

// keras-vis Jitter: each `pre` shifts the image circularly by a uniform integer in [−v, v] per spatial axis
// (xvis: a true circular shift; keras-vis's scipy 'wrap' mode is not quite periodic). jitter < 1 is a
// fraction of each spatial size (224 · 0.05 → 11 px, truncated), >= 1 is pixels; negative is an error.
// `post` is the identity (the shifts accumulate, as in keras-vis). Seeded.
class Jitter : public InputModifier {
public:
    explicit Jitter(double jitter = 0.05, DataFormat format = DataFormat::channels_first, std::uint64_t seed = 0);
    void pre(Tensor& image) override;
    // Shifts drawn by the last pre(), one per spatial axis (for tests and callbacks).
    const std::vector<std::int64_t>& last_shifts() const { return shifts_; }
    // Per-axis bound in pixels for an image of this shape.
    std::vector<std::int64_t> bounds(const Shape& image_shape) const;

private:
    double jitter_;
    DataFormat format_;
    Rng rng_;
    std::vector<std::int64_t> bounds_, shifts_, all_axes_;
    Tensor scratch_;
};

}  // namespace xvis
