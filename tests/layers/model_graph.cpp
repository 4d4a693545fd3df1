// Model::graph(batch) and ModelGraph (layers/model_graph.hpp), Model::predict.
#include <xvis/xvis.hpp>

#include <gtest/gtest.h>

#include <thread>

using namespace xvis;

namespace {

Model two_dense() {
    return Model::sequential({std::make_shared<InputLayer>(Shape{6}), std::make_shared<Dense>(4, ActivationKind::relu, "hidden"),
                              std::make_shared<Dense>(3, ActivationKind::softmax, "out")},
                             "mlp", 5);
}

}  // namespace

TEST(ModelGraph, IsAValueTheModelDoesNotChange) {
    Model m = two_dense();
    const Node before = m.output();
    const ModelGraph g = m.graph(3);
    EXPECT_EQ(m.batch_size(), 1u);
    EXPECT_TRUE(m.output().same(before));
    EXPECT_EQ(g.batch_size(), 3u);
    EXPECT_EQ(g.input().shape(), (Shape{3, 6}));
    EXPECT_EQ(g.output().shape(), (Shape{3, 3}));
    EXPECT_TRUE(g.layer_output("out").same(g.output()));
    EXPECT_TRUE(g.layer_output(-1).same(g.output()));
    EXPECT_EQ(g.layer_output("hidden").shape(), (Shape{3, 4}));
    // pre_activation: the logits before the softmax (for layers without an activation: the output itself).
    EXPECT_EQ(g.pre_activation("out").type(), "add");
    EXPECT_EQ(g.parameters().size(), 4u);
    // A later build of the model does not touch an earlier graph: it keeps its nodes.
    m.build(7);
    EXPECT_EQ(g.input().shape(), (Shape{3, 6}));
    EXPECT_EQ(m.input().shape(), (Shape{7, 6}));
    EXPECT_THROW(m.graph(0), std::invalid_argument);
    EXPECT_THROW(ModelGraph().input(), std::logic_error);
    EXPECT_THROW(g.layer_output("nope"), std::invalid_argument);
}

TEST(ModelGraph, ACopyOfAModelKeepsItsOwnGraph) {
    const Model a = two_dense();
    Model b = a;
    b.build(4);
    EXPECT_EQ(a.batch_size(), 1u);
    EXPECT_EQ(a.output().shape(), (Shape{1, 3}));
    EXPECT_EQ(b.output().shape(), (Shape{4, 3}));
    // Weights are shared: a change through one is seen by both.
    EXPECT_EQ(a.weight("out", "kernel").get(), b.weight("out", "kernel").get());
}

TEST(ModelGraph, BuildsFromSeveralThreadsAtOnce) {
    const Model m = two_dense();
    std::vector<ModelGraph> graphs(4);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < graphs.size(); ++t) threads.emplace_back([&, t] { graphs[t] = m.graph(t + 1); });
    for (auto& t : threads) t.join();
    for (std::size_t t = 0; t < graphs.size(); ++t) EXPECT_EQ(graphs[t].output().shape(), (Shape{t + 1, 3}));
}

TEST(ModelPredict, IsTheCompiledOutputOfABatch) {
    const Model m = two_dense();
    const Tensor x = random_uniform<float>({5, 6}, -1, 1, 3);
    const Tensor y = m.predict(x);
    ASSERT_EQ(y.shape(), (Shape{5, 3}));
    const ModelGraph g = m.graph(5);
    Function f = compile({g.output()}, {g.input()});
    const Tensor& want = f(x)[0];
    for (std::size_t i = 0; i < y.size(); ++i) EXPECT_EQ(y[i], want[i]) << i;
    // Sample by sample gives the same rows.
    for (std::size_t n = 0; n < 5; ++n) {
        Tensor one({1, 6});
        std::copy(x.data() + n * 6, x.data() + (n + 1) * 6, one.data());
        const Tensor row = m.predict(one);
        for (std::size_t k = 0; k < 3; ++k) EXPECT_NEAR(row[k], y[n * 3 + k], 1e-6) << n;
    }
    EXPECT_EQ(m.batch_size(), 1u);
}

TEST(ModelPredict, ErrorsNameTheShapes) {
    const Model m = two_dense();
    try {
        m.predict(Tensor({2, 5}));
        FAIL() << "no exception";
    } catch (const ShapeError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("[2, 5]"), std::string::npos) << what;
        EXPECT_NE(what.find("[N, 6]"), std::string::npos) << what;
    }
    EXPECT_THROW(m.predict(std::vector<Tensor>{Tensor({1, 6}), Tensor({1, 6})}), std::invalid_argument);
}
