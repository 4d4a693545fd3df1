// io/gallery.hpp: the data file, the page, validation and the order of the writes. The page itself, rendered in
// a browser, is tested in tests/io/gallery_browser.cpp.
#include <xvis/io/detail/gallery_data.hpp>
#include <xvis/io/gallery.hpp>

#include "io/gallery_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>

using namespace xvis;
using namespace xvis::testing;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> entries(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

std::vector<std::string> data_files(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& n : entries(dir))
        if (n.rfind("gallery-data-", 0) == 0) names.push_back(n);
    return names;
}

// Expects write_gallery to throw std::invalid_argument whose message holds each of `parts`.
void expect_refused(const std::string& folder, const std::vector<GalleryItem>& items, const GalleryOptions& o,
                    std::initializer_list<std::string> parts) {
    try {
        write_gallery(folder, items, o);
        ADD_FAILURE() << "write_gallery accepted it";
    } catch (const std::invalid_argument& e) {
        const std::string what = e.what();
        EXPECT_EQ(what.rfind("write_gallery: ", 0), 0u) << what;
        for (const auto& p : parts) EXPECT_NE(what.find(p), std::string::npos) << "'" << p << "' not in: " << what;
    }
}

}  // namespace

TEST(GalleryData, OneJsonObjectWithOnlyTheFieldsAnItemHas) {
    std::vector<GalleryItem> items(2);
    items[0].id = "a";
    items[0].images = {{"input", "a.png"}, {"map", "m/a.png"}};
    items[0].class_index = 3, items[0].class_name = "Dress", items[0].score = 0.25, items[0].method = "saliency";
    items[1].id = "b";
    items[1].layer = "conv1", items[1].channel = 5, items[1].ok = false, items[1].error = "failed";
    GalleryOptions o;
    o.title = "T";
    o.summary = {{"model", "m.onnx"}};
    o.page_size = 7;
    const std::string s = detail::gallery_data_script(items, o);
    EXPECT_EQ(s.substr(s.find('\n') + 1),
              "window.XVIS_GALLERY = {\"version\":1,\"title\":\"T\",\"page_size\":7,\"summary\":[[\"model\",\"m.onnx\"]],\"items\":["
              "{\"id\":\"a\",\"images\":[[\"input\",\"a.png\"],[\"map\",\"m/a.png\"]],\"class\":3,\"class_name\":\"Dress\","
              "\"score\":0.25,\"method\":\"saliency\"},\n"
              "{\"id\":\"b\",\"images\":[],\"layer\":\"conv1\",\"channel\":5,\"ok\":false,\"error\":\"failed\"}]};\n");
    EXPECT_EQ(s.rfind("// ", 0), 0u);  // a comment line first
}

// Hostile strings anywhere (title, summary, every item field) leave the data file plain ASCII with no markup.
TEST(GalleryData, HostileStringsAreEscaped) {
    GalleryDir dir;
    GalleryOptions o;
    o.title = hostile_strings()[0];
    o.summary = {{hostile_strings()[1], hostile_strings()[2]}};
    const std::string s = detail::gallery_data_script(small_gallery(dir.path()), o);
    for (unsigned char c : s) {
        EXPECT_TRUE(c < 0x80 && c != '<' && c != '>' && c != '&') << "byte " << int(c) << " in the data file";
        if (c >= 0x80 || c == '<' || c == '>' || c == '&') break;
    }
    EXPECT_NE(s.find(R"(\u003c/script\u003e\u003cscript\u003edocument.body.dataset.pwned=\u0027script\u0027)"), std::string::npos);
    EXPECT_NE(s.find(R"(\u2028slash\u2029 \ud83d\udc55)"), std::string::npos);
}

TEST(GalleryData, FileNameFollowsTheContent) {
    const std::string a = detail::gallery_data_file_name("x"), b = detail::gallery_data_file_name("y");
    EXPECT_TRUE(std::regex_match(a, std::regex("gallery-data-[0-9a-f]{16}\\.js"))) << a;
    EXPECT_NE(a, b);
    EXPECT_EQ(a, detail::gallery_data_file_name("x"));
}

TEST(GalleryPage, NamesItsDataFileAndNeedsNoNetwork) {
    const std::string page = detail::gallery_page("gallery-data-0123456789abcdef.js");
    EXPECT_NE(page.find("<script src=\"gallery-data-0123456789abcdef.js\"></script>"), std::string::npos);
    EXPECT_EQ(page.find("__XVIS_GALLERY_DATA__"), std::string::npos);
    EXPECT_NE(page.find("default-src 'none'"), std::string::npos);  // the CSP that blocks any fetch
    for (const char* remote : {"http:", "https:", "//cdn", "@import", "url("}) EXPECT_EQ(page.find(remote), std::string::npos) << remote;
    EXPECT_EQ(page.find("innerHTML"), std::string::npos);
    EXPECT_EQ(page.find("insertAdjacentHTML"), std::string::npos);
    EXPECT_EQ(page.find("document.write"), std::string::npos);
    EXPECT_EQ(page.substr(page.size() - 8), "</html>\n");
}

TEST(WriteGallery, WritesThePageAndOneDataFile) {
    GalleryDir dir;
    const auto items = small_gallery(dir.path());
    write_gallery(dir.str(), items);
    const auto data = data_files(dir.path());
    ASSERT_EQ(data.size(), 1u);
    const std::string script = read_text(dir.path() / data[0]);
    EXPECT_EQ(script, detail::gallery_data_script(items, {}));
    EXPECT_EQ(data[0], detail::gallery_data_file_name(script));
    EXPECT_EQ(read_text(dir.path() / "index.html"), detail::gallery_page(data[0]));
    for (const auto& n : entries(dir.path())) EXPECT_NE(n.front(), '.') << "temporary left: " << n;
}

// A second run replaces both files and removes the first run's data file, but no file of anyone else.
TEST(WriteGallery, ARerunReplacesThePageAndRemovesStaleDataFiles) {
    GalleryDir dir;
    auto items = small_gallery(dir.path());
    write_gallery(dir.str(), items);
    const auto first = data_files(dir.path());
    for (const char* other : {"gallery-data-notmine.js", "gallery-data-0123456789ABCDEF.js", "gallery-data-0123456789abcdef.json"})
        std::ofstream(dir.path() / other) << "kept";
    items.pop_back();
    GalleryOptions o;
    o.title = "second";
    write_gallery(dir.str(), items, o);
    const auto second = data_files(dir.path());
    const std::string current = detail::gallery_data_file_name(detail::gallery_data_script(items, o));
    EXPECT_EQ(second, (std::vector<std::string>{"gallery-data-0123456789ABCDEF.js", "gallery-data-0123456789abcdef.json", current,
                                                "gallery-data-notmine.js"}));
    EXPECT_NE(first[0], current);
    EXPECT_NE(read_text(dir.path() / "index.html").find(current), std::string::npos);
    // The same data again: the same name, rewritten in place.
    write_gallery(dir.str(), items, o);
    EXPECT_EQ(data_files(dir.path()), second);
}

TEST(WriteGallery, AnEmptyGalleryIsAPage) {
    GalleryDir dir;
    write_gallery(dir.str(), {});
    EXPECT_TRUE(fs::exists(dir.path() / "index.html"));
    EXPECT_EQ(data_files(dir.path()).size(), 1u);
}

TEST(WriteGallery, RefusesBadInputNamingTheItem) {
    GalleryDir dir;
    write_test_png(dir.path(), "ok.png", 2, 2, 0);
    const auto one = [](std::string path) {
        GalleryItem it;
        it.id = "item<1>";
        it.images = {{"input", std::move(path)}};
        return std::vector<GalleryItem>{it};
    };
    const GalleryOptions o;
    expect_refused(dir.str() + "/missing", {}, o, {"folder", "missing", "not a directory"});
    expect_refused(dir.str(), one("absent.png"), o, {"item \"item\\u003c1\\u003e\"", "\"absent.png\"", "names no file"});
    expect_refused(dir.str(), one(""), o, {"is empty"});
    expect_refused(dir.str(), one((dir.path() / "ok.png").string()), o, {"is absolute"});
    expect_refused(dir.str(), one("../" + dir.path().filename().string() + "/ok.png"), o, {"\"..\""});
    expect_refused(dir.str(), one("a\\..\\ok.png"), o, {"'\\'"});
    expect_refused(dir.str(), one(std::string("ok.png\0x", 8)), o, {"NUL"});
    fs::create_directories(dir.path() / "sub");
    expect_refused(dir.str(), one("sub"), o, {"names no file"});  // a folder is not an image
    auto two = one("ok.png");
    two.push_back(two[0]);
    expect_refused(dir.str(), two, o, {"item 1", "is not unique"});
    two[1].id = "";
    expect_refused(dir.str(), two, o, {"item 1 has an empty id"});
    for (std::size_t size : {std::size_t{0}, std::size_t{10001}}) {
        GalleryOptions bad;
        bad.page_size = size;
        expect_refused(dir.str(), one("ok.png"), bad, {"page_size " + std::to_string(size), "1..10000"});
    }
    // Nothing was written by the refused calls.
    EXPECT_EQ(entries(dir.path()), (std::vector<std::string>{"ok.png", "sub"}));
    write_gallery(dir.str(), one("ok.png"));  // and the valid one is accepted
}
