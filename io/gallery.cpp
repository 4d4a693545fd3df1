#include <xvis/io/gallery.hpp>

#include <xvis/image/atomic_file.hpp>
#include <xvis/io/detail/gallery_data.hpp>
#include <xvis/io/detail/json.hpp>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <unordered_set>

namespace xvis {

namespace fs = std::filesystem;

namespace detail {

namespace {

// Marks where index.html names its data file (io/gallery_page.html: <script src="...">).
constexpr const char* data_file_marker = "__XVIS_GALLERY_DATA__";

void append_key(std::string& out, const char* key) {
    out += ",\"";
    out += key;
    out += "\":";
}

// Element k of a JSON array of [a, b] string pairs (image label and path; summary key and value).
void append_pair(std::string& out, std::size_t k, const std::string& a, const std::string& b) {
    out += k ? ",[" : "[";
    append_json_string(out, a);
    out += ',';
    append_json_string(out, b);
    out += ']';
}

void append_item(std::string& out, const GalleryItem& item) {
    out += "{\"id\":";
    append_json_string(out, item.id);
    out += ",\"images\":[";
    for (std::size_t k = 0; k < item.images.size(); ++k) append_pair(out, k, item.images[k].label, item.images[k].path);
    out += ']';
    if (item.class_index) append_key(out, "class"), out += std::to_string(*item.class_index);
    if (!item.class_name.empty()) append_key(out, "class_name"), append_json_string(out, item.class_name);
    if (item.score) append_key(out, "score"), append_json_number(out, *item.score);
    if (!item.layer.empty()) append_key(out, "layer"), append_json_string(out, item.layer);
    if (item.channel) append_key(out, "channel"), out += std::to_string(*item.channel);
    if (!item.method.empty()) append_key(out, "method"), append_json_string(out, item.method);
    if (!item.ok) append_key(out, "ok"), out += "false";
    if (!item.error.empty()) append_key(out, "error"), append_json_string(out, item.error);
    out += '}';
}

}  // namespace

std::string gallery_data_script(const std::vector<GalleryItem>& items, const GalleryOptions& options) {
    std::string out = "// xvis gallery data, read by index.html: one JSON object (docs/command-line.md, \"Galleries\").\n";
    out.reserve(out.size() + 64 + items.size() * 160);
    out += "window.XVIS_GALLERY = {\"version\":1,\"title\":";
    append_json_string(out, options.title);
    out += ",\"page_size\":" + std::to_string(options.page_size) + ",\"summary\":[";
    for (std::size_t k = 0; k < options.summary.size(); ++k) append_pair(out, k, options.summary[k].first, options.summary[k].second);
    out += "],\"items\":[";
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += ",\n";
        append_item(out, items[i]);
    }
    out += "]};\n";
    return out;
}

std::string gallery_data_file_name(const std::string& script) {
    std::uint64_t h = 14695981039346656037ull;
    for (unsigned char c : script) h = (h ^ c) * 1099511628211ull;
    char name[48];
    std::snprintf(name, sizeof name, "gallery-data-%016llx.js", static_cast<unsigned long long>(h));
    return name;
}

std::string gallery_page(const std::string& data_file_name) {
    std::string page = gallery_page_html;
    const std::size_t at = page.find(data_file_marker);
    if (at == std::string::npos) throw std::logic_error("gallery_page: io/gallery_page.html lacks " + std::string(data_file_marker));
    page.replace(at, std::strlen(data_file_marker), data_file_name);
    return page;
}

}  // namespace detail

namespace {

[[noreturn]] void refuse(const std::string& what) { throw std::invalid_argument("write_gallery: " + what); }

std::string quoted(const std::string& s) { return detail::json_string(s); }  // shows control bytes in messages

void check_image_path(const fs::path& folder, const GalleryItem& item, const GalleryImage& image) {
    const std::string& p = image.path;
    const auto bad = [&](const char* why) {
        refuse("item " + quoted(item.id) + ": image path " + quoted(p) + " " + why +
               " (expected a '/'-separated path relative to the gallery folder)");
    };
    if (p.empty()) bad("is empty");
    if (p.front() == '/') bad("is absolute");
    if (p.find('\\') != std::string::npos) bad("contains '\\'");
    if (p.find('\0') != std::string::npos) bad("contains a NUL byte");
    for (const auto& part : fs::path(p))
        if (part == "..") bad("contains \"..\"");
    std::error_code ec;
    if (!fs::is_regular_file(folder / p, ec)) bad(("names no file in " + folder.string()).c_str());
}

void remove_stale_data_files(const fs::path& folder, const std::string& current) {
    std::error_code ec;
    for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        // Only names this function writes: gallery-data-<16 lower-case hex digits>.js.
        if (name == current || name.size() != 32 || name.compare(0, 13, "gallery-data-") != 0 || name.compare(29, 3, ".js") != 0) continue;
        if (name.find_first_not_of("0123456789abcdef", 13) != 29) continue;
        std::error_code ignored;
        fs::remove(it->path(), ignored);  // best effort: a stale file left behind is harmless
    }
}

void write_text(const std::string& path, const std::string& text) {
    AtomicFile f(path);
    f.write(text.data(), text.size());
    f.commit();
}

}  // namespace

void write_gallery(const std::string& folder, const std::vector<GalleryItem>& items, const GalleryOptions& options) {
    std::error_code ec;
    if (!fs::is_directory(folder, ec)) refuse("folder " + quoted(folder) + " is not a directory");
    if (options.page_size == 0 || options.page_size > 10000)
        refuse("page_size " + std::to_string(options.page_size) + " is outside 1..10000");
    std::unordered_set<std::string> ids;
    ids.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
        const GalleryItem& item = items[i];
        if (item.id.empty()) refuse("item " + std::to_string(i) + " has an empty id");
        if (!ids.insert(item.id).second) refuse("item " + std::to_string(i) + ": id " + quoted(item.id) + " is not unique");
        for (const auto& image : item.images) check_image_path(folder, item, image);
    }
    const std::string script = detail::gallery_data_script(items, options);
    const std::string data_name = detail::gallery_data_file_name(script);
    // The data first: until index.html is replaced, nothing refers to the new data file.
    write_text((fs::path(folder) / data_name).string(), script);
    write_text((fs::path(folder) / "index.html").string(), detail::gallery_page(data_name));
    remove_stale_data_files(folder, data_name);
}

}  // namespace xvis
