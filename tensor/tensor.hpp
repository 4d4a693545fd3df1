#pragma once
// Tensor: a dense, row-major array of rank 0 to 6 on an xtensor container with 64-byte aligned storage.
// float32 (`Tensor`) is what models run in; float64 (`TensorD`) is what gradcheck runs in.
#include <xvis/tensor/aligned_allocator.hpp>
#include <xvis/tensor/shape.hpp>

#include <xtensor/xarray.hpp>

#include <initializer_list>
#include <vector>

namespace xvis {

template <class T>
class BasicTensor {
public:
    using value_type = T;
    // The allocator is explicit so this type is the same whatever the consumer's XTENSOR_USE_XSIMD or -march.
    using array_type = xt::xarray<T, xt::layout_type::row_major, aligned_allocator<T>>;

    // A rank-0 tensor holding 0.
    BasicTensor() : BasicTensor(Shape{}) {}
    // A tensor of `shape` filled with `fill`.
    explicit BasicTensor(Shape shape, T fill = T(0)) : shape_(std::move(shape)) {
        check_rank(shape_, "Tensor");
        data_ = array_type::from_shape(shape_);
        std::fill(data_.data(), data_.data() + data_.size(), fill);
    }
    // A tensor of `shape` holding `values` in row-major order; their count must equal the shape's size.
    BasicTensor(Shape shape, std::initializer_list<T> values) : BasicTensor(std::move(shape), std::vector<T>(values)) {}
    BasicTensor(Shape shape, const std::vector<T>& values) : BasicTensor(std::move(shape)) {
        if (values.size() != size())
            throw ShapeError("Tensor: " + std::to_string(values.size()) + " values given for shape " +
                             shape_to_string(shape_) + ", which holds " + std::to_string(size()));
        std::copy(values.begin(), values.end(), data_.data());
    }
    static BasicTensor scalar(T value) { return BasicTensor(Shape{}, value); }

    const Shape& shape() const noexcept { return shape_; }
    std::size_t rank() const noexcept { return shape_.size(); }
    std::size_t size() const noexcept { return data_.size(); }
    // Extent of `axis`; negative counts from the end.
    std::size_t dim(std::int64_t axis) const { return shape_[normalize_axis(axis, rank(), "Tensor::dim")]; }

    T* data() noexcept { return data_.data(); }
    const T* data() const noexcept { return data_.data(); }
    T* begin() noexcept { return data(); }
    T* end() noexcept { return data() + size(); }
    const T* begin() const noexcept { return data(); }
    const T* end() const noexcept { return data() + size(); }
    T& operator[](std::size_t flat) noexcept { return data_.data()[flat]; }
    const T& operator[](std::size_t flat) const noexcept { return data_.data()[flat]; }
    // Multi-index access, e.g. t(n, c, h, w).
    template <class... I>
    T& operator()(I... idx) { return data_(idx...); }
    template <class... I>
    const T& operator()(I... idx) const { return data_(idx...); }
    // Scalar value of a size-1 tensor.
    T item() const {
        if (size() != 1) throw ShapeError("Tensor::item: shape " + shape_to_string(shape_) + " holds " +
                                          std::to_string(size()) + " values, expected 1");
        return data_.data()[0];
    }

    // The xtensor container, for element-wise expressions.
    array_type& array() noexcept { return data_; }
    const array_type& array() const noexcept { return data_; }

    // Same data, new shape of equal size.
    void reshape(Shape shape) {
        check_rank(shape, "Tensor::reshape");
        if (shape_size(shape) != size())
            throw ShapeError("Tensor::reshape: cannot view shape " + shape_to_string(shape_) + " (" +
                             std::to_string(size()) + " values) as " + shape_to_string(shape));
        data_.reshape(shape);
        shape_ = std::move(shape);
    }
    // New shape; contents are unspecified when the size changes.
    void resize(Shape shape) {
        check_rank(shape, "Tensor::resize");
        if (shape != shape_) {
            data_.resize(shape);
            shape_ = std::move(shape);
        }
    }
    void fill(T value) noexcept { std::fill(begin(), end(), value); }

    template <class U>
    BasicTensor<U> cast() const {
        BasicTensor<U> out(shape_);
        std::copy(begin(), end(), out.data());
        return out;
    }

private:
    Shape shape_;
    array_type data_;
};

using Tensor = BasicTensor<float>;
using TensorD = BasicTensor<double>;

}  // namespace xvis
