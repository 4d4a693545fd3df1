// Typed layer options: the names of Padding, ActivationKind and Initializer; the configuration accessors of
// every layer; Keras's string spellings (Conv2D(…, "relu", "same"), Dense(10, "softmax"), Activation("tanh"))
// building exactly the graph of the typed ones.
#include <xvis/autodiff/op.hpp>
#include <xvis/autodiff/topo.hpp>
#include <xvis/xvis.hpp>

#include "tensor/enum_names_check.hpp"
#include "support/error_message.hpp"

#include <gtest/gtest.h>

#include <cstring>

using namespace xvis;
using xvis::testing::expect_enum_names;
using xvis::testing::message_of;

namespace {

using K2 = std::array<std::size_t, 2>;

// The graph behind `out` as text: per node in topological order its kind, name, op type, attributes, shape and
// the positions of its inputs (node ids, and the automatic names "<type>_<id>" made of them, differ between two
// builds, so they are left out).
std::string graph_signature(const Node& out) {
    const std::vector<Node> order = topological_order({out});
    std::string s;
    for (const auto& n : order) {
        const bool automatic = n.name().rfind(n.type() + "_", 0) == 0;
        s += std::to_string(static_cast<int>(n.kind())) + " " + (automatic ? "-" : n.name()) + " " + n.type() + " " + to_string(n.op().attributes()) + " " +
             shape_to_string(n.shape()) + " <-";
        for (const auto& in : n.inputs())
            for (std::size_t i = 0; i < order.size(); ++i)
                if (order[i].same(in)) s += " " + std::to_string(i);
        s += "\n";
    }
    return s;
}

}  // namespace

TEST(LayerOptions, Names) {
    expect_enum_names<Padding>({{"valid", Padding::valid}, {"same", Padding::same}});
    expect_enum_names<ActivationKind>({{"linear", ActivationKind::linear},
                                       {"relu", ActivationKind::relu},
                                       {"leaky_relu", ActivationKind::leaky_relu},
                                       {"sigmoid", ActivationKind::sigmoid},
                                       {"tanh", ActivationKind::tanh},
                                       {"softmax", ActivationKind::softmax}});
    expect_enum_names<Initializer>({{"glorot_uniform", Initializer::glorot_uniform},
                                    {"he_normal", Initializer::he_normal},
                                    {"zeros", Initializer::zeros},
                                    {"ones", Initializer::ones}});
    // The older parse functions are the same edge.
    EXPECT_EQ(activation_from_string("tanh"), ActivationKind::tanh);
    EXPECT_EQ(initializer_from_string("he_normal"), Initializer::he_normal);
    EXPECT_THROW(activation_from_string("elu"), std::invalid_argument);  // Keras has it; xvis does not
}

TEST(LayerOptions, Conv2DConfiguration) {
    Conv2DOptions o;
    o.strides = {2, 1};
    o.padding = Padding::same;
    o.dilation = {1, 2};
    o.groups = 2;
    o.use_bias = false;
    o.activation = ActivationKind::tanh;
    o.data_format = DataFormat::channels_last;
    o.kernel_initializer = Initializer::he_normal;
    o.bias_initializer = Initializer::ones;
    o.name = "c";
    Conv2D c(6, {3, 5}, o);
    EXPECT_EQ(c.filters(), 6u);
    EXPECT_EQ(c.kernel_size(), (K2{3, 5}));
    EXPECT_EQ(c.data_format(), DataFormat::channels_last);
    const Conv2DOptions r = c.options();
    EXPECT_EQ(r.strides, (K2{2, 1}));
    EXPECT_EQ(r.padding, Padding::same);
    EXPECT_EQ(r.dilation, (K2{1, 2}));
    EXPECT_EQ(r.groups, 2u);
    EXPECT_FALSE(r.use_bias);
    EXPECT_EQ(r.activation, ActivationKind::tanh);
    EXPECT_EQ(r.data_format, DataFormat::channels_last);
    EXPECT_EQ(r.kernel_initializer, Initializer::he_normal);
    EXPECT_EQ(r.bias_initializer, Initializer::ones);
    EXPECT_EQ(r.name, "c");
    // options() follows set_activation (keras-vis swaps a final softmax for linear) and carries the automatic name.
    c.set_activation(ActivationKind::linear);
    EXPECT_EQ(c.options().activation, ActivationKind::linear);
    Conv2D unnamed(1, {1, 1}, ActivationKind::relu, Padding::same);
    EXPECT_EQ(unnamed.options().name, unnamed.name());
    EXPECT_FALSE(unnamed.name().empty());
    EXPECT_EQ(unnamed.options().activation, ActivationKind::relu);
    EXPECT_EQ(unnamed.options().padding, Padding::same);
    EXPECT_EQ(unnamed.options().strides, (K2{1, 1}));
}

TEST(LayerOptions, OtherLayersConfiguration) {
    const MaxPooling2D mp(K2{3, 2}, K2{0, 0}, Padding::same, DataFormat::channels_last, "mp");
    EXPECT_TRUE(mp.is_max());
    EXPECT_EQ(mp.pool_size(), (K2{3, 2}));
    EXPECT_EQ(mp.strides(), (K2{3, 2}));  // {0, 0}: the pool size, as Keras's strides=None
    EXPECT_EQ(mp.padding(), Padding::same);
    EXPECT_EQ(mp.data_format(), DataFormat::channels_last);
    const AveragePooling2D ap(K2{2, 2}, K2{1, 2});
    EXPECT_FALSE(ap.is_max());
    EXPECT_EQ(ap.strides(), (K2{1, 2}));
    EXPECT_EQ(ap.padding(), Padding::valid);
    EXPECT_EQ(ap.data_format(), DataFormat::channels_first);
    EXPECT_EQ(GlobalAveragePooling2D(DataFormat::channels_last).data_format(), DataFormat::channels_last);

    // Epsilon exactly as given: the graph only holds it rounded to float inside an add_scalar.
    const double eps = 1.0000001e-5;
    const BatchNormalization bn(eps, DataFormat::channels_last);
    const double got = bn.epsilon();
    EXPECT_EQ(std::memcmp(&eps, &got, sizeof eps), 0) << got;
    EXPECT_EQ(bn.data_format(), DataFormat::channels_last);

    const Dense d(7, ActivationKind::sigmoid, "d", false, Initializer::zeros);
    EXPECT_EQ(d.units(), 7u);
    EXPECT_FALSE(d.use_bias());
    EXPECT_EQ(d.activation(), ActivationKind::sigmoid);
    EXPECT_EQ(d.kernel_initializer(), Initializer::zeros);
    EXPECT_TRUE(Dense(1).use_bias());
    EXPECT_EQ(Dense(1).activation(), ActivationKind::linear);

    const Activation a(ActivationKind::leaky_relu);
    EXPECT_EQ(a.kind(), ActivationKind::leaky_relu);
    EXPECT_EQ(a.leaky_alpha(), 0.3);  // Keras's LeakyReLU default
    EXPECT_EQ(Dropout(0.25).rate(), 0.25);
    EXPECT_EQ(Concatenate(-1).axis(), -1);
    EXPECT_EQ(Concatenate().axis(), 1);
}

TEST(LayerOptions, KerasStringsBuildTheTypedGraph) {
    auto model = [](bool strings) {
        std::vector<LayerPtr> layers{std::make_shared<InputLayer>(Shape{2, 9, 9}, "x")};
        if (strings) {
            layers.push_back(std::make_shared<Conv2D>(3, K2{3, 3}, "relu", "same", "conv"));
            layers.push_back(std::make_shared<Conv2D>(4, K2{2, 2}, "sigmoid", "valid", "conv2"));
            layers.push_back(std::make_shared<Activation>("tanh", "act"));
            layers.push_back(std::make_shared<Flatten>("flat"));
            layers.push_back(std::make_shared<Dense>(5, "softmax", "out"));
        } else {
            layers.push_back(std::make_shared<Conv2D>(3, K2{3, 3}, ActivationKind::relu, Padding::same, "conv"));
            layers.push_back(std::make_shared<Conv2D>(4, K2{2, 2}, ActivationKind::sigmoid, Padding::valid, "conv2"));
            layers.push_back(std::make_shared<Activation>(ActivationKind::tanh, "act"));
            layers.push_back(std::make_shared<Flatten>("flat"));
            layers.push_back(std::make_shared<Dense>(5, ActivationKind::softmax, "out"));
        }
        return Model::sequential(std::move(layers), "m", 7);
    };
    const Model typed = model(false), named = model(true);
    EXPECT_EQ(graph_signature(typed.output()), graph_signature(named.output()));
    // The signature sees the activations (softmax is built as max, exp, sum and div).
    EXPECT_NE(graph_signature(typed.output()).find(" sigmoid "), std::string::npos);
    EXPECT_NE(graph_signature(typed.output()).find(" exp "), std::string::npos);
    const Tensor x = random_uniform<float>({1, 2, 9, 9}, -1, 1, 3);
    Function ft = compile({typed.output()}, {typed.input()});
    Function fn = compile({named.output()}, {named.input()});
    const Tensor yt = ft(x)[0], yn = fn(x)[0];
    ASSERT_EQ(yt.shape(), (Shape{1, 5}));
    for (std::size_t i = 0; i < yt.size(); ++i) EXPECT_EQ(yt[i], yn[i]) << i;  // same seed, same graph: bit-identical
}

TEST(LayerOptions, UnknownNamesListTheValidOnes) {
    const std::string act = message_of<std::invalid_argument>([] { Conv2D(4, {3, 3}, "swish"); });
    EXPECT_NE(act.find("from_string<ActivationKind>: unknown activation 'swish'"), std::string::npos) << act;
    EXPECT_NE(act.find("linear, relu, leaky_relu, sigmoid, tanh, softmax"), std::string::npos) << act;
    const std::string pad = message_of<std::invalid_argument>([] { Conv2D(4, {3, 3}, "relu", "full"); });
    EXPECT_EQ(pad, "from_string<Padding>: unknown padding 'full' (valid: valid, same)");
    EXPECT_NE(message_of<std::invalid_argument>([] { Dense(3, "elu"); }).find("'elu'"), std::string::npos);
    EXPECT_NE(message_of<std::invalid_argument>([] { Activation("Relu"); }).find("'Relu'"), std::string::npos);
}
