// BackpropModifier: keras-vis's names ("deconv" is rectified, "" is none).
#include <xvis/visualization/backprop_modifier_kind.hpp>

#include "tensor/enum_names_check.hpp"

#include <gtest/gtest.h>

using namespace xvis;

TEST(BackpropModifierKind, Names) {
    xvis::testing::expect_enum_names<BackpropModifier>(
        {{"none", BackpropModifier::none}, {"guided", BackpropModifier::guided}, {"rectified", BackpropModifier::rectified}},
        {{"", BackpropModifier::none}, {"deconv", BackpropModifier::rectified}});
    EXPECT_EQ(valid_names<BackpropModifier>(), "none (or \"\"), guided, rectified (or deconv)");
}
