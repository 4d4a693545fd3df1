#include <xvis/autodiff/function.hpp>
#include <xvis/io/fashion_mnist.hpp>
#include <xvis/layers/conv2d.hpp>
#include <xvis/layers/dense.hpp>
#include <xvis/layers/model.hpp>
#include <xvis/layers/pooling.hpp>
#include <xvis/tensor/random.hpp>
#include <xvis/tensor/runtime.hpp>
#include <xvis/training/trainer.hpp>

#include "support/thread_guard.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

using namespace xvis;

namespace {

using K2 = std::array<std::size_t, 2>;

Model small_cnn(ActivationKind last_activation = ActivationKind::linear, std::uint64_t seed = 1) {
    return Model::sequential({std::make_shared<InputLayer>(Shape{1, 8, 8}), std::make_shared<Conv2D>(4, K2{3, 3}, ActivationKind::relu, Padding::same),
                              std::make_shared<MaxPooling2D>(), std::make_shared<Flatten>(),
                              std::make_shared<Dense>(3, last_activation)},
                             "small", seed);
}

// Three classes told apart by which third of the image is bright, plus noise.
struct Synthetic {
    Tensor images;
    std::vector<std::uint8_t> labels;
};
Synthetic synthetic(std::size_t n, std::uint64_t seed) {
    Synthetic s{random_uniform<float>({n, 1, 8, 8}, 0.0, 0.3, seed), {}};
    Rng rng(seed + 1);
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = static_cast<std::uint8_t>(rng.uniform_int(0, 2));
        s.labels.push_back(c);
        for (std::size_t h = 0; h < 8; ++h)
            for (std::size_t w = 0; w < 8; ++w)
                if (w / 3 == c) s.images[i * 64 + h * 8 + w] += 0.7f;
    }
    return s;
}

std::vector<Tensor> weights_of(const Model& m) {
    std::vector<Tensor> out;
    for (const auto& l : m.layers())
        for (const auto& w : l->weights()) out.push_back(*w.value);
    return out;
}

using xvis::testing::ThreadGuard;

}  // namespace

TEST(Fit, LearnsSeparableDataAndKeepsThePartialBatch) {
    const Synthetic d = synthetic(150, 3);
    Model m = small_cnn();
    FitOptions o;
    o.epochs = 4;
    o.batch_size = 32;  // 150 = 4·32 + 22: the last batch runs through the second compiled function
    o.optimizer = make_optimizer("adam", 0.01);
    std::size_t calls = 0, last_batches = 0;
    o.on_batch = [&](const FitProgress& p) {
        ++calls;
        last_batches = p.batches;
        EXPECT_LT(p.batch, p.batches);
        EXPECT_EQ(p.epochs, 4u);
    };
    const auto history = fit(m, d.images, d.labels, o);
    EXPECT_EQ(calls, 4u * 5u);
    EXPECT_EQ(last_batches, 5u);
    ASSERT_EQ(history.size(), 4u);
    EXPECT_LT(history.back().loss, history.front().loss);
    EXPECT_GT(history.back().seconds, 0.0);
    EXPECT_EQ(m.batch_size(), 1u);  // rebuilt for its previous batch size
    const EvalResult r = evaluate(m, d.images, d.labels, 64);
    EXPECT_GT(r.accuracy, 0.9);
    EXPECT_TRUE(std::isfinite(r.loss));
}

TEST(Fit, SameSeedSameWeightsBitForBit) {
    ThreadGuard guard;
    set_num_threads(1);
    const Synthetic d = synthetic(70, 5);
    auto train = [&](std::uint64_t seed, std::shared_ptr<WeightOptimizer> opt) {
        Model m = small_cnn(ActivationKind::linear, 9);
        FitOptions o;
        o.epochs = 2;
        o.batch_size = 16;
        o.seed = seed;
        o.optimizer = std::move(opt);
        fit(m, d.images, d.labels, o);
        return weights_of(m);
    };
    for (const std::string name : {"adam", "sgd"}) {
        const auto a = train(42, make_optimizer(name, 0.01)), b = train(42, make_optimizer(name, 0.01));
        const auto c = train(43, make_optimizer(name, 0.01));
        ASSERT_EQ(a.size(), b.size());
        bool all_same = true, differs = false;
        for (std::size_t i = 0; i < a.size(); ++i) {
            all_same = all_same && std::equal(a[i].begin(), a[i].end(), b[i].begin());
            differs = differs || !std::equal(a[i].begin(), a[i].end(), c[i].begin());
        }
        EXPECT_TRUE(all_same) << name;
        EXPECT_TRUE(differs) << name << ": another shuffling seed should give other weights";
    }
}

// The thread count changes which thread computes what, never the arithmetic: 1 and 2 threads train the same
// weights bit for bit (conv weight gradients of a batch are summed in a fixed order).
TEST(Fit, SameWeightsForAnyThreadCount) {
    ThreadGuard guard;
    const Synthetic d = synthetic(70, 6);
    auto train = [&](int threads) {
        set_num_threads(threads);
        Model m = small_cnn(ActivationKind::linear, 9);
        FitOptions o;
        o.epochs = 2;
        o.batch_size = 16;
        o.seed = 3;
        o.optimizer = make_optimizer("adam", 0.01);
        fit(m, d.images, d.labels, o);
        return weights_of(m);
    };
    const auto a = train(1), b = train(2);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(std::equal(a[i].begin(), a[i].end(), b[i].begin())) << "weight " << i;
}

TEST(Fit, SoftmaxOutputModelTrainsOnItsLogits) {
    const Synthetic d = synthetic(96, 11);
    Model m = small_cnn(ActivationKind::softmax);
    FitOptions o;
    o.epochs = 3;
    o.batch_size = 32;
    o.validation_images = &d.images;
    o.validation_labels = &d.labels;
    const auto h = fit(m, d.images, d.labels, o);
    EXPECT_LT(h.back().loss, h.front().loss);
    EXPECT_GE(h.back().val_accuracy, 0.0);
    EXPECT_EQ(m.layer(-1)->activation(), ActivationKind::softmax);  // untouched
}

TEST(Evaluate, MatchesDirectComputation) {
    const Synthetic d = synthetic(23, 2);
    Model m = small_cnn();
    const EvalResult r = evaluate(m, d.images, d.labels, 10);  // 10 + 10 + 3
    m.build(23);
    Function f = compile({m.output()}, {m.input()});
    const Tensor& logits = f(d.images)[0];
    std::size_t correct = 0;
    double loss = 0;
    for (std::size_t i = 0; i < 23; ++i) {
        const float* row = logits.data() + i * 3;
        correct += static_cast<std::size_t>(std::max_element(row, row + 3) - row) == d.labels[i];
        const double mx = *std::max_element(row, row + 3);
        double z = 0;
        for (int k = 0; k < 3; ++k) z += std::exp(row[k] - mx);
        loss += -(row[d.labels[i]] - mx - std::log(z));
    }
    EXPECT_DOUBLE_EQ(r.accuracy, correct / 23.0);
    EXPECT_NEAR(r.loss, loss / 23.0, 1e-5);
}

TEST(Fit, ClearErrors) {
    const Synthetic d = synthetic(10, 1);
    Model m = small_cnn();
    std::vector<std::uint8_t> short_labels(d.labels.begin(), d.labels.begin() + 9);
    EXPECT_THROW(fit(m, d.images, short_labels), std::invalid_argument);
    EXPECT_THROW(fit(m, Tensor({10, 1, 7, 8}), d.labels), std::invalid_argument);
    std::vector<std::uint8_t> bad = d.labels;
    bad[4] = 3;  // the model has 3 classes
    try {
        fit(m, d.images, bad);
        FAIL() << "no exception";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("label 3"), std::string::npos) << e.what();
    }
    FitOptions o;
    o.batch_size = 0;
    EXPECT_THROW(fit(m, d.images, d.labels, o), std::invalid_argument);
}

TEST(FitFashionMnist, SmokeSubsetWellAboveChance) {
    if (!fashion_mnist_available(fashion_mnist_default_dir, DatasetSubset::train) || !fashion_mnist_available())
        GTEST_SKIP() << "dataset-fashion-mnist is not installed in " << fashion_mnist_default_dir;
    const FashionMnist train = load_fashion_mnist(fashion_mnist_default_dir, DatasetSubset::train, 2000);
    const FashionMnist test = load_fashion_mnist(fashion_mnist_default_dir, DatasetSubset::test, 1000);
    Model m = Model::sequential({std::make_shared<InputLayer>(Shape{1, 28, 28}), std::make_shared<Conv2D>(8, K2{3, 3}, ActivationKind::relu, Padding::same),
                                 std::make_shared<MaxPooling2D>(), std::make_shared<Conv2D>(16, K2{3, 3}, ActivationKind::relu, Padding::same),
                                 std::make_shared<MaxPooling2D>(), std::make_shared<Flatten>(), std::make_shared<Dense>(10)},
                                "smoke", 7);
    FitOptions o;
    o.epochs = 1;
    o.batch_size = 32;  // 63 steps
    o.optimizer = make_optimizer("adam", 2e-3);
    const auto t0 = std::chrono::steady_clock::now();
    fit(m, train.images, train.labels, o);
    const EvalResult r = evaluate(m, test.images, test.labels);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    RecordProperty("accuracy", std::to_string(r.accuracy));
    std::printf("smoke: 2000 images, 1 epoch: test accuracy %.3f on 1000, loss %.3f, %.2f s\n", r.accuracy, r.loss, s);
    EXPECT_GT(r.accuracy, 0.6);
}
