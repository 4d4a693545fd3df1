// sweep/job.hpp: the plan's ids and order, stems, shards, the job description.
#include <xvis/models/architectures.hpp>
#include <xvis/sweep/job.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

using namespace xvis;

namespace {

SweepJob fashion_job(ClassChoice classes, std::vector<std::size_t> indices) {
    AttributionJob a;
    a.images.indices = std::move(indices);
    a.classes = std::move(classes);
    return {"arch:fashion_cnn", a};
}

}  // namespace

TEST(SweepPlan, ImagesTimesClassesInOrderWithUniqueIds) {
    const Model model = make_architecture("fashion_cnn", 1);
    const auto items = plan(model, fashion_job({ClassSelection::given, {3, 0}, 1}, {7, 2}));
    ASSERT_EQ(items.size(), 4u);
    EXPECT_EQ(items[0].id, "fashion-mnist:test:7/class:3");
    EXPECT_EQ(items[1].id, "fashion-mnist:test:7/class:0");
    EXPECT_EQ(items[2].id, "fashion-mnist:test:2/class:3");
    EXPECT_EQ(items[3].input, "fashion-mnist:test:2");
    EXPECT_EQ(items[3].class_index, 0);
    EXPECT_EQ(items[0].stem, "fashion-mnist_test_7_class_3");
    const auto top = plan(model, fashion_job({ClassSelection::top_k, {}, 2}, {5}));
    ASSERT_EQ(top.size(), 2u);
    EXPECT_EQ(top[1].id, "fashion-mnist:test:5/top:2");
    EXPECT_EQ(top[1].top, 2u);
    EXPECT_EQ(plan(model, fashion_job({ClassSelection::label, {}, 1}, {5}))[0].id, "fashion-mnist:test:5/label");
}

TEST(SweepPlan, RefusesBadClassesAndDuplicates) {
    const Model model = make_architecture("fashion_cnn", 1);
    EXPECT_THROW(plan(model, fashion_job({ClassSelection::given, {10}, 1}, {0})), std::invalid_argument);
    EXPECT_THROW(plan(model, fashion_job({ClassSelection::given, {-1}, 1}, {0})), std::invalid_argument);
    EXPECT_THROW(plan(model, fashion_job({ClassSelection::top_k, {}, 0}, {0})), std::invalid_argument);
    EXPECT_THROW(plan(model, fashion_job({ClassSelection::top_k, {}, 11}, {0})), std::invalid_argument);
    EXPECT_THROW(plan(model, fashion_job({ClassSelection::given, {1}, 1}, {4, 4})), std::invalid_argument);
}

TEST(SweepPlan, LayersTimesChannels) {
    const Model model = make_architecture("fashion_cnn", 1);
    ActivationJob am;
    am.layers = {0};
    am.channels = {2, 0};
    const auto items = plan(model, {"m", am});
    ASSERT_EQ(items.size(), 2u);
    const std::string name = model.layer(0)->name();
    EXPECT_EQ(items[0].id, name + "/channel:2");
    EXPECT_EQ(items[1].channel, 0);
    am.channels = {};
    const auto all = plan(model, {"m", am});
    EXPECT_EQ(all.size(), model.layer_output(0).shape()[1]);
    am.channels = {100000};
    EXPECT_THROW(plan(model, {"m", am}), std::invalid_argument);
    am.channels = {0};
    am.options.input_modifiers = {std::make_shared<Jitter>(0.05)};
    EXPECT_THROW(plan(model, {"m", am}), std::invalid_argument);
}

TEST(SweepPlan, FolderImagesSortedAndStemsDistinctWhenNamesMeet) {
    const auto dir = std::filesystem::temp_directory_path() / ("xvis_sweep_plan_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    for (const char* name : {"b.png", "a b.png", "a_b.png", ".hidden.png", "notes.txt", "c.JPG"}) std::ofstream(dir / name) << "x";
    ImageSource src;
    src.kind = ImageSourceKind::folder;
    src.path = dir.string();
    EXPECT_EQ(list_images(src), (std::vector<std::string>{"a b.png", "a_b.png", "b.png", "c.JPG"}));
    AttributionJob a;
    a.images = src;
    a.classes = {ClassSelection::given, {1}, 1};
    const Model model = make_architecture("fashion_cnn", 1);
    const auto items = plan(model, {"m", a});
    ASSERT_EQ(items.size(), 4u);
    std::set<std::string> stems;
    for (const auto& it : items) stems.insert(it.stem);
    EXPECT_EQ(stems.size(), 4u);                  // "a b.png" and "a_b.png" both sanitize to a_b.png_class_1
    EXPECT_NE(items[0].stem, "a_b.png_class_1");  // ... so both get a hash
    EXPECT_EQ(items[2].stem, "b.png_class_1");
    std::filesystem::remove_all(dir);
}

TEST(SweepShard, ShardsPartitionThePlan) {
    std::vector<SweepItem> items(23);
    for (std::size_t i = 0; i < items.size(); ++i) items[i].id = std::to_string(i);
    for (std::size_t n = 1; n <= 6; ++n) {
        std::multiset<std::string> seen;
        for (std::size_t i = 0; i < n; ++i)
            for (const auto& it : shard_items(items, {i, n})) seen.insert(it.id);
        EXPECT_EQ(seen.size(), items.size()) << n << " shards";
        for (const auto& it : items) EXPECT_EQ(seen.count(it.id), 1u) << it.id << " in " << n << " shards";
    }
    EXPECT_THROW(shard_items(items, {3, 3}), std::invalid_argument);
}

TEST(SweepShard, ParsesZeroBasedIndexOverCount) {
    EXPECT_EQ(shard_from_string("0/4").index, 0u);
    EXPECT_EQ(shard_from_string("3/4").index, 3u);
    EXPECT_EQ(shard_from_string("3/4").count, 4u);
    for (const char* bad : {"4/4", "1/0", "-1/4", "1", "a/b", "1/", "/2", "1/2/3", " 1/2"}) EXPECT_THROW(shard_from_string(bad), std::invalid_argument) << bad;
}

TEST(SweepJobDescription, ChangesWithWhatDecidesResultsNotWithTheItems) {
    const auto a = describe_job(fashion_job({ClassSelection::given, {1}, 1}, {0, 1}));
    EXPECT_EQ(a, describe_job(fashion_job({ClassSelection::given, {2}, 1}, {5})));  // more items: same sweep
    auto other = fashion_job({ClassSelection::given, {1}, 1}, {0, 1});
    std::get<AttributionJob>(other.task).method = AttributionMethod::gradcam;
    EXPECT_NE(a, describe_job(other));
    std::get<AttributionJob>(other.task).method = AttributionMethod::saliency;
    std::get<AttributionJob>(other.task).options.seed = 3;
    EXPECT_NE(a, describe_job(other));
}
