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
// Images: [N, C, spatial...] (channels_first) or [N, spatial..., C] (channels_last), one or more spatial axes;
// the batch and channel axes are never shifted, and every sample gets the same shift (as in keras-vis).
class Jitter : public InputModifier {
public:
    explicit Jitter(double jitter = 0.05, DataFormat format = DataFormat::channels_first, std::uint64_t seed = 0);
    // keras-vis's tuple form: one value per spatial axis (each a fraction if < 1, pixels otherwise), or a
    // single value for all of them. Empty or negative values throw std::invalid_argument.
    explicit Jitter(std::vector<double> jitter, DataFormat format = DataFormat::channels_first, std::uint64_t seed = 0);

    // Draws one shift per spatial axis in [−bound, bound] and applies it with shift(). Allocation-free after
    // the first call for a given shape.
    void pre(Tensor& image) override;
    // Circular shift by known amounts, in place: out[..., (i + shifts[k]) mod n_k, ...] = in[..., i, ...] along
    // the k-th spatial axis (np.roll's sign; any size, negative included). shifts: one per spatial axis, else
    // ShapeError naming both counts. Allocation-free after the first call for a given shape; shift(image, s)
    // then shift(image, −s) restores the image exactly.
    void shift(Tensor& image, const std::vector<std::int64_t>& shifts);
    // Shifts drawn by the last pre(), one per spatial axis (for tests and callbacks).
    const std::vector<std::int64_t>& last_shifts() const { return shifts_; }
    // Per-axis bound in pixels for an image of this shape: trunc(jitter · size) for jitter < 1, else
    // trunc(jitter). Throws ShapeError for rank < 3 or a per-axis jitter count that is not the spatial rank.
    std::vector<std::int64_t> bounds(const Shape& image_shape) const;

private:
    std::vector<double> jitter_;
    DataFormat format_;
    Rng rng_;
    Shape bounds_shape_;  // the shape bounds_ was computed for
    std::vector<std::int64_t> bounds_, shifts_, all_axes_;
    Tensor scratch_;
};

}  // namespace xvis
