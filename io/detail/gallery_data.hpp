#pragma once
// The pieces write_gallery (io/gallery.hpp) writes, exposed for tests.
#include <xvis/io/gallery.hpp>

#include <string>
#include <vector>

namespace xvis::detail {

// The data file's text: a comment line, then "window.XVIS_GALLERY = " + one JSON object + ";\n":
//   {"version":1,"title":"...","page_size":100,"summary":[["key","value"],...],
//    "items":[{"id":"...","images":[["label","path"],...],"class":3,"class_name":"...","score":0.5,
//              "layer":"...","channel":5,"method":"...","ok":false,"error":"..."},...]}
// Fields an item lacks (nullopt, empty strings, ok = true) are left out. Strings: append_json_string.
// No validation (write_gallery validates first).
std::string gallery_data_script(const std::vector<GalleryItem>& items, const GalleryOptions& options);

// "gallery-data-" + 16 hex digits of a 64-bit FNV-1a hash of `script` + ".js".
std::string gallery_data_file_name(const std::string& script);

// index.html: the page (io/gallery_page.html) with its data file's name filled in.
std::string gallery_page(const std::string& data_file_name);

// The page's source text, io/gallery_page.html, compiled in by CMake (cmake/xvis_embed.cmake).
extern const char gallery_page_html[];

}  // namespace xvis::detail
