// The op-type registry: what it lists (sorted, unique, each type with the source that defines it) and what it
// enforces (make_node refuses unregistered types; custom ops register explicitly). That every registered type
// has an op-table row is op_table_coverage.cpp.
#include <xvis/autodiff/op.hpp>
#include <xvis/autodiff/ops.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace xvis::test {
namespace {

// A minimal op (identity) whose type is chosen by the test.
class NamedOp : public OpImpl<NamedOp> {
public:
    explicit NamedOp(std::string type) : type_(std::move(type)) {}
    std::string type() const override { return type_; }
    Shape infer_shape(const std::vector<Node>& in) const override { return in.at(0).shape(); }
    template <class T>
    void compute(const OpArgs<T>& a) const {
        std::copy(a.in(0), a.in(0) + shape_size(a.out_shape()), a.output);
    }
    std::vector<Node> vjp(const Node&, const Node& g) const override { return {g}; }

private:
    std::string type_;
};

std::string read_file(const std::filesystem::path& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

TEST(OpRegistry, ListsEachTypeOnceSortedWithTheFileThatDefinesIt) {
    const auto& reg = op_registry();
    const auto& types = registered_op_types();
    ASSERT_EQ(reg.size(), types.size());
    ASSERT_GE(types.size(), 60u);  // about 60 op types; a list that lost a file's entries would fall far short
    EXPECT_TRUE(std::is_sorted(types.begin(), types.end()));
    EXPECT_EQ(std::adjacent_find(types.begin(), types.end()), types.end()) << "a type is listed twice";
    const std::filesystem::path root = std::filesystem::path(XVIS_TEST_DATA) / ".." / "..";
    for (std::size_t i = 0; i < reg.size(); ++i) {
        EXPECT_EQ(reg[i].type, types[i]);
        EXPECT_EQ(reg[i].file.rfind("autodiff/ops_", 0), 0u) << reg[i].type << ": " << reg[i].file;
        const std::string source = read_file(root / reg[i].file);
        EXPECT_FALSE(source.empty()) << reg[i].type << ": cannot read " << (root / reg[i].file);
        EXPECT_NE(source.find("detail/op_registry.hpp"), std::string::npos) << reg[i].file << " does not list its types";
        EXPECT_EQ(find_registered_op_type(reg[i].type), &reg[i]);
    }
    for (const auto& leaf : leaf_op_types()) EXPECT_EQ(find_registered_op_type(leaf), nullptr) << leaf;
    EXPECT_EQ(find_registered_op_type("step"), nullptr) << "a kernel-only unary kind that no builder makes";
    EXPECT_EQ(find_registered_op_type("pad_constant"), nullptr) << "the constant mode's forward op is \"pad\"";

    const OpTypeInfo* conv = find_registered_op_type("conv2d_backward_data");
    ASSERT_NE(conv, nullptr);
    EXPECT_EQ(conv->file, "autodiff/ops_nn.cpp");
    EXPECT_FALSE(conv->backward_only) << "a public builder (ONNX ConvTranspose uses it as a forward op)";
    const OpTypeInfo* sb = find_registered_op_type("slice_backward");
    ASSERT_NE(sb, nullptr);
    EXPECT_EQ(sb->file, "autodiff/ops_layout.cpp");
    EXPECT_TRUE(sb->backward_only);
}

TEST(OpRegistry, MakeNodeRefusesAnUnregisteredTypeAndNamesIt) {
    const Node x = placeholder({2}, "x");
    try {
        make_node(std::make_shared<NamedOp>("never_registered_op"), {x});
        FAIL() << "no exception";
    } catch (const std::logic_error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("make_node"), std::string::npos) << what;
        EXPECT_NE(what.find("'never_registered_op'"), std::string::npos) << what;
        EXPECT_NE(what.find("register_custom_op_type"), std::string::npos) << what;
    }
    EXPECT_THROW(make_node(std::make_shared<NamedOp>(""), {x}), std::logic_error);
    EXPECT_THROW(make_node(std::make_shared<NamedOp>("placeholder"), {x}), std::logic_error) << "leaves are not ops";
}

TEST(OpRegistry, CustomOpsRegisterOnceAndCannotShadowXvisTypes) {
    const Node x = placeholder({2}, "x");
    register_custom_op_type("registry_test_identity", __FILE__);
    register_custom_op_type("registry_test_identity", __FILE__);  // idempotent
    const Node y = make_node(std::make_shared<NamedOp>("registry_test_identity"), {x});
    EXPECT_EQ(y.type(), "registry_test_identity");
    const auto custom = custom_op_types();
    const auto it = std::find_if(custom.begin(), custom.end(), [](const OpTypeInfo& e) { return e.type == "registry_test_identity"; });
    ASSERT_NE(it, custom.end());
    EXPECT_EQ(it->file, __FILE__);
    EXPECT_EQ(find_registered_op_type("registry_test_identity"), nullptr) << "custom types are not xvis's";
    EXPECT_TRUE(std::is_sorted(custom.begin(), custom.end(), [](const OpTypeInfo& a, const OpTypeInfo& b) { return a.type < b.type; }));

    for (const char* bad : {"conv2d", "relu", "placeholder", ""})
        EXPECT_THROW(register_custom_op_type(bad, __FILE__), std::logic_error) << bad;
    try {
        register_custom_op_type("registry_test_identity", "elsewhere.cpp");
        FAIL() << "no exception";
    } catch (const std::logic_error& e) {
        EXPECT_NE(std::string(e.what()).find(__FILE__), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace xvis::test
