#include <xvis/autodiff/function.hpp>
#include <xvis/autodiff/gradients.hpp>
#include <xvis/autodiff/ops.hpp>
#include <xvis/tensor/random.hpp>
#include <xvis/training/trainer.hpp>

#include <chrono>
#include <cmath>
#include <numeric>
#include <optional>
#include <stdexcept>

namespace xvis {

namespace {

// Rebuilds the model for its original batch size when fit()/evaluate() return or throw.
struct BatchRestorer {
    Model& model;
    std::size_t batch;
    ~BatchRestorer() {
        try {
            model.build(batch);
        } catch (...) {
        }
    }
};

Node logits_of(const Model& model, const char* call) {
    if (model.num_inputs() != 1 || model.num_outputs() != 1)
        throw std::invalid_argument(std::string(call) + ": model '" + model.name() + "' must have one input and one output, has " +
                                    std::to_string(model.num_inputs()) + " and " + std::to_string(model.num_outputs()));
    const LayerPtr& last = model.layer(-1);
    Node logits = model.output(0);
    if (model.layer_output(-1).same(logits) && last->activation() == ActivationKind::softmax) logits = model.graph().pre_activation(-1);
    if (logits.rank() != 2)
        throw std::invalid_argument(std::string(call) + ": model '" + model.name() + "' output " + logits.describe() +
                                    " must be logits [batch, classes]");
    return logits;
}

void check_data(const Model& model, const Tensor& images, const std::vector<std::uint8_t>& labels, const char* call) {
    const Shape& in = model.input(0).shape();
    const Shape want(in.begin() + 1, in.end());
    const Shape got = images.rank() > 0 ? Shape(images.shape().begin() + 1, images.shape().end()) : Shape{};
    if (images.rank() == 0 || got != want)
        throw std::invalid_argument(std::string(call) + ": images have shape " + shape_to_string(images.shape()) + ", the model '" +
                                    model.name() + "' expects [N] + " + shape_to_string(want));
    if (images.dim(0) != labels.size())
        throw std::invalid_argument(std::string(call) + ": " + std::to_string(images.dim(0)) + " images but " +
                                    std::to_string(labels.size()) + " labels");
    if (labels.empty()) throw std::invalid_argument(std::string(call) + ": no samples");
}

// One compiled pass for a fixed batch size: outputs {loss, logits, grads...}, inputs {images, one-hot labels}.
struct Pass {
    std::size_t batch = 0, classes = 0, row = 0;
    const char* call;
    std::optional<Function> fn;
    Tensor x, y;
    std::vector<Tensor*> params;
    std::vector<const Tensor*> grads;

    Pass(Model& model, std::size_t batch_size, bool with_grads, const char* call_name) : batch(batch_size), call(call_name) {
        model.build(batch);
        const Node logits = logits_of(model, call);
        classes = logits.shape()[1];
        const Node labels = placeholder({batch, classes}, "labels");
        const Node loss = softmax_cross_entropy(logits, labels);
        std::vector<Node> outputs{loss, logits};
        if (with_grads) {
            std::vector<Node> trainable;
            for (const Node& p : model.parameters()) {
                // BatchNormalization's moving statistics are not trained by gradient descent (as in Keras).
                const std::string& n = p.name();
                auto ends_with = [&](const std::string& s) { return n.size() >= s.size() && n.compare(n.size() - s.size(), s.size(), s) == 0; };
                if (ends_with("/moving_mean") || ends_with("/moving_variance")) continue;
                trainable.push_back(p);
                params.push_back(p.parameter_storage().get());
            }
            const std::vector<Node> g = gradients(loss, trainable);
            outputs.insert(outputs.end(), g.begin(), g.end());
            grads.assign(g.size(), nullptr);
        }
        x = Tensor(model.input(0).shape());
        y = Tensor({batch, classes});
        row = x.size() / batch;
        fn.emplace(compile(outputs, {model.input(0), labels}));
    }

    // Copies samples order[begin, begin + batch) into x / y, runs; returns {loss, correct predictions}.
    std::pair<double, std::size_t> run(const Tensor& images, const std::vector<std::uint8_t>& labels,
                                       const std::vector<std::size_t>& order, std::size_t begin) {
        y.fill(0.0f);
        for (std::size_t b = 0; b < batch; ++b) {
            const std::size_t i = order[begin + b];
            std::copy(images.data() + i * row, images.data() + (i + 1) * row, x.data() + b * row);
            if (labels[i] >= classes)
                throw std::invalid_argument(std::string(call) + ": label " + std::to_string(labels[i]) + " of sample " + std::to_string(i) +
                                            " is not below the model's " + std::to_string(classes) + " classes");
            y[b * classes + labels[i]] = 1.0f;
        }
        const std::vector<Tensor>& out = (*fn)(x, y);
        for (std::size_t k = 0; k < grads.size(); ++k) grads[k] = &out[2 + k];
        std::size_t correct = 0;
        const float* logits = out[1].data();
        for (std::size_t b = 0; b < batch; ++b) {
            const float* r = logits + b * classes;
            const std::size_t pred = static_cast<std::size_t>(std::max_element(r, r + classes) - r);
            correct += pred == labels[order[begin + b]];
        }
        return {static_cast<double>(out[0].item()), correct};
    }
};

}  // namespace

std::vector<EpochStats> fit(Model& model, const Tensor& images, const std::vector<std::uint8_t>& labels, const FitOptions& o) {
    if (o.epochs == 0 || o.batch_size == 0) throw std::invalid_argument("fit: epochs and batch_size must be >= 1");
    if ((o.validation_images == nullptr) != (o.validation_labels == nullptr))
        throw std::invalid_argument("fit: give both validation_images and validation_labels, or neither");
    check_data(model, images, labels, "fit");
    const std::size_t n = labels.size();
    const std::size_t batch = std::min(o.batch_size, n);
    const std::size_t full = n / batch, rest = n % batch;
    const std::size_t batches = full + (rest ? 1 : 0);

    BatchRestorer restore{model, model.batch_size()};
    std::shared_ptr<WeightOptimizer> opt = o.optimizer ? o.optimizer : std::make_shared<Adam>();
    Pass main(model, batch, true, "fit");
    std::optional<Pass> tail;
    if (rest) tail.emplace(model, rest, true, "fit");
    // One optimizer state serves both functions: their parameter lists must name the same tensors in order.
    if (tail && tail->params != main.params) throw std::logic_error("fit: the two compiled passes list different parameters");

    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t(0));
    Rng rng(o.seed);
    std::vector<EpochStats> history;
    for (std::size_t epoch = 0; epoch < o.epochs; ++epoch) {
        if (o.shuffle)  // Fisher-Yates with our own integer draws: the same order on every platform
            for (std::size_t i = n - 1; i > 0; --i)
                std::swap(order[i], order[static_cast<std::size_t>(rng.uniform_int(0, static_cast<std::int64_t>(i)))]);
        const auto t0 = std::chrono::steady_clock::now();
        double loss_sum = 0;
        std::size_t correct = 0, seen = 0;
        for (std::size_t b = 0; b < batches; ++b) {
            Pass& p = b < full ? main : *tail;
            const auto [loss, ok] = p.run(images, labels, order, b * batch);
            if (!std::isfinite(loss))
                throw std::runtime_error("fit: the loss became " + std::to_string(loss) + " at epoch " + std::to_string(epoch) +
                                         ", batch " + std::to_string(b) + " (learning rate too high?)");
            opt->step(p.params, p.grads);
            loss_sum += loss * static_cast<double>(p.batch);
            correct += ok;
            seen += p.batch;
            if (o.on_batch)
                o.on_batch({epoch, o.epochs, b, batches, loss_sum / static_cast<double>(seen),
                            static_cast<double>(correct) / static_cast<double>(seen)});
        }
        EpochStats s{epoch, loss_sum / static_cast<double>(n), static_cast<double>(correct) / static_cast<double>(n),
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()};
        if (o.validation_images) {
            const EvalResult v = evaluate(model, *o.validation_images, *o.validation_labels, std::max<std::size_t>(batch, 256));
            s.val_loss = v.loss;
            s.val_accuracy = v.accuracy;
        }
        history.push_back(s);
        if (o.on_epoch_end) o.on_epoch_end(s);
    }
    return history;
}

EvalResult evaluate(Model& model, const Tensor& images, const std::vector<std::uint8_t>& labels, std::size_t batch_size) {
    if (batch_size == 0) throw std::invalid_argument("evaluate: batch_size must be >= 1");
    check_data(model, images, labels, "evaluate");
    const std::size_t n = labels.size();
    const std::size_t batch = std::min(batch_size, n);
    const std::size_t full = n / batch, rest = n % batch;
    BatchRestorer restore{model, model.batch_size()};
    Pass main(model, batch, false, "evaluate");
    std::optional<Pass> tail;
    if (rest) tail.emplace(model, rest, false, "evaluate");
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t(0));
    double loss_sum = 0;
    std::size_t correct = 0;
    for (std::size_t b = 0; b < full + (rest ? 1 : 0); ++b) {
        Pass& p = b < full ? main : *tail;
        const auto [loss, ok] = p.run(images, labels, order, b * batch);
        loss_sum += loss * static_cast<double>(p.batch);
        correct += ok;
    }
    return {loss_sum / static_cast<double>(n), static_cast<double>(correct) / static_cast<double>(n)};
}

}  // namespace xvis
