#include <xvis/training/optimizers.hpp>

#include <cmath>
#include <stdexcept>

namespace xvis {

WeightOptimizer::WeightOptimizer(double lr) : lr_(lr) { set_learning_rate(lr); }

void WeightOptimizer::set_learning_rate(double lr) {
    if (!(lr > 0.0) || !std::isfinite(lr))
        throw std::invalid_argument("WeightOptimizer: learning rate must be finite and > 0, got " + std::to_string(lr));
    lr_ = lr;
}

void WeightOptimizer::reset() {
    iterations_ = 0;
    shapes_.clear();
    state_.clear();
}

void WeightOptimizer::step(const std::vector<Tensor*>& params, const std::vector<const Tensor*>& grads) {
    // Messages are built only on failure: a step allocates nothing once the state exists.
    auto who = [&] { return name() + " step"; };
    if (params.size() != grads.size())
        throw std::invalid_argument(who() + ": " + std::to_string(params.size()) + " parameters but " + std::to_string(grads.size()) +
                                    " gradients");
    for (std::size_t i = 0; i < params.size(); ++i) {
        if (!params[i] || !grads[i]) throw std::invalid_argument(who() + ": parameter or gradient " + std::to_string(i) + " is null");
        if (params[i]->shape() != grads[i]->shape())
            throw std::invalid_argument(who() + ": parameter " + std::to_string(i) + " has shape " + shape_to_string(params[i]->shape()) +
                                        " but its gradient has shape " + shape_to_string(grads[i]->shape()));
    }
    if (iterations_ == 0) {
        // First step: one zero-filled state tensor per slot and parameter.
        shapes_.clear();
        for (const Tensor* p : params) shapes_.push_back(p->shape());
        state_.assign(params.size(), {});
        for (std::size_t i = 0; i < params.size(); ++i)
            for (std::size_t s = 0; s < slots(); ++s) state_[i].emplace_back(params[i]->shape(), 0.0f);
        slot_ptrs_.assign(slots(), nullptr);
    } else {
        if (params.size() != shapes_.size())
            throw std::invalid_argument(who() + ": " + std::to_string(params.size()) + " parameters, but the optimizer state holds " +
                                        std::to_string(shapes_.size()) + " (call reset() for another model)");
        for (std::size_t i = 0; i < params.size(); ++i)
            if (params[i]->shape() != shapes_[i])
                throw std::invalid_argument(who() + ": parameter " + std::to_string(i) + " has shape " + shape_to_string(params[i]->shape()) +
                                            ", the optimizer state " + shape_to_string(shapes_[i]) + " (call reset() for another model)");
    }
    ++iterations_;
    for (std::size_t i = 0; i < params.size(); ++i) {
        for (std::size_t s = 0; s < slot_ptrs_.size(); ++s) slot_ptrs_[s] = state_[i][s].data();
        update(params[i]->data(), grads[i]->data(), slot_ptrs_, params[i]->size(), iterations_);
    }
}

Sgd::Sgd(SgdOptions o) : WeightOptimizer(o.learning_rate), o_(o) {
    if (!(o_.momentum >= 0.0 && o_.momentum < 1.0))
        throw std::invalid_argument("Sgd: momentum must be in [0, 1), got " + std::to_string(o_.momentum));
    if (o_.nesterov && o_.momentum == 0.0) throw std::invalid_argument("Sgd: Nesterov needs a momentum > 0");
}

void Sgd::update(float* w, const float* g, std::vector<float*>& state, std::size_t n, std::size_t) {
    const float lr = static_cast<float>(learning_rate());
    if (state.empty()) {
        for (std::size_t j = 0; j < n; ++j) w[j] -= lr * g[j];
        return;
    }
    const float mu = static_cast<float>(o_.momentum);
    float* v = state[0];
    if (o_.nesterov) {
        for (std::size_t j = 0; j < n; ++j) {
            v[j] = mu * v[j] - lr * g[j];
            w[j] += mu * v[j] - lr * g[j];
        }
    } else {
        for (std::size_t j = 0; j < n; ++j) {
            v[j] = mu * v[j] - lr * g[j];
            w[j] += v[j];
        }
    }
}

Adam::Adam(AdamOptions o) : WeightOptimizer(o.learning_rate), o_(o) {
    if (!(o_.beta1 >= 0.0 && o_.beta1 < 1.0) || !(o_.beta2 >= 0.0 && o_.beta2 < 1.0))
        throw std::invalid_argument("Adam: beta1 and beta2 must be in [0, 1), got " + std::to_string(o_.beta1) + " and " +
                                    std::to_string(o_.beta2));
    if (!(o_.epsilon > 0.0)) throw std::invalid_argument("Adam: epsilon must be > 0, got " + std::to_string(o_.epsilon));
}

void Adam::update(float* w, const float* g, std::vector<float*>& state, std::size_t n, std::size_t t) {
    // Bias corrections in double: β2^t for t in the thousands loses digits in float.
    const double td = static_cast<double>(t);
    const float c1 = static_cast<float>(1.0 / (1.0 - std::pow(o_.beta1, td)));
    const float c2 = static_cast<float>(1.0 / (1.0 - std::pow(o_.beta2, td)));
    const float b1 = static_cast<float>(o_.beta1), b2 = static_cast<float>(o_.beta2);
    const float lr = static_cast<float>(learning_rate()), eps = static_cast<float>(o_.epsilon);
    float* m = state[0];
    float* v = state[1];
    for (std::size_t j = 0; j < n; ++j) {
        m[j] = b1 * m[j] + (1.0f - b1) * g[j];
        v[j] = b2 * v[j] + (1.0f - b2) * g[j] * g[j];
        w[j] -= lr * (m[j] * c1) / (std::sqrt(v[j] * c2) + eps);
    }
}

std::shared_ptr<WeightOptimizer> make_optimizer(const std::string& name, double lr) {
    if (name == "sgd") return std::make_shared<Sgd>(SgdOptions{lr, 0.9, false});
    if (name == "adam") return std::make_shared<Adam>(AdamOptions{lr});
    throw std::invalid_argument("make_optimizer: unknown optimizer '" + name + "' (choices: sgd, adam)");
}

}  // namespace xvis
