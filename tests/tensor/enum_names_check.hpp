#pragma once
// expect_enum_names<E>: the one check every option enum's name table gets (tensor/enum_names.hpp). The caller
// spells out every enumerator with its canonical name and every alias, so a table that loses, renames or
// reorders a row, or gains an unchecked one, fails.
#include <xvis/tensor/enum_names.hpp>

#include <gtest/gtest.h>

#include <cctype>
#include <iterator>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace xvis::testing {

template <class E>
void expect_enum_names(const std::vector<std::pair<std::string, E>>& canonical, const std::vector<std::pair<std::string, E>>& aliases = {}) {
    const std::string type = EnumNames<E>::type_name;
    SCOPED_TRACE(type);
    // Every row is checked below: no row of the table goes untested.
    EXPECT_EQ(std::size(EnumNames<E>::table), canonical.size() + aliases.size());
    std::vector<E> values;
    for (const auto& [name, value] : canonical) {
        values.push_back(value);
        EXPECT_EQ(to_string(value), name);                      // value → name
        EXPECT_EQ(from_string<E>(name), value) << name;         // name → value
        EXPECT_EQ(to_string(from_string<E>(name)), name);       // name → value → name
        EXPECT_EQ(from_string<E>(to_string(value)), value);     // value → name → value
    }
    EXPECT_EQ(enum_values<E>(), values);
    for (const auto& [alias, value] : aliases) {
        EXPECT_EQ(from_string<E>(alias), value) << "alias '" << alias << "'";
        EXPECT_NE(to_string(value), alias) << "an alias is never printed";
    }
    // Unknown names, and a known name in another case (Keras's names are case-sensitive), throw with a message
    // naming the call, the name and every accepted name.
    const std::string upper = [&] {
        std::string s = canonical.front().first;
        for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        return s;
    }();
    for (const std::string& bad : {std::string("no_such_name"), upper}) {
        try {
            from_string<E>(bad);
            ADD_FAILURE() << "from_string<" << type << ">('" << bad << "') did not throw";
        } catch (const std::invalid_argument& e) {
            const std::string msg = e.what();
            EXPECT_EQ(msg.rfind("from_string<" + type + ">: unknown ", 0), 0u) << msg;
            EXPECT_NE(msg.find("'" + bad + "'"), std::string::npos) << msg;
            for (const auto& rows : {canonical, aliases})
                for (const auto& [name, value] : rows)
                    EXPECT_NE(msg.find(name.empty() ? std::string("\"\"") : name), std::string::npos) << name << " missing from: " << msg;
        }
    }
}

}  // namespace xvis::testing
