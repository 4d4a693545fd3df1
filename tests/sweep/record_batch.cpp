// sweep/detail/record_batch.hpp: a worker's batch of finished items comes out as the same manifest lines, in order;
// anything but whole records is refused, naming the sender and the byte.
#include <xvis/sweep/detail/record_batch.hpp>

#include "support/error_message.hpp"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

using namespace xvis;

namespace {

ManifestRecord record(const std::string& id, bool ok) {
    ManifestRecord r;
    r.item = id;
    r.ok = ok;
    r.input = "fashion-mnist:test:1";
    r.class_name = "a name with a newline\n and a \"quote\"";  // JSON escapes both: still one line
    if (!ok) r.error = "bad image\nsecond line";
    r.rank = 1;
    return r;
}

std::vector<std::pair<bool, std::string>> records_of(const std::string& batch) {
    std::vector<std::pair<bool, std::string>> out;
    detail::for_each_record(batch, "rank 1", [&](bool ok, std::string_view line) { out.emplace_back(ok, std::string(line)); });
    return out;
}

}  // namespace

TEST(RecordBatch, GivesBackEachRecordsManifestLineInOrder) {
    std::string batch;
    const std::vector<ManifestRecord> sent{record("a", true), record("b", false), record("c", true)};
    for (const auto& r : sent) detail::append_record(batch, r);
    const auto got = records_of(batch);
    ASSERT_EQ(got.size(), sent.size());
    for (std::size_t i = 0; i < sent.size(); ++i) {
        EXPECT_EQ(got[i].first, sent[i].ok) << i;
        EXPECT_EQ(got[i].second, to_json_line(sent[i])) << i;
    }
}

TEST(RecordBatch, EmptyBatchHasNoRecords) { EXPECT_TRUE(records_of("").empty()); }

TEST(RecordBatch, RefusesWhatIsNotWholeRecords) {
    std::string one;
    detail::append_record(one, record("a", true));
    const std::string torn = one + one.substr(0, one.size() / 2);  // the second record cut before its '\n'
    const auto msg = xvis::testing::message_of<std::runtime_error>([&] { records_of(torn); });
    EXPECT_NE(msg.find("rank 1"), std::string::npos) << msg;
    EXPECT_NE(msg.find("at byte " + std::to_string(one.size())), std::string::npos) << msg;
    for (const std::string& bad : {std::string("x{}\n"), std::string("1\n"), std::string("\n"), std::string("1{}")})
        EXPECT_THROW(records_of(bad), std::runtime_error) << bad;
}
