// GradModifierKind: keras-vis's names, and grad_modifier(kind) doing what the name edge does.
#include <xvis/optimizer/grad_modifiers.hpp>

#include "tensor/enum_names_check.hpp"

#include <gtest/gtest.h>

#include <cmath>

using namespace xvis;

TEST(GradModifierKind, Names) {
    xvis::testing::expect_enum_names<GradModifierKind>({{"none", GradModifierKind::none},
                                                        {"negate", GradModifierKind::negate},
                                                        {"absolute", GradModifierKind::absolute},
                                                        {"invert", GradModifierKind::invert},
                                                        {"relu", GradModifierKind::relu},
                                                        {"small_values", GradModifierKind::small_values}},
                                                       {{"", GradModifierKind::none}});
}

TEST(GradModifierKind, TypedEqualsNamed) {
    const Tensor g({5}, {-2, -0.5, 0, 1e-8f, 4});
    EXPECT_FALSE(grad_modifier(GradModifierKind::none));  // no-op: callers skip an empty modifier
    EXPECT_FALSE(grad_modifier("none"));
    EXPECT_FALSE(grad_modifier(""));
    for (GradModifierKind k : enum_values<GradModifierKind>()) {
        if (k == GradModifierKind::none) continue;
        Tensor typed = g, named = g;
        grad_modifier(k)(typed);
        grad_modifier(to_string(k))(named);
        for (std::size_t i = 0; i < g.size(); ++i) EXPECT_EQ(typed[i], named[i]) << to_string(k) << " at " << i;
    }
    Tensor t = g;
    grad_modifier(GradModifierKind::absolute)(t);
    EXPECT_EQ(t[0], 2.0f);
    EXPECT_EQ(t[4], 4.0f);
    t = g;
    grad_modifier(GradModifierKind::negate)(t);
    EXPECT_EQ(t[1], 0.5f);
    t = g;
    grad_modifier(GradModifierKind::relu)(t);
    EXPECT_EQ(t[0], 0.0f);
    EXPECT_EQ(t[4], 4.0f);
    t = g;
    grad_modifier(GradModifierKind::invert)(t);
    EXPECT_FLOAT_EQ(t[4], 1.0f / (4.0f + 1e-7f));
    t = g;
    grad_modifier(GradModifierKind::small_values)(t);
    EXPECT_FLOAT_EQ(t[0], std::fabs(1.0f / (-2.0f + 1e-7f)));
    EXPECT_THROW(grad_modifier(static_cast<GradModifierKind>(42)), std::invalid_argument);
}
