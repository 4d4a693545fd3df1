#pragma once
// Double-precision gradient check: compares the symbolic gradient of a scalar function of placeholders with
// central differences, element by element, and names the worst element.
// For every element j of every input i: numeric = (y(x + eps·e_j) − y(x − eps·e_j)) / (2·eps), from the
// compiled double function of y (eps is absolute); analytic = the compiled double gradients(y, inputs,
// overrides). An element passes when |analytic − numeric| <= atol + rtol·|numeric| (NaN or inf fails).
// The worst element is the one with the largest ratio |analytic − numeric| / (atol + rtol·|numeric|).
#include <xvis/autodiff/gradients.hpp>
#include <xvis/autodiff/node.hpp>

#include <string>
#include <vector>

namespace xvis {

struct GradcheckOptions {
    double eps = 1e-6;    // central-difference step
    double atol = 1e-7;   // element passes when |analytic − numeric| <= atol + rtol·|numeric|
    double rtol = 1e-5;
    GradientOverrides overrides;
};

struct GradcheckResult {
    bool ok = true;
    // The worst element over all inputs (largest excess over its tolerance).
    std::size_t worst_input = 0;
    std::size_t worst_index = 0;       // flat index in that input
    Shape worst_position;              // multi-index
    double analytic = 0, numeric = 0;  // values at the worst element
    double abs_error = 0, rel_error = 0;
    std::size_t checked = 0;           // elements compared
    // One line, e.g. "gradcheck FAILED: input 0 'x' at [0, 2]: analytic 1.5 vs numeric 0.5 (abs 1, rel 2) over
    // 12 elements"; "gradcheck ok: worst input ..." on success; gradgradcheck prefixes "grad".
    std::string message;
};

// y: a node with one element; inputs: distinct placeholders (y need not depend on all of them); values: their
// double values (one per input, of the input's shape). Runs y and its gradients in double precision
// (BasicFunction<double>); parameters are read (as doubles) but not perturbed. Throws ShapeError when y does not
// hold one element or a value's shape differs from its input's; std::invalid_argument for a values count
// mismatch, invalid or repeated nodes, non-placeholder inputs, eps <= 0 or negative tolerances.
GradcheckResult gradcheck(const Node& y, const std::vector<Node>& inputs, const std::vector<TensorD>& values,
                          const GradcheckOptions& options = {});

// Second order: checks the gradient of s = Σ_i sum(∂y/∂x_i · v_i) (a scalar built from the first gradients and
// fixed random directions v_i ~ U[-1, 1), seeded, as double constants) — i.e. Hessian-vector products —
// against central differences. options.overrides apply to both differentiations.
GradcheckResult gradgradcheck(const Node& y, const std::vector<Node>& inputs, const std::vector<TensorD>& values,
                              const GradcheckOptions& options = {});

}  // namespace xvis
