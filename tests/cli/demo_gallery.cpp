// `xvis demo` writes its report as a gallery (index.html, io/gallery.hpp): the real binary runs on an untrained
// model (so it skips training), then headless chromium renders the page and the test reads what it shows.
#include <xvis/xvis.hpp>

#include "support/chromium.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include <unistd.h>

namespace fs = std::filesystem;
using xvis::testing::read_whole_file;
using xvis::testing::run_chromium;
using xvis::testing::unescape_html;

namespace {

std::vector<std::string> matches(const std::string& text, const std::string& pattern) {
    std::vector<std::string> found;
    const std::regex re(pattern);
    for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) found.push_back(unescape_html((*it)[1].str()));
    return found;
}

}  // namespace

TEST(DemoGallery, ShowsEveryImageTheDemoWrote) {
    if (!xvis::fashion_mnist_available()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
    const fs::path d = fs::temp_directory_path() / ("xvis_demo_gallery_test_" + std::to_string(::getpid())), out = d / "out";
    fs::remove_all(d);
    fs::create_directories(d);
    xvis::save_onnx(xvis::fashion_cnn(1), (d / "model.onnx").string());
    const std::string command = std::string(XVIS_CLI_PATH) + " demo --model-cache " + (d / "model.onnx").string() +
                                " --iterations 5 --per-class 1 -o " + out.string() + " > " + (d / "log").string() + " 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0) << read_whole_file(d / "log");
    EXPECT_NE(read_whole_file(d / "log").find("wrote " + out.string() + "/index.html"), std::string::npos) << read_whole_file(d / "log");
    EXPECT_FALSE(fs::exists(out / "report.md"));
    const std::string html = read_whole_file(out / "index.html");
    std::smatch data;
    ASSERT_TRUE(std::regex_search(html, data, std::regex("<script src=\"(gallery-data-[0-9a-f]{16}\\.js)\">")));
    EXPECT_TRUE(fs::exists(out / data[1].str()));

    REQUIRE_CHROMIUM();
    // The composite, 10 class images, 10 test images with their saliency and Grad-CAM overlays: 21 cards, 41 images.
    std::string dom = run_chromium(out / "index.html", "", "--dump-dom");
    EXPECT_EQ(matches(dom, R"re(<article class="card" data-id="([^"]*)")re").size(), 21u);
    EXPECT_EQ(matches(dom, R"re(<img [^>]*data-loaded="([a-z]*)")re"), std::vector<std::string>(41, "yes"));
    EXPECT_EQ(matches(dom, R"re(<span id="paging">([^<]*)</span>)re"), std::vector<std::string>{"page 1 of 1: items 1\u201321 of 21"});
    EXPECT_NE(dom.find("<dt>test accuracy</dt>"), std::string::npos);
    EXPECT_NE(dom.find("<title>xvis demo: Fashion-MNIST</title>"), std::string::npos);
    // Class 9: its activation maximization image and its test image (index 0, an ankle boot).
    dom = run_chromium(out / "index.html", "class=9", "--dump-dom");
    EXPECT_EQ(matches(dom, R"re(<article class="card" data-id="([^"]*)")re"),
              (std::vector<std::string>{"activation:logits/class:9", "fashion-mnist:test:0/class:9"}));
    fs::remove_all(d);
}
