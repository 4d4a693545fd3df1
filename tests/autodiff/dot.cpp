// to_dot(): Graphviz text with every reachable node (name, type, shape), every edge, leaves and outputs marked.
#include <xvis/autodiff/dot.hpp>
#include <xvis/autodiff/gradients.hpp>
#include <xvis/autodiff/ops.hpp>
#include <xvis/autodiff/topo.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

namespace xvis::test {
namespace {

std::size_t count_of(const std::string& s, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + what.size())) ++n;
    return n;
}

TEST(Dot, ContainsEveryNodeAndEdge) {
    const Node x = placeholder({1, 2, 5, 5}, "image");
    const Node w = parameter(std::make_shared<Tensor>(Shape{3, 2, 3, 3}), "kernel");
    kernels::Conv2dParams p;
    p.stride_h = p.stride_w = 2;
    const Node h = relu(conv2d(x, w, p)).set_name("activation");
    const Node loss = sum(h * constant(Tensor({1, 3, 2, 2}, 0.5f), "weights")).set_name("loss");
    const std::string dot = to_dot({loss}, "my_graph");

    EXPECT_EQ(dot.rfind("digraph", 0), 0u) << dot;
    EXPECT_NE(dot.find("my_graph"), std::string::npos);
    EXPECT_EQ(std::count(dot.begin(), dot.end(), '{'), std::count(dot.begin(), dot.end(), '}'));
    EXPECT_EQ(dot.substr(dot.find_last_not_of(" \n") , 1), "}");

    const auto nodes = topological_order({loss});
    std::size_t edges = 0;
    for (const auto& n : nodes) {
        EXPECT_NE(dot.find(n.name()), std::string::npos) << n.name() << " missing from\n" << dot;
        EXPECT_NE(dot.find(n.type()), std::string::npos) << n.type();
        edges += n.inputs().size();
    }
    EXPECT_EQ(count_of(dot, "->"), edges) << dot;
    EXPECT_NE(dot.find("[1, 2, 5, 5]"), std::string::npos);
    EXPECT_NE(dot.find("stride=[2, 2] pad=[0, 0, 0, 0] dilation=[1, 1] groups=1"), std::string::npos) << "conv attributes";
    for (const char* name : {"image", "kernel", "activation", "loss", "weights"})
        EXPECT_NE(dot.find(name), std::string::npos) << name;
}

// Attributes are displayed typed: lists in brackets, doubles exactly and short, enums by name.
TEST(Dot, ShowsTypedAttributes) {
    const Node x = placeholder({1, 1, 4, 4}, "x");
    ResizeOptions o;
    o.mode = ResizeMode::linear;
    const std::string dot = to_dot({resize(leaky_relu(x, 0.3), {1, 1, 8, 8}, o)});
    EXPECT_NE(dot.find("leaky_relu alpha=0.3\\n"), std::string::npos) << dot;
    EXPECT_NE(dot.find("resize mode=linear coordinates=half_pixel nearest=round_prefer_floor scales=[0, 0] y_shape=[1, 1, 8, 8]"),
              std::string::npos) << dot;
}

TEST(Dot, EscapesQuotesAndHandlesGradientGraphs) {
    const Node x = placeholder({3}, "x \"quoted\"");
    const Node y = sum(exp(x));
    const auto g = gradients(y, {x});
    const std::string dot = to_dot({y, g[0]});
    EXPECT_NE(dot.find("x \\\"quoted\\\""), std::string::npos) << dot;
    EXPECT_EQ(count_of(dot, "->"), [&] {
        std::size_t e = 0;
        for (const auto& n : topological_order({y, g[0]})) e += n.inputs().size();
        return e;
    }());
}

}  // namespace
}  // namespace xvis::test
