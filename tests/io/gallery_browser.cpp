// io/gallery.hpp in a real browser: headless chromium (tests/support/chromium.hpp) loads index.html from file:// at
// a state given in the URL hash; the tests read what was rendered: the cards and their order, the images and
// whether they loaded, the paging text, the text of hostile strings, and in one test the painted pixels.
#include <xvis/image/png.hpp>
#include <xvis/io/gallery.hpp>

#include "io/gallery_support.hpp"
#include "support/chromium.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <regex>

using namespace xvis;
using namespace xvis::testing;
namespace fs = std::filesystem;

namespace {

std::string dump(const fs::path& folder, const std::string& hash) { return run_chromium(folder / "index.html", hash, "--dump-dom"); }

std::vector<std::string> all_matches(const std::string& text, const std::string& pattern) {
    std::vector<std::string> found;
    const std::regex re(pattern);
    for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) found.push_back(unescape_html((*it)[1].str()));
    return found;
}

// What the rendered page shows: the cards' ids in order, the <img> elements' data-loaded marks, body attributes.
struct Rendered {
    std::string dom;
    std::vector<std::string> ids, loaded, scores;
    std::string state, matches, shown, paging;
};

Rendered rendered(const fs::path& folder, const std::string& hash) {
    Rendered r;
    r.dom = dump(folder, hash);
    r.ids = all_matches(r.dom, R"re(<article class="card[^"]*" data-id="([^"]*)")re");
    r.loaded = all_matches(r.dom, R"re(<img [^>]*data-loaded="([a-z]*)")re");
    r.scores = all_matches(r.dom, R"re(<span class="score">score ([^<]*)</span>)re");
    const auto body = [&](const std::string& name) {
        const auto m = all_matches(r.dom, "<body[^>]* data-" + name + "=\"([^\"]*)\"");
        return m.empty() ? std::string("(none)") : m[0];
    };
    r.state = body("state"), r.matches = body("matches"), r.shown = body("shown");
    const auto paging = all_matches(r.dom, R"re(<span id="paging">([^<]*)</span>)re");
    r.paging = paging.empty() ? "(none)" : paging[0];
    return r;
}

std::size_t occurrences(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

using Ids = std::vector<std::string>;

}  // namespace

// Six items in run order: every card, every image (names with '#', '?', '%' and spaces) loaded, hostile
// strings shown as their own text, and nothing they contain ran or became an element.
TEST(GalleryBrowser, ShowsEveryItemAndLoadsItsImages) {
    REQUIRE_CHROMIUM();
    GalleryDir dir;
    const auto items = small_gallery(dir.path());
    GalleryOptions o;
    o.title = hostile_strings()[0];
    o.summary = {{"model", "m.onnx"}, {hostile_strings()[1], hostile_strings()[3]}};
    write_gallery(dir.str(), items, o);
    const Rendered r = rendered(dir.path(), "");
    ASSERT_EQ(r.state, "ready") << r.dom;
    EXPECT_EQ(r.ids, (Ids{"test:7/class:2", "test:10/class:0", "test:2/class:1", "conv2/channel:3", "test:3/class:1", hostile_strings()[0]}));
    EXPECT_EQ(r.loaded, Ids(7, "yes"));  // 2 + 2 + 1 + 1 + 0 + 1 images, each decoded by the browser
    EXPECT_EQ(r.paging, "page 1 of 1: items 1\u20136 of 6");
    EXPECT_EQ(occurrences(r.dom, "<article class=\"card error\""), 2u);
    // Hostile strings: text, in the title, summary, id, class name, layer, method, caption and error.
    const std::string dom = unescape_html(r.dom);
    EXPECT_NE(dom.find("<title>" + hostile_strings()[0] + "</title>"), std::string::npos);
    for (const auto& h : hostile_strings()) EXPECT_GE(occurrences(dom, h), 2u) << h;
    EXPECT_EQ(occurrences(r.dom, "<script"), 2u);   // the page's own two
    EXPECT_EQ(occurrences(r.dom, "<img "), 7u);     // no injected <img src=x>
    EXPECT_EQ(r.dom.find("pwned=\""), std::string::npos) << "a hostile string ran";
    EXPECT_EQ(r.dom.find("<!-- comment"), std::string::npos);
}

TEST(GalleryBrowser, SortsByTheHashState) {
    REQUIRE_CHROMIUM();
    GalleryDir dir;
    write_gallery(dir.str(), small_gallery(dir.path()));
    // Scores 0.5, 0.9, 0.1, none, none, 0.3: descending, the items without a score last in run order.
    Rendered r = rendered(dir.path(), "sort=score&dir=desc");
    EXPECT_EQ(r.ids, (Ids{"test:10/class:0", "test:7/class:2", hostile_strings()[0], "test:2/class:1", "conv2/channel:3", "test:3/class:1"}));
    EXPECT_EQ(r.scores, (Ids{"0.9", "0.5", "0.3", "0.1"}));
    // Classes 2, 0, 1, none, 1, 7; ties in run order.
    r = rendered(dir.path(), "sort=class");
    EXPECT_EQ(r.ids, (Ids{"test:10/class:0", "test:2/class:1", "test:3/class:1", "test:7/class:2", hostile_strings()[0], "conv2/channel:3"}));
}

TEST(GalleryBrowser, FiltersByClassStatusAndLayer) {
    REQUIRE_CHROMIUM();
    GalleryDir dir;
    write_gallery(dir.str(), small_gallery(dir.path()));
    Rendered r = rendered(dir.path(), "class=1");
    EXPECT_EQ(r.ids, (Ids{"test:2/class:1", "test:3/class:1"}));
    EXPECT_EQ(r.paging, "page 1 of 1: items 1\u20132 of 2 (6 in all)");
    r = rendered(dir.path(), "status=error&sort=id");
    EXPECT_EQ(r.ids, (Ids{hostile_strings()[0], "test:3/class:1"}));
    EXPECT_EQ(r.matches, "2");
    r = rendered(dir.path(), "layer=conv2");
    EXPECT_EQ(r.ids, (Ids{"conv2/channel:3"}));
}

TEST(GalleryBrowser, SearchesTextAndPages) {
    REQUIRE_CHROMIUM();
    GalleryDir dir;
    write_gallery(dir.str(), small_gallery(dir.path()));
    // Text search (case-insensitive, over names and errors), then the second page of two items.
    Rendered r = rendered(dir.path(), "q=TROUSER&size=1&page=2");
    EXPECT_EQ(r.ids, (Ids{"test:3/class:1"}));
    EXPECT_EQ(r.paging, "page 2 of 2: items 2\u20132 of 2 (6 in all)");
    r = rendered(dir.path(), "q=no+such+thing");
    EXPECT_TRUE(r.ids.empty());
    EXPECT_EQ(r.paging, "no items match (6 in all)");
}

// 50,000 items sharing four image files, written once for the tests below: the page keeps one page of cards
// in the DOM, and its filter counts and sort order are right.
class GalleryBrowserLarge : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (find_chromium().empty()) return;
        dir_ = new GalleryDir;
        for (int k = 0; k < 4; ++k) write_test_png(dir_->path(), "img" + std::to_string(k) + ".png", 28, 28, k);
        std::vector<GalleryItem> items(n);
        for (int i = 0; i < n; ++i) {
            GalleryItem& it = items[static_cast<std::size_t>(i)];
            it.id = "fashion-mnist:test:" + std::to_string(i);
            it.images = {{"input", "img" + std::to_string(i % 4) + ".png"}, {"saliency", "img" + std::to_string((i + 1) % 4) + ".png"}};
            it.class_index = i % 10;
            it.score = score(i);
            it.method = "saliency";
            if (i % 1000 == 999) it.ok = false, it.error = "failed " + std::to_string(i);
        }
        write_gallery(dir_->str(), items);
    }
    static void TearDownTestSuite() {
        delete dir_;
        dir_ = nullptr;
    }
    // A permutation of k / n: all distinct (7919 is prime to 50,000).
    static double score(int i) { return static_cast<double>((i * 7919L) % n) / n; }
    static constexpr int n = 50000;
    static GalleryDir* dir_;
};
GalleryDir* GalleryBrowserLarge::dir_ = nullptr;

TEST_F(GalleryBrowserLarge, OnePageOfCards) {
    REQUIRE_CHROMIUM();
    const Rendered r = rendered(dir_->path(), "");
    EXPECT_EQ(r.ids.size(), 100u);
    EXPECT_EQ(r.loaded, Ids(200, "yes"));
    EXPECT_EQ(r.paging, "page 1 of 500: items 1\u2013100 of 50,000");
    EXPECT_EQ(r.ids.front(), "fashion-mnist:test:0");
    EXPECT_EQ(r.ids.back(), "fashion-mnist:test:99");
}

TEST_F(GalleryBrowserLarge, SortedFilteredAndPaged) {
    REQUIRE_CHROMIUM();
    Rendered r = rendered(dir_->path(), "sort=score&dir=desc&class=3&page=2");
    EXPECT_EQ(r.paging, "page 2 of 50: items 101\u2013200 of 5,000 (50,000 in all)");
    ASSERT_EQ(r.ids.size(), 100u);
    ASSERT_EQ(r.scores.size(), 100u);
    std::vector<double> expected;  // class 3's scores, descending: items 3, 13, 23, ...
    for (int i = 3; i < n; i += 10) expected.push_back(score(i));
    std::sort(expected.rbegin(), expected.rend());
    for (std::size_t k = 0; k < 100; ++k) EXPECT_NEAR(std::stod(r.scores[k]), expected[100 + k], 1e-4) << k;
    r = rendered(dir_->path(), "status=error&page=9999");  // past the end: the last page
    EXPECT_EQ(r.paging, "page 1 of 1: items 1\u201350 of 50 (50,000 in all)");
    EXPECT_EQ(r.ids.front(), "fashion-mnist:test:999");
}

// The page is painted: the solid magenta input of one item shows in a screenshot when the filter keeps it,
// and not when the filter hides it.
TEST(GalleryBrowser, ScreenshotShowsTheFilteredImages) {
    REQUIRE_CHROMIUM();
    GalleryDir dir;
    auto items = small_gallery(dir.path());
    Tensor magenta({16, 16, 3});
    for (std::size_t y = 0; y < 16; ++y)
        for (std::size_t x = 0; x < 16; ++x) magenta(y, x, 0) = 255, magenta(y, x, 1) = 0, magenta(y, x, 2) = 255;
    write_png((dir.path() / "magenta.png").string(), magenta);
    items[3].images = {{"activation", "magenta.png"}};
    write_gallery(dir.str(), items);
    const auto magenta_pixels = [&](const std::string& hash) {
        const fs::path shot = dir.path() / "shot.png";
        fs::remove(shot);
        run_chromium(dir.path() / "index.html", hash, "--screenshot=" + shot.string(), "1000,800");
        const Tensor s = read_image(shot.string());
        EXPECT_EQ(s.shape()[0], 800u);
        EXPECT_EQ(s.shape()[1], 1000u);
        std::size_t n = 0;
        for (std::size_t y = 0; y < s.shape()[0]; ++y)
            for (std::size_t x = 0; x < s.shape()[1]; ++x) n += s(y, x, 0) > 250 && s(y, x, 1) < 5 && s(y, x, 2) > 250;
        return n;
    };
    EXPECT_GT(magenta_pixels("layer=conv2"), 5000u);  // one 7rem (112 px) square is 12544
    EXPECT_EQ(magenta_pixels("layer=conv2&status=error"), 0u);
}

// A page whose data file is gone (a newer run replaced it) says so instead of showing another run's data.
TEST(GalleryBrowser, APageWithoutItsDataSaysSo) {
    REQUIRE_CHROMIUM();
    GalleryDir dir;
    write_gallery(dir.str(), small_gallery(dir.path()));
    for (const auto& e : fs::directory_iterator(dir.path()))
        if (e.path().filename().string().rfind("gallery-data-", 0) == 0) fs::remove(e.path());
    const Rendered r = rendered(dir.path(), "");
    EXPECT_EQ(r.state, "error");
    EXPECT_TRUE(r.ids.empty());
    EXPECT_NE(r.dom.find("data file is missing"), std::string::npos);
}
