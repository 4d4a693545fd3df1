#pragma once
// File names made from user data. A class label from --labels, a layer or tensor name ("/layer4/Relu_output_0")
// or a model name is text from a stranger; joined to an output folder as is, "../../x" or "/abs" would write
// outside it, "a\nb" would make a name scripts split, and 300 characters would fail with ENAMETOOLONG. Every
// output name built from such data goes through safe_file_name().
#include <cstddef>
#include <string>
#include <string_view>

namespace xvis {

// One safe file-name component for `text`: ASCII letters, digits, '-', '_' and '.' are kept, every other byte
// (a '/', '\\', space, control or non-ASCII byte) becomes '_'; runs of '_' and of '.' shrink to one; leading
// '.', '_', '-' and trailing '.', '_' are dropped (no hidden file, no "." or "..", nothing read as an option).
// An empty result becomes "unnamed". A result longer than max_length (at least 16) is cut and ends in "-" and
// 8 hex digits of a hash of `text`, so long names that share a prefix stay distinct. Distinct texts can still
// meet ("a/b" and "a_b"): callers that need distinct files add an index, as the demo does ("am_3_dress.png").
std::string safe_file_name(std::string_view text, std::size_t max_length = 100);

// folder + "/" + safe_file_name(stem) + extension (extension is the program's own, e.g. ".png").
std::string file_in_folder(const std::string& folder, std::string_view stem, std::string_view extension);

}  // namespace xvis
