#pragma once
// Double-precision gradient check: compares the symbolic gradient of a scalar function of placeholders with
// central differences, element by element, and names the worst element.
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
    std::string message;               // one line: "gradcheck ok ..." or "gradcheck FAILED: input 0 (x) at [0, 2] ..."
};

// y: a node with one element; inputs: placeholders y depends on; values: their double values (one per
// input). Runs y and its gradients in double precision (BasicFunction<double>).
GradcheckResult gradcheck(const Node& y, const std::vector<Node>& inputs, const std::vector<TensorD>& values,
                          const GradcheckOptions& options = {});

// Second order: checks the gradient of s = Σ_i (∂y/∂x_i · v_i) (a scalar built from the first gradients and
// fixed random directions v_i) — i.e. Hessian-vector products — against central differences.
GradcheckResult gradgradcheck(const Node& y, const std::vector<Node>& inputs, const std::vector<TensorD>& values,
                              const GradcheckOptions& options = {});

}  // namespace xvis
