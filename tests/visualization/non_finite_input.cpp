// Non-finite inputs (issue 11): an explainer given an image with a NaN or infinite element refuses it, naming
// the call, the first bad element's index and its value, instead of returning a NaN heat-map.
#include <xvis/xvis.hpp>

#include "support/error_message.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>

using namespace xvis;
using xvis::testing::message_of;

namespace {

// Input [3, 12, 12] → conv (4, 3×3, relu) → GAP → out (5, softmax): every method applies.
Model tiny_cnn() {
    return Model::sequential({std::make_shared<InputLayer>(Shape{3, 12, 12}),
                              std::make_shared<Conv2D>(4, std::array<std::size_t, 2>{3, 3}, ActivationKind::relu, Padding::same, "conv1"),
                              std::make_shared<GlobalAveragePooling2D>(), std::make_shared<Dense>(5, ActivationKind::softmax, "out")},
                             "tiny_cnn", 3);
}

AttributionOptions quick() {
    AttributionOptions o;
    o.samples = 2;
    o.steps = 3;
    o.score_batch = 4;
    return o;
}

class NonFiniteInput : public ::testing::TestWithParam<AttributionMethod> {};

}  // namespace

TEST_P(NonFiniteInput, IsRefusedNamingTheElement) {
    const Model m = tiny_cnn();
    const auto explainer = make_explainer(GetParam(), m, -1, {2}, {2, 3, 12, 12}, quick());
    Tensor x = random_uniform<float>({2, 3, 12, 12}, 0, 1, 7);
    const Tensor good = (*explainer)(x);
    x[760] = std::numeric_limits<float>::quiet_NaN();  // [1, 2, 3, 4] = 1·432 + 2·144 + 3·12 + 4
    for (const std::string& e : {message_of<std::invalid_argument>([&] { (*explainer)(x); }), message_of<std::invalid_argument>([&] { attribute(GetParam(), m, -1, {2}, x, quick()); })})
        EXPECT_NE(e.find("input element [1, 2, 3, 4] (flat index 760) of [2, 3, 12, 12] is nan"), std::string::npos) << e;
    x[760] = 0.5f;
    x[5] = -std::numeric_limits<float>::infinity();
    EXPECT_NE(message_of<std::invalid_argument>([&] { (*explainer)(x); }).find("input element [0, 0, 0, 5] (flat index 5) of [2, 3, 12, 12] is -inf"),
              std::string::npos);
    // The explainer still works after refusing an input.
    x[5] = 0.25f;
    const Tensor again = (*explainer)(x);
    for (std::size_t i = 0; i < again.size(); ++i) ASSERT_TRUE(std::isfinite(again[i])) << i;
    EXPECT_EQ(again.shape(), good.shape());
}

INSTANTIATE_TEST_SUITE_P(Explainers, NonFiniteInput, ::testing::ValuesIn(attribution_methods()),
                         [](const ::testing::TestParamInfo<AttributionMethod>& p) {
                             std::string n = to_string(p.param);
                             for (auto& c : n)
                                 if (c == '-' || c == '+') c = '_';
                             return n + (p.param == AttributionMethod::gradcam_plus_plus ? "pp" : "");
                         });
