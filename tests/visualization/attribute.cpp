// Explainer objects for every attribution method (visualization/attribute.hpp): reuse, allocation, threads.
#include "support/counting_allocator.hpp"

#include <xvis/xvis.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <thread>

using namespace xvis;

namespace {

// Input [3, 12, 12] → conv1 (4, 3×3, relu, same) → max pool → conv2 (6, 3×3, relu, same) → GAP → out (5, softmax).
Model small_cnn() {
    return Model::sequential({std::make_shared<InputLayer>(Shape{3, 12, 12}),
                              std::make_shared<Conv2D>(4, std::array<std::size_t, 2>{3, 3}, ActivationKind::relu, Padding::same, "conv1"),
                              std::make_shared<MaxPooling2D>(), 
                              std::make_shared<Conv2D>(6, std::array<std::size_t, 2>{3, 3}, ActivationKind::relu, Padding::same, "conv2"),
                              std::make_shared<GlobalAveragePooling2D>(), std::make_shared<Dense>(5, ActivationKind::softmax, "out")},
                             "small_cnn", 3);
}

Tensor image(std::size_t n, std::uint64_t seed) { return random_uniform<float>({n, 3, 12, 12}, 0, 1, seed); }

AttributionOptions quick() {
    AttributionOptions o;
    o.samples = 3;  // SmoothGrad
    o.steps = 5;    // Integrated Gradients
    o.score_batch = 4;
    return o;
}

// Bit for bit, naming the first differing element.
void expect_identical(const Tensor& got, const Tensor& want, const std::string& what) {
    ASSERT_EQ(got.shape(), want.shape()) << what;
    for (std::size_t i = 0; i < got.size(); ++i)
        if (std::memcmp(&got[i], &want[i], sizeof(float)) != 0) {
            ADD_FAILURE() << what << ": element " << i << " is " << got[i] << ", expected " << want[i];
            return;
        }
}

class EveryMethod : public ::testing::TestWithParam<AttributionMethod> {};

}  // namespace

TEST_P(EveryMethod, ReusedAcross100CallsGivesWhatAFreshOneGives) {
    const Model m = small_cnn();
    const auto explainer = make_explainer(GetParam(), m, -1, {2}, {2, 3, 12, 12}, quick());
    for (std::uint64_t k = 0; k < 100; ++k) {
        const Tensor x = image(2, 100 + k);
        const Tensor got = (*explainer)(x);
        if (k % 11 == 0 || k == 99) expect_identical(got, attribute(GetParam(), m, -1, {2}, x, quick()), to_string(GetParam()) + " call " + std::to_string(k));
    }
    EXPECT_EQ(m.batch_size(), 1u);  // the model was only read
}

TEST_P(EveryMethod, AllocatesNothingAfterTheFirstCall) {
    const Model m = small_cnn();
    const auto explainer = make_explainer(GetParam(), m, "out", {1, 3}, {2, 3, 12, 12}, quick());
    const Tensor x0 = image(2, 1), x1 = image(2, 2), x2 = image(2, 3);
    (*explainer)(x0);
    const long before = xvis::testing::allocation_count();
    (*explainer)(x1);
    (*explainer)(x2);
    (*explainer)(x0);
    EXPECT_EQ(xvis::testing::allocation_count() - before, 0) << to_string(GetParam());
}

TEST_P(EveryMethod, AnInputOfAnotherShapeIsRefusedNamingBoth) {
    const Model m = small_cnn();
    const auto explainer = make_explainer(GetParam(), m, -1, {0}, {2, 3, 12, 12}, quick());
    try {
        (*explainer)(image(1, 1));
        FAIL() << "no exception";
    } catch (const ShapeError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("[1, 3, 12, 12]"), std::string::npos) << what;
        EXPECT_NE(what.find("[2, 3, 12, 12]"), std::string::npos) << what;
    }
}

INSTANTIATE_TEST_SUITE_P(Explainers, EveryMethod, ::testing::ValuesIn(attribution_methods()),
                         [](const ::testing::TestParamInfo<AttributionMethod>& p) {
                             std::string n = to_string(p.param);
                             for (auto& c : n)
                                 if (c == '-' || c == '+') c = '_';
                             return n + (p.param == AttributionMethod::gradcam_plus_plus ? "pp" : "");
                         });

TEST(Explainers, TwoThreadsExplainWithOneModel) {
    const Model m = small_cnn();
    std::vector<Tensor> inputs;
    for (std::uint64_t k = 0; k < 12; ++k) inputs.push_back(image(1, 500 + k));
    // What one thread computes.
    std::vector<Tensor> saliency, cam;
    {
        Saliency s(m, -1, {1}, {1, 3, 12, 12});
        GradCam g(m, -1, {1}, {1, 3, 12, 12});
        for (const auto& x : inputs) {
            saliency.push_back(s(x));
            cam.push_back(g(x));
        }
    }
    // Two threads at once, each building its own explainers (graph building is concurrent too) from the same
    // const model, while the main thread predicts with it.
    std::vector<std::string> errors(2);
    auto work = [&](int id) {
        try {
            Saliency s(m, -1, {1}, {1, 3, 12, 12});
            GradCam g(m, -1, {1}, {1, 3, 12, 12});
            for (int round = 0; round < 3; ++round)
                for (std::size_t k = 0; k < inputs.size(); ++k) {
                    const std::size_t i = id == 0 ? k : inputs.size() - 1 - k;
                    if (std::memcmp(s(inputs[i]).data(), saliency[i].data(), saliency[i].size() * sizeof(float)) != 0)
                        throw std::runtime_error("saliency of input " + std::to_string(i) + " differs");
                    if (std::memcmp(g(inputs[i]).data(), cam[i].data(), cam[i].size() * sizeof(float)) != 0)
                        throw std::runtime_error("Grad-CAM of input " + std::to_string(i) + " differs");
                }
        } catch (const std::exception& e) {
            errors[static_cast<std::size_t>(id)] = e.what();
        }
    };
    std::thread a(work, 0), b(work, 1);
    const Tensor p = m.predict(inputs[0]);
    a.join();
    b.join();
    EXPECT_EQ(errors[0], "");
    EXPECT_EQ(errors[1], "");
    EXPECT_EQ(p.shape(), (Shape{1, 5}));
}

TEST(Explainers, LayersByNameOrIndex) {
    const Model m = small_cnn();
    const Tensor x = image(1, 9);
    expect_identical(Saliency(m, "out", {3}, x.shape())(x), Saliency(m, -1, {3}, x.shape())(x), "by name");
    expect_identical(Saliency(m, 4, {3}, x.shape())(x), Saliency(m, -1, {3}, x.shape())(x), "by index");
    try {
        Saliency(m, "nope", {3}, x.shape());
        FAIL() << "no exception";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("conv1, max_pooling2d"), std::string::npos) << e.what();
    }
    EXPECT_THROW(Saliency(m, 7, {3}, x.shape()), std::out_of_range);
}

TEST(Explainers, MethodNamesParseAtTheEdge) {
    for (auto method : attribution_methods()) EXPECT_EQ(from_string<AttributionMethod>(to_string(method)), method);
    EXPECT_EQ(from_string<AttributionMethod>("gradcam_plus_plus"), AttributionMethod::gradcam_plus_plus);
    try {
        from_string<AttributionMethod>("grad-cam");
        FAIL() << "no exception";
    } catch (const std::invalid_argument& e) {
        const std::string what = e.what();
        for (auto method : attribution_methods()) EXPECT_NE(what.find(to_string(method)), std::string::npos) << what;
    }
}

TEST(Explainers, TheDataFormatDefaultsToTheModels) {
    const Model first = small_cnn();
    EXPECT_EQ(model_data_format(first), DataFormat::channels_first);
    Conv2DOptions o;
    o.data_format = DataFormat::channels_last;
    o.activation = ActivationKind::relu;
    const Model last = Model::sequential({std::make_shared<InputLayer>(Shape{8, 8, 3}), std::make_shared<Conv2D>(4, std::array<std::size_t, 2>{3, 3}, o),
                                          std::make_shared<GlobalAveragePooling2D>(DataFormat::channels_last),
                                          std::make_shared<Dense>(2, ActivationKind::linear, "out")});
    EXPECT_EQ(model_data_format(last), DataFormat::channels_last);
    const Tensor x = random_uniform<float>({1, 8, 8, 3}, 0, 1, 4);
    // channels_last: the max over channels is over the last axis.
    EXPECT_EQ(visualize_saliency(last, -1, {0}, x).shape(), (Shape{1, 8, 8}));
    SaliencyOptions explicit_last;
    explicit_last.data_format = DataFormat::channels_last;
    expect_identical(visualize_saliency(last, -1, {0}, x), visualize_saliency(last, -1, {0}, x, explicit_last), "default = the model's");
}
