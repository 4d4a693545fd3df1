#pragma once
// Galleries for the tests of io/gallery.hpp (tests/io/gallery.cpp, and in a browser tests/io/gallery_browser.cpp).
#include <xvis/image/png.hpp>
#include <xvis/io/gallery.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace xvis::testing {

// A fresh folder under the system temp dir, removed at scope exit.
class GalleryDir {
public:
    GalleryDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "xvis-gallery-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~GalleryDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    GalleryDir(const GalleryDir&) = delete;
    GalleryDir& operator=(const GalleryDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::string str() const { return path_.string(); }

private:
    std::filesystem::path path_;
};

inline std::string read_text(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A w × h RGB PNG, a gradient tinted by `seed`, written with write_png to folder/name.
inline void write_test_png(const std::filesystem::path& folder, const std::string& name, std::size_t w, std::size_t h, int seed) {
    Tensor t({h, w, 3});
    for (std::size_t y = 0; y < h; ++y)
        for (std::size_t x = 0; x < w; ++x) {
            t(y, x, 0) = static_cast<float>((x * 255) / w);
            t(y, x, 1) = static_cast<float>((y * 255) / h);
            t(y, x, 2) = static_cast<float>((seed * 70) % 256);
        }
    std::filesystem::create_directories((folder / name).parent_path());
    write_png((folder / name).string(), t);
}

// Strings a stranger could put in a label file, a layer name or an error message.
inline const std::vector<std::string>& hostile_strings() {
    static const std::vector<std::string> s = {
        "</script><script>document.body.dataset.pwned='script'</script>",
        "<img src=x onerror=\"document.body.dataset.pwned='img'\">",
        "\"quoted\" & 'apostrophe' \\ back\xE2\x80\xA8slash\xE2\x80\xA9 \xF0\x9F\x91\x95",
        "<!-- comment --> ]]> ${x} `tick`",
    };
    return s;
}

// Six items: three ok ones with real PNGs (classes 2, 0, 1; scores 0.5, 0.9, 0.1), one without a score, one
// failed (class 1), and one whose class name, layer, method, label, error and id are hostile strings. Image
// file names hold '#', '?', '%' and a space, which a page must URL-encode.
inline std::vector<GalleryItem> small_gallery(const std::filesystem::path& folder) {
    write_test_png(folder, "maps/a input.png", 8, 6, 0);
    write_test_png(folder, "maps/a#1?x=%20.png", 16, 16, 1);
    write_test_png(folder, "b.png", 4, 4, 2);
    const auto& h = hostile_strings();
    std::vector<GalleryItem> items(6);
    items[0].id = "test:7/class:2";
    items[0].images = {{"input", "maps/a input.png"}, {"saliency", "maps/a#1?x=%20.png"}};
    items[0].class_index = 2, items[0].class_name = "Pullover", items[0].score = 0.5, items[0].method = "saliency";
    items[1].id = "test:10/class:0";
    items[1].images = {{"input", "b.png"}, {"gradcam", "maps/a#1?x=%20.png"}};
    items[1].class_index = 0, items[1].class_name = "T-shirt/top", items[1].score = 0.9, items[1].method = "gradcam";
    items[2].id = "test:2/class:1";
    items[2].images = {{"input", "b.png"}};
    items[2].class_index = 1, items[2].class_name = "Trouser", items[2].score = 0.1, items[2].method = "saliency";
    items[3].id = "conv2/channel:3";
    items[3].images = {{"activation", "b.png"}};
    items[3].layer = "conv2", items[3].channel = 3, items[3].method = "activation";
    items[4].id = "test:3/class:1";
    items[4].class_index = 1, items[4].class_name = "Trouser", items[4].method = "saliency";
    items[4].ok = false, items[4].error = "load_input: cannot read 'x.png'";
    items[5].id = h[0];
    items[5].images = {{h[1], "b.png"}};
    items[5].class_index = 7, items[5].class_name = h[1], items[5].score = 0.3, items[5].layer = h[2];
    items[5].method = h[3], items[5].ok = false, items[5].error = h[0] + "\n" + h[1];
    return items;
}

}  // namespace xvis::testing
