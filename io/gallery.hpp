#pragma once
// A static HTML gallery of explanation images: <folder>/index.html shows each item's images side by side (an
// input and its maps), with the item's class, score, layer / channel, method and status. The page is sortable,
// filterable (class, layer, method, status, text) and paged; its state lives in the URL hash
// (index.html#sort=score&dir=desc&class=3&page=2), so a link reproduces a view. It needs no network and no
// server: it works opened from disk (file://) and stays responsive at 50,000 items (one page of DOM nodes).
// docs/command-line.md, "Galleries", describes the page.
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace xvis {

struct GalleryImage {
    std::string label;  // the caption, e.g. "input", "saliency"
    std::string path;   // relative to the gallery folder, '/'-separated, e.g. "maps/test42_saliency.png"
};

struct GalleryItem {
    std::string id;                    // unique, e.g. "fashion-mnist:test:42/class:3" or "conv2d_1/channel:5"
    std::vector<GalleryImage> images;  // shown side by side; the first is the input (or the synthesized image)
    std::optional<long> class_index;   // for image items
    std::string class_name;            // may be empty
    std::optional<double> score;       // the explained class's score, or the activation reached
    std::string layer;                 // for channel items (activation maximization); may be empty
    std::optional<long> channel;
    std::string method;                // "saliency", "gradcam", "activation", ...
    bool ok = true;                    // false: the item failed; `error` says why (shown, filterable)
    std::string error;
};

struct GalleryOptions {
    std::string title = "xvis";
    std::vector<std::pair<std::string, std::string>> summary;  // key / value lines above the grid (model, command, date...)
    std::size_t page_size = 100;                               // items per page, 1..10000 (the URL's size= overrides it)
};

// Writes <folder>/index.html and its data file, <folder>/gallery-data-<16 hex digits>.js, named after a hash
// of its content. Order: the data file is renamed into place first, then index.html (which names that file),
// then data files of earlier runs are removed: a reader sees the old page with its old data or the new page
// with its new data, never a mix (one opened just before the swap may find its data gone: it says so).
// Every string is data: the page inserts it as text (textContent, attributes), never as HTML, and the data
// file escapes it (io/detail/json.hpp). The images must already exist under `folder`.
// Throws std::invalid_argument, naming the item, when: `folder` is not a directory; page_size is 0 or above
// 10000; an id is empty or repeated; an image path is empty, absolute, contains "..", "\\" or a NUL byte, or
// names no regular file under `folder`. I/O failures → std::runtime_error naming the file (nothing replaced).
void write_gallery(const std::string& folder, const std::vector<GalleryItem>& items, const GalleryOptions& options = {});

}  // namespace xvis
