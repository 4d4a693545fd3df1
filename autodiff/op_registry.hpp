#pragma once
// The op-type registry: every op type xvis defines, with the source file that defines it. make_node() refuses
// an op whose type is not registered, and tests/autodiff/op_table_coverage.cpp fails when a registered type has
// no op-table row, so a new op cannot be used before it is registered nor registered before it is tested.
// Each autodiff/ops_*.cpp lists its own types next to their definitions (detail/op_registry.hpp); this file
// only gathers them (explicit calls, not static initializers a static-library link could drop).
#include <string>
#include <vector>

namespace xvis {

struct OpTypeInfo {
    std::string type;            // Op::type(), e.g. "conv2d"
    std::string file;            // the source that defines it, e.g. "autodiff/ops_nn.cpp"
    bool backward_only = false;  // made only by VJPs (no public builder): tested through its forward op's row
};

// Every op type xvis defines (leaves excluded), sorted by type, each type once. Built on first use; a type
// listed twice throws std::logic_error naming it and both files.
const std::vector<OpTypeInfo>& op_registry();
// The types of op_registry(), sorted and unique.
const std::vector<std::string>& registered_op_types();
// The registry entry of `type`, or nullptr (custom types are not in op_registry()).
const OpTypeInfo* find_registered_op_type(const std::string& type);
// Types of leaf nodes ("constant", "parameter", "placeholder"): made by placeholder() / constant() /
// parameter(), never by make_node(), so they need no registration and no row.
const std::vector<std::string>& leaf_op_types();

// Ops defined outside xvis (an application's own op, a test's deliberately wrong op) register their type once
// before make_node() builds them. Idempotent for the same file; throws std::logic_error for an empty type, a
// type xvis defines or a leaf type, or a type already registered from another file. Thread-safe.
void register_custom_op_type(const std::string& type, const std::string& file);
// The custom registrations so far, sorted by type.
std::vector<OpTypeInfo> custom_op_types();

// Throws std::logic_error naming `call` and `type` unless type is registered (built-in or custom).
void check_op_type_registered(const std::string& type, const std::string& call);

}  // namespace xvis
