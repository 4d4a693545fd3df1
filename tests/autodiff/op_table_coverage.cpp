// Closes the loop between the op registry and the op table: every registered op type must be exercised by some
// op-table row, and every op a row builds must be registered. Rows name no op type; they build graphs, so the
// types are collected from what the rows build:
//   forward  — the row's output graph (what Forward compares with the reference);
//   gradient — the graph of d sum(out · W) / d inputs (what Gradient gradchecks and GradGrad differentiates).
// A type is covered by a forward graph; a backward-only type (made only by VJPs, OpTypeInfo::backward_only) may
// instead be covered by a gradient graph, where its forward op's row checks it.
#include "op_table.hpp"

#include <xvis/autodiff/gradients.hpp>
#include <xvis/autodiff/op.hpp>
#include <xvis/autodiff/topo.hpp>

#include <algorithm>
#include <set>

namespace xvis::test {
namespace {

struct RowTypes {
    std::set<std::string> forward, gradient;
    std::vector<std::string> build_errors;  // rows whose graphs could not be built (e.g. an unregistered op)
};

std::vector<OpCase> all_rows() {
    std::vector<OpCase> rows;
    for (auto table : {elementwise_cases, reduce_layout_cases, nn_cases, fused_cases, conv_fused_cases, onnx_cases,
                       activation_grad_cases})
        for (auto& r : table()) rows.push_back(std::move(r));
    return rows;
}

void collect(const std::vector<Node>& outputs, std::set<std::string>& types) {
    for (const Node& n : topological_order(outputs)) types.insert(n.type());
}

// A row's graphs, built as op_table.cpp builds them: placeholders, and constants for the row's constant inputs
// (sampled by the row, so constant gather indices are valid).
struct RowGraphs {
    Node out;
    std::vector<Node> grads;  // d sum(out · W) / d each differentiable input
};
RowGraphs build_row(const OpCase& c) {
    Rng rng(7);
    const Values v = c.sample(c.shapes, rng);
    Inputs all, diff;
    for (std::size_t i = 0; i < c.shapes.size(); ++i) {
        const bool is_constant = std::find(c.constant_inputs.begin(), c.constant_inputs.end(), i) != c.constant_inputs.end();
        all.push_back(is_constant ? constant(v[i]) : placeholder(c.shapes[i]));
        if (!is_constant) diff.push_back(all.back());
    }
    RowGraphs g;
    g.out = c.build(all);
    g.grads = gradients(sum(mul(g.out, constant(TensorD(g.out.shape(), 1.0)))), diff);
    return g;
}

// The op types of every row's forward and gradient graphs.
RowTypes row_types(const std::vector<OpCase>& rows) {
    RowTypes t;
    for (const OpCase& c : rows) {
        try {
            const RowGraphs g = build_row(c);
            collect({g.out}, t.forward);
            collect(g.grads, t.gradient);
        } catch (const std::exception& e) {
            t.build_errors.push_back(c.name + ": " + e.what());
        }
    }
    return t;
}

// The registered types no row covers, as "type (file)".
std::vector<std::string> uncovered(const std::vector<OpTypeInfo>& registry, const RowTypes& rows) {
    std::vector<std::string> missing;
    for (const auto& e : registry) {
        const bool covered = rows.forward.count(e.type) || (e.backward_only && rows.gradient.count(e.type));
        if (!covered) missing.push_back(e.type + " (" + e.file + (e.backward_only ? ", backward-only" : "") + ")");
    }
    return missing;
}

// Types the rows build that are neither in the registry nor leaves (each once).
std::vector<std::string> unregistered(const std::vector<OpTypeInfo>& registry, const RowTypes& rows) {
    std::set<std::string> known(leaf_op_types().begin(), leaf_op_types().end());
    for (const auto& e : registry) known.insert(e.type);
    std::set<std::string> out;
    for (const auto* types : {&rows.forward, &rows.gradient})
        for (const auto& t : *types)
            if (!known.count(t)) out.insert(t);
    return {out.begin(), out.end()};
}

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& e : v) s += "\n  " + e;
    return s;
}

TEST(OpTableCoverage, EveryRegisteredOpTypeHasARowAndEveryRowOpIsRegistered) {
    const RowTypes rows = row_types(all_rows());
    EXPECT_TRUE(rows.build_errors.empty()) << "rows that cannot be built:" << join(rows.build_errors);
    const std::vector<std::string> missing = uncovered(op_registry(), rows);
    EXPECT_TRUE(missing.empty()) << missing.size() << " registered op types have no op-table row (add rows to "
                                 << "tests/autodiff/op_table_*.cpp):" << join(missing);
    const std::vector<std::string> extra = unregistered(op_registry(), rows);
    EXPECT_TRUE(extra.empty()) << "rows build op types that are not registered:" << join(extra);
}

// The rule itself: a forward type needs a forward graph; only a backward-only type may be covered by a gradient
// graph; a type in neither is reported.
TEST(OpTableCoverage, ReportsTypesOnlySeenWhereTheyDoNotCount) {
    const std::vector<OpTypeInfo> registry = {
        {"fwd_in_forward", "a.cpp"}, {"fwd_in_gradient_only", "a.cpp"}, {"bwd_in_gradient", "b.cpp", true},
        {"bwd_nowhere", "b.cpp", true}};
    RowTypes rows;
    rows.forward = {"fwd_in_forward"};
    rows.gradient = {"fwd_in_gradient_only", "bwd_in_gradient"};
    EXPECT_EQ(uncovered(registry, rows),
              (std::vector<std::string>{"fwd_in_gradient_only (a.cpp)", "bwd_nowhere (b.cpp, backward-only)"}));
    EXPECT_TRUE(unregistered(registry, rows).empty());
    rows.gradient.insert("made_up_type");
    rows.forward.insert("constant");  // leaves are not ops
    EXPECT_EQ(unregistered(registry, rows), std::vector<std::string>{"made_up_type"});
}

// Every node a row builds names its own type in its attributes (their errors name the op) and displays them.
TEST(OpTableCoverage, EveryRowNodeReportsAttributesOfItsOwnType) {
    for (const OpCase& c : all_rows()) {
        RowGraphs g = build_row(c);
        g.grads.push_back(g.out);
        for (const Node& n : topological_order(g.grads)) {
            if (n.kind() != NodeKind::op) continue;
            const OpAttributes a = n.op().attributes();
            EXPECT_EQ(a.op_type(), n.type()) << c.name;
            EXPECT_EQ(to_string(a).empty(), a.empty()) << c.name << ": " << n.type();
        }
    }
}

}  // namespace
}  // namespace xvis::test
