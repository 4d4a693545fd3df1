// sweep/run.hpp: a sweep gives what the library gives per item; stops and resumes without losing or repeating an
// item; records a bad item and goes on; refuses a folder holding another job.
#include <xvis/xvis.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

using namespace xvis;
namespace fs = std::filesystem;

namespace {

fs::path scratch(const std::string& name) {
    const fs::path d = fs::temp_directory_path() / ("xvis_sweep_run_" + std::to_string(::getpid())) / name;
    fs::remove_all(d);
    return d;
}

std::string bytes_of(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string file_of(const ManifestRecord& r, const std::string& role) {
    for (const auto& [k, v] : r.files)
        if (k == role) return v;
    return {};
}

// A Fashion-MNIST test image as the model input (pixels / 255, [1, 1, 28, 28]).
Tensor fashion_input(const FashionMnist& data, std::size_t i) {
    Tensor x({1, 1, 28, 28});
    std::copy(data.images.data() + i * 784, data.images.data() + (i + 1) * 784, x.begin());
    return x;
}

SweepJob fashion_job(AttributionMethod method, ClassChoice classes, std::vector<std::size_t> indices) {
    AttributionJob a;
    a.method = method;
    a.images.indices = std::move(indices);
    a.classes = std::move(classes);
    a.options.steps = 8;  // Integrated Gradients: enough to compare, cheap
    return {"arch:fashion_cnn", a};
}

// Equal up to rounding: the sweep reads a dataset image as 0..255 pixels and preprocesses them (v · 1/255),
// which differs from the test's v / 255 in the last bit for half of the 256 levels. That ulp, through the
// network, moved Grad-CAM values of about 0.36 by 1.01e-6 once the convolutions took Winograd.
void expect_same(const Tensor& got, const Tensor& want, const std::string& what) {
    ASSERT_EQ(got.shape(), want.shape()) << what;
    float scale = 1.0f;
    for (std::size_t i = 0; i < want.size(); ++i) scale = std::max(scale, std::abs(want[i]));
    for (std::size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-5f * scale) << what << " element " << i;
}

#define NEED_FASHION_MNIST() \
    if (!fashion_mnist_available()) GTEST_SKIP() << "dataset-fashion-mnist is not installed"

}  // namespace

TEST(Sweep, AttributionEqualsTheLibraryPerItem) {
    NEED_FASHION_MNIST();
    const Model model = make_architecture("fashion_cnn", 1);
    const FashionMnist data = load_fashion_mnist(fashion_mnist_default_dir, DatasetSubset::test, 4);
    for (auto method : {AttributionMethod::saliency, AttributionMethod::gradcam, AttributionMethod::integrated_gradients}) {
        for (ClassChoice classes : {ClassChoice{ClassSelection::given, {1, 7}, 1}, ClassChoice{ClassSelection::top_k, {}, 2}}) {
            const fs::path out = scratch("equal");
            SweepOptions o;
            o.output = out.string();
            const SweepJob job = fashion_job(method, classes, {3, 0, 2});
            const SweepSummary s = run_sweep(model, job, o);
            EXPECT_EQ(s.done, 6u);
            EXPECT_EQ(s.failed, 0u);
            const auto records = read_manifests(out.string());
            ASSERT_EQ(records.size(), 6u);
            const auto items = plan(model, job);
            for (std::size_t k = 0; k < records.size(); ++k) {
                const ManifestRecord& r = records[k];
                EXPECT_EQ(r.item, items[k].id);
                ASSERT_TRUE(r.ok) << r.error;
                const std::size_t image = std::stoul(r.input.substr(r.input.rfind(':') + 1));
                const Tensor x = fashion_input(data, image);
                const Tensor scores = model.predict(x);
                if (classes.selection == ClassSelection::top_k) {
                    // top:1 is the best class, top:2 the second
                    std::vector<std::pair<float, std::int64_t>> ranked;
                    for (std::int64_t c = 0; c < 10; ++c) ranked.emplace_back(-scores[static_cast<std::size_t>(c)], c);
                    std::stable_sort(ranked.begin(), ranked.end(), [](auto& p, auto& q) { return p.first < q.first; });
                    EXPECT_EQ(*r.class_index, ranked[items[k].top - 1].second) << r.item;
                }
                EXPECT_NEAR(*r.score, scores[static_cast<std::size_t>(*r.class_index)], 1e-6) << r.item;
                AttributionOptions ao;
                ao.steps = 8;
                ao.data_format = DataFormat::channels_first;
                Tensor want = attribute(method, model, -1, {*r.class_index}, x, ao);
                want.reshape(Shape(want.shape().begin() + 1, want.shape().end()));
                expect_same(read_npy((out / file_of(r, "raw")).string()), want, r.item + " " + to_string(method));
                const Tensor overlay = read_image((out / file_of(r, "overlay")).string());
                EXPECT_EQ(overlay.shape(), (Shape{28, 28, 3}));
                EXPECT_TRUE(fs::exists(out / file_of(r, "map")));
                EXPECT_EQ(read_image((out / file_of(r, "input")).string()).shape(), (Shape{28, 28, 1}));
            }
        }
    }
}

TEST(Sweep, ActivationEqualsTheLibraryPerChannel) {
    const Model model = make_architecture("fashion_cnn", 1);
    ActivationJob am;
    am.layers = {0};
    am.channels = {0, 3};
    am.options.max_iter = 4;
    am.options.seed = 5;
    const fs::path out = scratch("activation");
    SweepOptions o;
    o.output = out.string();
    EXPECT_EQ(run_sweep(model, {"arch:fashion_cnn", am}, o).done, 2u);
    const auto records = read_manifests(out.string());
    ASSERT_EQ(records.size(), 2u);
    for (const auto& r : records) {
        ASSERT_TRUE(r.ok) << r.error;
        EXPECT_EQ(r.layer, model.layer(0)->name());
        VisualizeActivationOptions vo = am.options;
        vo.seed = 5 + static_cast<std::uint64_t>(*r.channel);
        vo.data_format = model_data_format(model);
        vo.input_modifiers = {std::make_shared<Jitter>(0.05, *vo.data_format, vo.seed)};
        Tensor want = ActivationMaximizer(model, 0, {*r.channel}, {1, 1, 28, 28}, vo)().image;
        want.reshape(Shape(want.shape().begin() + 1, want.shape().end()));
        expect_same(read_npy((out / file_of(r, "raw")).string()), want, r.item);
        ASSERT_TRUE(r.score);
    }
}

TEST(Sweep, StoppedRunResumesWithEveryItemOnceAndTheSameFiles) {
    NEED_FASHION_MNIST();
    const Model model = make_architecture("fashion_cnn", 1);
    const SweepJob job = fashion_job(AttributionMethod::saliency, {ClassSelection::top_k, {}, 2}, {0, 1, 2, 3, 4});
    const fs::path whole = scratch("whole"), parts = scratch("parts");
    SweepOptions o;
    o.output = whole.string();
    run_sweep(model, job, o);

    o.output = parts.string();
    int calls = 0;
    o.stop_requested = [&] { return ++calls > 3; };  // stop before the 4th item
    const SweepSummary first = run_sweep(model, job, o);
    EXPECT_TRUE(first.stopped);
    EXPECT_EQ(first.done, 3u);
    EXPECT_EQ(read_manifests(parts.string()).size(), 3u);
    o.stop_requested = nullptr;
    const SweepSummary second = run_sweep(model, job, o);
    EXPECT_FALSE(second.stopped);
    EXPECT_EQ(second.already_done, 3u);
    EXPECT_EQ(second.done, 7u);
    std::multiset<std::string> ids;
    for (const auto& r : read_manifest((parts / "manifest.jsonl").string())) ids.insert(r.item);
    EXPECT_EQ(ids.size(), 10u);
    for (const auto& it : plan(model, job)) EXPECT_EQ(ids.count(it.id), 1u) << it.id;
    std::size_t compared = 0;
    for (const auto& entry : fs::directory_iterator(whole / "items")) {
        EXPECT_EQ(bytes_of(entry.path()), bytes_of(parts / "items" / entry.path().filename())) << entry.path().filename();
        ++compared;
    }
    EXPECT_EQ(compared, 40u);
    // A third run has nothing to do.
    EXPECT_EQ(run_sweep(model, job, o).done, 0u);
}

TEST(Sweep, BadItemIsRecordedAndTheSweepGoesOn) {
    const fs::path images = scratch("images"), out = scratch("bad_out");
    fs::create_directories(images);
    Tensor picture({28, 28, 1});
    for (std::size_t i = 0; i < picture.size(); ++i) picture[i] = static_cast<float>(i % 255);
    write_png((images / "a.png").string(), picture);
    std::ofstream(images / "b.png") << "not a png";
    write_png((images / "c.png").string(), picture);
    AttributionJob a;
    a.images.kind = ImageSourceKind::folder;
    a.images.path = images.string();
    a.classes = {ClassSelection::given, {2}, 1};
    const Model model = make_architecture("fashion_cnn", 1);
    SweepOptions o;
    o.output = out.string();
    const SweepSummary s = run_sweep(model, {"arch:fashion_cnn", a}, o);
    EXPECT_EQ(s.done, 3u);
    EXPECT_EQ(s.failed, 1u);
    const auto records = read_manifests(out.string());
    ASSERT_EQ(records.size(), 3u);
    EXPECT_TRUE(records[0].ok);
    EXPECT_FALSE(records[1].ok);
    EXPECT_EQ(records[1].item, "b.png/class:2");
    EXPECT_NE(records[1].error.find("b.png"), std::string::npos) << records[1].error;
    EXPECT_TRUE(records[1].files.empty());
    EXPECT_TRUE(records[2].ok);
    EXPECT_FALSE(fs::exists(out / "items" / "b.png_class_2.map.png"));
    EXPECT_EQ(run_sweep(model, {"arch:fashion_cnn", a}, o).done, 0u);  // not retried
}

TEST(Sweep, RefusesAFolderHoldingAnotherJob) {
    NEED_FASHION_MNIST();
    const Model model = make_architecture("fashion_cnn", 1);
    const fs::path out = scratch("other");
    SweepOptions o;
    o.output = out.string();
    run_sweep(model, fashion_job(AttributionMethod::saliency, {ClassSelection::given, {1}, 1}, {0}), o);
    EXPECT_THROW(run_sweep(model, fashion_job(AttributionMethod::gradcam, {ClassSelection::given, {1}, 1}, {0}), o), std::invalid_argument);
    // More items of the same job: fine.
    EXPECT_EQ(run_sweep(model, fashion_job(AttributionMethod::saliency, {ClassSelection::given, {1}, 1}, {0, 1}), o).done, 1u);
}

TEST(Sweep, ShardsOfOneFolderCoverThePlanOnce) {
    NEED_FASHION_MNIST();
    const Model model = make_architecture("fashion_cnn", 1);
    const SweepJob job = fashion_job(AttributionMethod::saliency, {ClassSelection::given, {0}, 1}, {0, 1, 2, 3, 4, 5, 6});
    const fs::path out = scratch("shards");
    SweepOptions o;
    o.output = out.string();
    for (std::size_t i = 0; i < 3; ++i) {
        o.shard = {i, 3};
        run_sweep(model, job, o);
    }
    EXPECT_EQ(manifest_files(out.string()).size(), 3u);
    std::multiset<std::string> ids;
    for (const auto& f : manifest_files(out.string()))
        for (const auto& r : read_manifest(f)) ids.insert(r.item);
    EXPECT_EQ(ids.size(), 7u);
    for (const auto& it : plan(model, job)) EXPECT_EQ(ids.count(it.id), 1u) << it.id;
}

TEST(Sweep, MpiBackendWithoutMpiSaysSo) {
    if (sweep_mpi_available()) GTEST_SKIP() << "built with MPI: the MPI path is tested under mpirun (tests/mpi)";
    SweepOptions o;
    o.output = scratch("nompi").string();
    o.backend = SweepBackend::mpi;
    EXPECT_THROW(run_sweep(make_architecture("fashion_cnn", 1), fashion_job(AttributionMethod::saliency, {}, {0}), o), std::runtime_error);
}
