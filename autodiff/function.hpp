#pragma once
// Compiled function: a plan over the nodes that the outputs need, in topological order (dead nodes are never
// visited), with intermediate buffers assigned by liveness so that a buffer is reused once its last reader
// ran. All buffers are allocated at compile time: run() allocates nothing, so it can be called thousands
// of times in an optimizer loop. What an op derives from a weight alone (Op::prepared_input) is kept between
// runs (see num_prepared). Views (reshape, stop_gradient) share their input's buffer.
// Separate functions may run concurrently on different threads; one function is not reentrant.
// BasicFunction<double> runs the same graph in double precision (constants exactly, parameters converted at
// every run): that is what gradcheck uses.
#include <xvis/autodiff/node.hpp>

#include <memory>
#include <string>
#include <vector>

namespace xvis {

struct CompileOptions {
    // Rewrite each convolution with the bias, residual add and ReLU after it, and ReLU's VJP into the
    // convolution's backward-data, as one step (fuse_epilogues.hpp): fewer steps, buffers and passes over memory,
    // the same values bit for bit. Off: every node of the graph is a step (to profile the graph as built).
    bool fuse_epilogues = true;
};

template <class T>
class BasicFunction {
public:
    // inputs: the placeholders fed at run time, in feed order. Every placeholder the outputs depend on must be
    // among them (else ShapeError naming it); extra inputs are allowed and ignored.
    BasicFunction(std::vector<Node> outputs, std::vector<Node> inputs, const CompileOptions& options = {});
    ~BasicFunction();
    BasicFunction(BasicFunction&&) noexcept;
    BasicFunction& operator=(BasicFunction&&) noexcept;

    std::size_t num_inputs() const;
    std::size_t num_outputs() const;

    // Binds input i to `value` (no copy: it must stay alive until run() returns). Shape must match.
    void set_input(std::size_t i, const BasicTensor<T>& value);
    // Runs the plan; the outputs stay valid (and are overwritten) until the next run.
    const std::vector<BasicTensor<T>>& run();
    // Binds every input, in order, then runs: f(x) or f(x, y).
    template <class... Feeds>
    const std::vector<BasicTensor<T>>& operator()(const Feeds&... feeds) {
        std::size_t i = 0;
        (set_input(i++, feeds), ...);
        return run();
    }
    const BasicTensor<T>& output(std::size_t i) const;

    // Plan statistics and a readable listing, for tests and tuning.
    std::size_t num_steps() const;        // op evaluations per run
    std::size_t num_buffers() const;      // distinct intermediate buffers after liveness reuse
    std::size_t buffer_elements() const;  // total elements in intermediate buffers
    // Prepared inputs (Op::prepared_input: e.g. Winograd's transformed filters of a convolution whose weights are
    // a parameter or constant), kept between runs from the second run on and prepared again when a parameter's
    // contents change (found by hashing them at every run): how many, their elements, prepare() calls so far.
    std::size_t num_prepared() const;
    std::size_t prepared_elements() const;
    std::size_t num_preparations() const;
    std::string plan_string() const;

    // Per-step wall time, for finding what a graph spends its time on. Off by default (on, each step costs two
    // clock reads; nothing allocates). Times accumulate over runs until enable_profiling is called again.
    struct StepProfile {
        std::string name, type;  // node name, op type
        Shape shape;             // output shape
        double seconds;          // total over the profiled runs
        std::size_t runs;
    };
    void enable_profiling(bool on = true);
    std::vector<StepProfile> profile() const;  // plan order
    // Totals per op type, then the `top` slowest steps, as a table.
    std::string profile_string(std::size_t top = 15) const;

private:
    struct Plan;
    std::unique_ptr<Plan> plan_;
};

using Function = BasicFunction<float>;
using FunctionD = BasicFunction<double>;

inline Function compile(std::vector<Node> outputs, std::vector<Node> inputs, const CompileOptions& options = {}) {
    return Function(std::move(outputs), std::move(inputs), options);
}
inline FunctionD compile_double(std::vector<Node> outputs, std::vector<Node> inputs, const CompileOptions& options = {}) {
    return FunctionD(std::move(outputs), std::move(inputs), options);
}

}  // namespace xvis
