// from_string / to_string / valid_names / enum_values on a test enum with aliases and an empty name, and the
// data format's names (tensor/data_format.hpp).
#include <xvis/tensor/data_format.hpp>
#include <xvis/tensor/enum_names.hpp>

#include "enum_names_check.hpp"

#include <gtest/gtest.h>

namespace xvis::testing {
enum class Fruit { apple, pear, quince };
}  // namespace xvis::testing

namespace xvis {
template <>
struct EnumNames<testing::Fruit> {
    static constexpr const char* type_name = "Fruit";
    static constexpr const char* noun = "fruit";
    static constexpr EnumName<testing::Fruit> table[] = {{"apple", testing::Fruit::apple},
                                                         {"", testing::Fruit::apple},
                                                         {"pear", testing::Fruit::pear},
                                                         {"quince", testing::Fruit::quince},
                                                         {"coing", testing::Fruit::quince},
                                                         {"membrillo", testing::Fruit::quince}};
};
}  // namespace xvis

namespace xvis::testing {
std::string to_string(Fruit f) { return enum_name(f); }
}  // namespace xvis::testing

using namespace xvis;
using xvis::testing::Fruit;

TEST(EnumNames, ParsesCanonicalNamesAndAliases) {
    EXPECT_EQ(from_string<Fruit>("apple"), Fruit::apple);
    EXPECT_EQ(from_string<Fruit>(""), Fruit::apple);
    EXPECT_EQ(from_string<Fruit>("membrillo"), Fruit::quince);
    EXPECT_EQ(std::string(enum_name(Fruit::quince)), "quince");  // the first row of a value is its name
    EXPECT_EQ(enum_values<Fruit>(), (std::vector<Fruit>{Fruit::apple, Fruit::pear, Fruit::quince}));
    xvis::testing::expect_enum_names<Fruit>({{"apple", Fruit::apple}, {"pear", Fruit::pear}, {"quince", Fruit::quince}},
                                            {{"", Fruit::apple}, {"coing", Fruit::quince}, {"membrillo", Fruit::quince}});
}

TEST(EnumNames, ErrorListsEveryNameOnce) {
    EXPECT_EQ(valid_names<Fruit>(), "apple (or \"\"), pear, quince (or coing, membrillo)");
    try {
        from_string<Fruit>("banana");
        FAIL() << "no exception";
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "from_string<Fruit>: unknown fruit 'banana' (valid: apple (or \"\"), pear, quince (or coing, membrillo))");
    }
    // Near misses are not guessed: whitespace and case matter.
    EXPECT_THROW(from_string<Fruit>(" pear"), std::invalid_argument);
    EXPECT_THROW(from_string<Fruit>("Pear"), std::invalid_argument);
}

TEST(EnumNames, OutOfRangeValueIsAnError) {
    try {
        enum_name(static_cast<Fruit>(7));
        FAIL() << "no exception";
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "to_string(Fruit): value 7 is not a Fruit");
    }
    EXPECT_THROW(to_string(static_cast<DataFormat>(-1)), std::invalid_argument);
}

TEST(EnumNames, DataFormat) {
    xvis::testing::expect_enum_names<DataFormat>({{"channels_first", DataFormat::channels_first}, {"channels_last", DataFormat::channels_last}});
    try {
        from_string<DataFormat>("NHWC");
        FAIL() << "no exception";
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "from_string<DataFormat>: unknown data format 'NHWC' (valid: channels_first, channels_last)");
    }
}
