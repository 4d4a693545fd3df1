#include <xvis/xvis.hpp>

#include "support/counting_allocator.hpp"
#include "image/gif_reader.hpp"
#include "image/temp_dir.hpp"

#include <gtest/gtest.h>

using namespace xvis;
using xvis::testing::allocation_count;  // counting_allocator.cpp: the optimizer loop must not allocate

namespace {

Model small_cnn() {
    return Model::sequential({std::make_shared<InputLayer>(Shape{3, 16, 16}),
                              std::make_shared<Conv2D>(8, std::array<std::size_t, 2>{3, 3}, ActivationKind::relu, Padding::same, "c1"),
                              std::make_shared<MaxPooling2D>(),
                              std::make_shared<Conv2D>(8, std::array<std::size_t, 2>{3, 3}, ActivationKind::relu, Padding::same, "c2"),
                              std::make_shared<Flatten>(),
                              std::make_shared<Dense>(5, ActivationKind::softmax, "out")},
                             "small", 11);
}

struct Losses : Callback {
    std::vector<double> overall;
    long allocations_at_second = -1, allocations_at_last = -1;
    void callback(int i, const NamedLosses&, double loss, const Tensor&, const Tensor&) override {
        if (overall.capacity() == overall.size()) return;  // reserved up front: no allocation here
        overall.push_back(loss);
        if (i == 1) allocations_at_second = allocation_count();
        allocations_at_last = allocation_count();
    }
};

}  // namespace

TEST(VisualizeActivation, LossDecreasesOnASmallCnnAndTheLoopDoesNotAllocate) {
    Model m = small_cnn();
    auto rec = std::make_shared<Losses>();
    rec->overall.reserve(40);
    VisualizeActivationOptions o;
    o.max_iter = 40;
    o.seed = 2;
    o.callbacks = {rec};
    o.input_modifiers = {std::make_shared<Jitter>(0.05)};
    const auto r = visualize_activation(m, m.find_layer_idx("c2"), {3}, o);
    ASSERT_EQ(rec->overall.size(), 40u);
    EXPECT_LT(r.best_loss, rec->overall.front());
    EXPECT_LT(rec->overall.back(), rec->overall.front());
    EXPECT_EQ(rec->allocations_at_last, rec->allocations_at_second) << "the optimizer loop allocated";
    EXPECT_EQ(r.image.shape(), (Shape{1, 16, 16, 3}));
    for (float v : r.image) {
        EXPECT_GE(v, 0.0f);
        EXPECT_LE(v, 255.0f);
    }
    EXPECT_TRUE(r.integer_range);
    EXPECT_EQ(to_uint8(r.image).size(), r.image.size());
}

// GifGenerator records every iteration without allocating after its first frame (its GIF writer keeps its
// buffers and streams the frames to the file).
TEST(VisualizeActivation, GifGeneratorDoesNotAllocateInTheLoop) {
    xvis::testing::TempDir dir;
    Model m = small_cnn();
    auto gif = std::make_shared<GifGenerator>(dir.file("evolution.gif"));
    auto rec = std::make_shared<Losses>();
    rec->overall.reserve(30);
    VisualizeActivationOptions o;
    o.max_iter = 30;
    o.callbacks = {gif, rec};  // the recorder reads the counter after the GIF's frame of the same iteration
    visualize_activation(m, m.find_layer_idx("c2"), {3}, o);
    ASSERT_EQ(rec->overall.size(), 30u);
    EXPECT_EQ(rec->allocations_at_last, rec->allocations_at_second) << "a GIF frame allocated";
    const Tensor first = xvis::testing::read_gif_first_frame(dir.file("evolution.gif"));
    EXPECT_EQ(first.shape()[0], 16u);
    EXPECT_EQ(first.shape()[1], 16u);
}

TEST(VisualizeActivation, EverySampleOfABatchIsOptimized) {
    Model m = small_cnn();
    VisualizeActivationOptions o;
    o.max_iter = 5;
    o.use_logits = true;
    o.seed_input = random_array({2, 3, 16, 16}, 127.5, 12.75, 4);
    const auto r = visualize_activation(m, -1, {1}, o);
    EXPECT_EQ(m.batch_size(), 1u);  // explaining builds its own graph: the model is left as it was
    ASSERT_EQ(r.best_input.shape(), (Shape{2, 3, 16, 16}));
    for (std::size_t n = 0; n < 2; ++n) {
        double moved = 0;
        for (std::size_t i = 0; i < 768; ++i) moved += std::fabs(r.best_input[n * 768 + i] - (*o.seed_input)[n * 768 + i]);
        EXPECT_GT(moved, 0.0) << "sample " << n;
    }
    EXPECT_EQ(r.image.shape(), (Shape{2, 16, 16, 3}));
}

TEST(VisualizeActivation, PrintCallbackNamesTheLosses) {
    Model m = small_cnn();
    std::ostringstream out;
    VisualizeActivationOptions o;
    o.max_iter = 2;
    o.callbacks = {std::make_shared<Print>(out)};
    visualize_activation(m, 0, {0}, o);
    const std::string s = out.str();
    EXPECT_NE(s.find("Iteration: 2"), std::string::npos) << s;
    EXPECT_NE(s.find("ActivationMax Loss"), std::string::npos) << s;
    EXPECT_NE(s.find("L-6.0 Norm Loss"), std::string::npos) << s;
    EXPECT_NE(s.find("TV(2.0) Loss"), std::string::npos) << s;
}

TEST(ActivationMaximizer, ReusedGivesWhatTheFunctionGivesAndAllocatesNothingAfterTheFirstRun) {
    const Model m = small_cnn();
    VisualizeActivationOptions o;
    o.max_iter = 6;
    o.input_modifiers = {std::make_shared<Jitter>(0.05, DataFormat::channels_first, 5)};
    ActivationMaximizer am(m, "c2", {3}, {2, 3, 16, 16}, o);
    const Tensor seed1 = random_array({2, 3, 16, 16}, 127.5, 12.75, 1), seed2 = random_array({2, 3, 16, 16}, 127.5, 12.75, 2);
    am(seed1);
    const long before = allocation_count();
    const MinimizeResult& r = am(seed2);
    EXPECT_EQ(allocation_count() - before, 0) << "a repeated run allocated";
    // A fresh optimization from the same seed (Jitter reseeded the same way) gives the same result.
    VisualizeActivationOptions fresh = o;
    fresh.input_modifiers = {std::make_shared<Jitter>(0.05, DataFormat::channels_first, 5)};
    fresh.seed_input = seed2;
    // The reused Jitter has drawn 12 shifts already; replay them on the fresh one so both draw the same next ones.
    Tensor scratch({2, 3, 16, 16}, 0.0f);
    for (int i = 0; i < 6; ++i) fresh.input_modifiers[0]->pre(scratch);
    const MinimizeResult f = visualize_activation(m, "c2", {3}, fresh);
    EXPECT_EQ(r.best_loss, f.best_loss);
    EXPECT_EQ(r.best_iteration, f.best_iteration);
    ASSERT_EQ(r.image.shape(), f.image.shape());
    for (std::size_t i = 0; i < r.image.size(); ++i) ASSERT_EQ(r.image[i], f.image[i]) << i;
    EXPECT_EQ(am.loss_names().size(), 3u);
}
