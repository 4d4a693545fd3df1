#pragma once
// Element-wise kernels: unary maps, NumPy-broadcasting binary and ternary (where) maps, broadcast_to.
// Raw-pointer xsimd loops (xtensor's broadcasting measured 8 to 30× slower here), OpenMP over large arrays,
// no heap allocation. Explicitly instantiated for float and double. Shapes follow NumPy broadcasting:
// every input shape must broadcast to the output shape (callers check; kernels assume it).
#include <xvis/tensor/shape.hpp>

#include <cstddef>

namespace xvis::kernels {

enum class UnaryOp {
    neg,         // −x
    exp,         // e^x
    log,         // ln x
    abs,         // |x|
    sqrt,        // √x
    square,      // x²
    relu,        // max(x, 0)
    leaky_relu,  // x > 0 ? x : param·x
    sigmoid,     // 1 / (1 + e^−x), stable for large |x|
    tanh,        // tanh x
    sign,        // −1, 0 or 1
    pow,         // x^param (std::pow semantics)
    scale,       // param·x
    add_scalar,  // x + param
    step,        // x > 0 ? 1 : 0
    erf,         // erf x = 2/√π ∫_0^x e^{−t²} dt (xsimd's, from Boost.SIMD: a few ulps)
};

// y[i] = op(x[i]) for i < n. y may alias x.
template <class T>
void unary(UnaryOp op, const T* x, T* y, std::size_t n, T param = T(0));

enum class BinaryOp {
    add,            // a + b
    sub,            // a − b
    mul,            // a · b
    div,            // a / b
    maximum,        // max(a, b)
    minimum,        // min(a, b)
    equal,          // a == b ? 1 : 0
    greater,        // a > b ? 1 : 0
    greater_equal,  // a >= b ? 1 : 0
    relu_grad,      // a > 0 ? b : param·b   (a = ReLU input, b = incoming gradient; param = leaky slope)
    sigmoid_grad,   // b · a · (1 − a)       (a = σ(x), the forward's output; b = incoming gradient)
    tanh_grad,      // b · (1 − a²)          (a = tanh x, the forward's output)
    erf_grad,       // b · 2/√π · e^{−a²}    (a = erf's input)
};

// y[idx] = op(a[bcast idx], b[bcast idx]) over every index of sy. Fast paths: equal shapes, scalar operand,
// row / column broadcast (e.g. bias [C,1,1] over [N,C,H,W]). y may alias an operand of shape sy.
template <class T>
void binary(BinaryOp op, const T* a, const Shape& sa, const T* b, const Shape& sb, T* y, const Shape& sy,
            T param = T(0));

// The gradients of two activations that models compose from primitives, in one pass instead of 4 to 10
// (autodiff's composite VJPs). x, aux, g and y hold n elements each; y may alias g.
enum class ActivationGradOp {
    silu,  // y = g · s · (1 + x·(1 − s))                          aux = s = σ(x); SiLU = x·σ(x)
    gelu,  // y = g · c · (k + e + x · a · 2/√π · e^{−(a·x)²})      aux = e = erf(a·x); GELU = c·x·(k + erf(a·x))
};
struct ActivationGradParams {
    double a = 1, k = 1, c = 1;  // gelu's constants (exact GELU: a = 1/√2, k = 1, c = 1/2); silu has none
};
template <class T>
void activation_grad(ActivationGradOp op, const T* x, const T* aux, const T* g, T* y, std::size_t n,
                     const ActivationGradParams& p = {});

// y[i] = min(max(x[i], lo), hi): ONNX Clip (lo > hi gives hi; NaN stays NaN), one pass. y may alias x.
template <class T>
void clip(const T* x, T* y, std::size_t n, T lo, T hi);
// dx[i] = x[i] >= lo and max(x[i], lo) <= hi ? g[i] : 0, the VJP of clip (ties pass, as maximum's and
// minimum's do). dx may alias g.
template <class T>
void clip_grad(const T* x, const T* g, T* dx, std::size_t n, T lo, T hi);

// y[idx] = c[idx] != 0 ? a[idx] : b[idx], all broadcast to sy.
template <class T>
void where(const T* c, const Shape& sc, const T* a, const Shape& sa, const T* b, const Shape& sb, T* y,
           const Shape& sy);

// y (shape sy) = x (shape sx) broadcast to sy.
template <class T>
void broadcast_to(const T* x, const Shape& sx, T* y, const Shape& sy);

}  // namespace xvis::kernels
