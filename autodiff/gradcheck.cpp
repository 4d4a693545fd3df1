// Central-difference gradient checks in double precision (see gradcheck.hpp).
#include <xvis/autodiff/function.hpp>
#include <xvis/autodiff/gradcheck.hpp>
#include <xvis/autodiff/ops.hpp>
#include <xvis/tensor/random.hpp>

#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

namespace xvis {

namespace {

std::string format_double(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

Shape unravel(std::size_t flat, const Shape& shape) {
    Shape pos(shape.size());
    for (std::size_t i = shape.size(); i-- > 0;) {
        pos[i] = shape[i] ? flat % shape[i] : 0;
        flat = shape[i] ? flat / shape[i] : 0;
    }
    return pos;
}

void validate(const char* call, const Node& y, const std::vector<Node>& inputs, const std::vector<TensorD>& values,
              const GradcheckOptions& options) {
    const std::string c(call);
    if (!y.valid()) throw std::invalid_argument(c + ": y is an empty (invalid) node");
    if (y.size() != 1)
        throw ShapeError(c + ": y " + y.describe() + " must hold exactly one element (reduce it, e.g. sum(y · w))");
    if (inputs.size() != values.size())
        throw std::invalid_argument(c + ": " + std::to_string(inputs.size()) + " inputs but " +
                                    std::to_string(values.size()) + " values (one value per input)");
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (!inputs[i].valid())
            throw std::invalid_argument(c + ": input " + std::to_string(i) + " is an empty (invalid) node");
        if (inputs[i].kind() != NodeKind::placeholder)
            throw std::invalid_argument(c + ": input " + std::to_string(i) + " " + inputs[i].describe() + " is a " +
                                        inputs[i].type() + "; gradcheck perturbs placeholders only");
        if (values[i].shape() != inputs[i].shape())
            throw ShapeError(c + ": input " + std::to_string(i) + " " + inputs[i].describe() +
                             " was given a value of shape " + shape_to_string(values[i].shape()));
        for (std::size_t j = 0; j < i; ++j)
            if (inputs[j].same(inputs[i]))
                throw std::invalid_argument(c + ": input " + inputs[i].describe() + " is listed twice (" +
                                            std::to_string(j) + " and " + std::to_string(i) + ")");
    }
    if (!(options.eps > 0) || !std::isfinite(options.eps))
        throw std::invalid_argument(c + ": eps must be positive and finite, got " + format_double(options.eps));
    if (!(options.atol >= 0) || !(options.rtol >= 0))
        throw std::invalid_argument(c + ": atol and rtol must be >= 0");
}

}  // namespace

GradcheckResult gradcheck(const Node& y, const std::vector<Node>& inputs, const std::vector<TensorD>& values,
                          const GradcheckOptions& options) {
    validate("gradcheck", y, inputs, values, options);
    if (inputs.empty()) {
        GradcheckResult r;
        r.message = "gradcheck ok: no inputs to check";
        return r;
    }

    FunctionD f = compile_double({y}, inputs);
    FunctionD df = compile_double(gradients(y, inputs, options.overrides), inputs);

    // Work on copies: the perturbed element is restored after each evaluation.
    std::vector<TensorD> x = values;
    for (std::size_t i = 0; i < x.size(); ++i) {
        f.set_input(i, x[i]);
        df.set_input(i, x[i]);
    }
    const std::vector<TensorD> analytic = df.run();  // copied: results are overwritten by the next run

    GradcheckResult r;
    double worst_ratio = -1.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        for (std::size_t j = 0; j < x[i].size(); ++j) {
            const double original = x[i][j];
            x[i][j] = original + options.eps;
            const double plus = f.run()[0][0];
            x[i][j] = original - options.eps;
            const double minus = f.run()[0][0];
            x[i][j] = original;

            const double numeric = (plus - minus) / (2.0 * options.eps);
            const double a = analytic[i][j];
            const double abs_error = std::abs(a - numeric);
            const double tolerance = options.atol + options.rtol * std::abs(numeric);
            // Non-finite values fail and rank above every finite excess.
            double ratio = std::numeric_limits<double>::infinity();
            if (std::isfinite(a) && std::isfinite(numeric))
                ratio = tolerance > 0 ? abs_error / tolerance : (abs_error > 0 ? std::numeric_limits<double>::max() : 0.0);
            if (!(ratio <= 1.0)) r.ok = false;
            ++r.checked;
            if (ratio > worst_ratio) {
                worst_ratio = ratio;
                r.worst_input = i;
                r.worst_index = j;
                r.analytic = a;
                r.numeric = numeric;
                r.abs_error = abs_error;
                r.rel_error = numeric != 0 ? abs_error / std::abs(numeric) : (abs_error != 0 ? std::numeric_limits<double>::infinity() : 0.0);
            }
        }
    }

    const std::string over = " over " + std::to_string(r.checked) + " elements";
    if (r.checked == 0) {
        r.message = "gradcheck ok: no elements to check";
        return r;
    }
    r.worst_position = unravel(r.worst_index, x[r.worst_input].shape());
    const std::string where = "input " + std::to_string(r.worst_input) + " '" + inputs[r.worst_input].name() + "' at " +
                              shape_to_string(r.worst_position);
    const std::string values_text = "analytic " + format_double(r.analytic) + " vs numeric " + format_double(r.numeric) +
                                    " (abs " + format_double(r.abs_error) + ", rel " + format_double(r.rel_error) + ")";
    r.message = (r.ok ? "gradcheck ok: worst " : "gradcheck FAILED: ") + where + ": " + values_text + over;
    return r;
}

GradcheckResult gradgradcheck(const Node& y, const std::vector<Node>& inputs, const std::vector<TensorD>& values,
                              const GradcheckOptions& options) {
    validate("gradgradcheck", y, inputs, values, options);
    const std::vector<Node> grads = gradients(y, inputs, options.overrides);
    Rng rng(0x9e3779b97f4a7c15ull);  // fixed directions: reproducible
    Node s;
    for (std::size_t i = 0; i < grads.size(); ++i) {
        TensorD v(grads[i].shape());
        for (auto& e : v) e = rng.uniform(-1.0, 1.0);
        const Node term = sum(mul(grads[i], constant(v, "gradgrad_direction_" + std::to_string(i))));
        s = s.valid() ? add(s, term) : term;
    }
    if (!s.valid()) s = scalar(0.0);
    GradcheckResult r = gradcheck(s, inputs, values, options);
    r.message = "grad" + r.message;
    return r;
}

}  // namespace xvis
