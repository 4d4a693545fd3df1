#pragma once
// Gradient-descent optimizers that update weight tensors in place. State (velocities, moments) is allocated on
// the first step() and reused: later steps allocate nothing. The parameter list must then keep the same
// count and shapes (another model → reset() first).
#include <xvis/tensor/tensor.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace xvis {

class WeightOptimizer {
public:
    virtual ~WeightOptimizer() = default;
    // Updates every params[i] from grads[i] (same shape). Throws std::invalid_argument naming the index and
    // both shapes on a mismatch, or when the list differs from the first call's.
    void step(const std::vector<Tensor*>& params, const std::vector<const Tensor*>& grads);
    // Forgets the state (velocities, moments, step count).
    virtual void reset();
    // Steps taken since construction or reset().
    std::size_t iterations() const { return iterations_; }
    virtual std::string name() const = 0;
    double learning_rate() const { return lr_; }
    void set_learning_rate(double lr);

protected:
    explicit WeightOptimizer(double lr);
    // Number of state tensors per parameter (SGD with momentum: 1, Adam: 2).
    virtual std::size_t slots() const = 0;
    // One parameter: n elements of w (updated), g, and the slots' state. `t` is the step number, from 1.
    virtual void update(float* w, const float* g, std::vector<float*>& state, std::size_t n, std::size_t t) = 0;

private:
    double lr_;
    std::size_t iterations_ = 0;
    std::vector<Shape> shapes_;
    std::vector<std::vector<Tensor>> state_;  // state_[i][slot]
    std::vector<float*> slot_ptrs_;           // reused by step(), so it never allocates
};

struct SgdOptions {
    double learning_rate = 0.01;
    double momentum = 0.0;  // in [0, 1)
    bool nesterov = false;
};

// Keras SGD: v ← μ·v − lr·g; w ← w + v (plain), or w ← w + μ·v − lr·g (Nesterov, with the new v).
// μ = 0: w ← w − lr·g.
class Sgd : public WeightOptimizer {
public:
    explicit Sgd(SgdOptions o = {});
    std::string name() const override { return "sgd"; }
    const SgdOptions& options() const { return o_; }

protected:
    std::size_t slots() const override { return o_.momentum != 0.0 ? 1 : 0; }
    void update(float* w, const float* g, std::vector<float*>& state, std::size_t n, std::size_t t) override;

private:
    SgdOptions o_;
};

struct AdamOptions {
    double learning_rate = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double epsilon = 1e-8;
};

// Adam (Kingma & Ba, Algorithm 1), at step t = 1, 2, ...:
//   m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²
//   w ← w − lr · (m / (1 − β1^t)) / (sqrt(v / (1 − β2^t)) + ε)
// (PyTorch's form: ε is added to the bias-corrected sqrt(v̂), not folded into the step size as Keras does.)
class Adam : public WeightOptimizer {
public:
    explicit Adam(AdamOptions o = {});
    std::string name() const override { return "adam"; }
    const AdamOptions& options() const { return o_; }

protected:
    std::size_t slots() const override { return 2; }
    void update(float* w, const float* g, std::vector<float*>& state, std::size_t n, std::size_t t) override;

private:
    AdamOptions o_;
};

// "sgd" (momentum 0.9) or "adam" with learning rate lr; unknown names throw std::invalid_argument listing both.
std::shared_ptr<WeightOptimizer> make_optimizer(const std::string& name, double lr);

}  // namespace xvis
