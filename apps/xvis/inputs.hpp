#pragma once
// Resolving command-line arguments: models, layers, input images.
#include <xvis/xvis.hpp>

#include <string>

namespace xvis::cli {

// An ONNX file, or "arch:<name>" for a built-in architecture with random weights.
Model load_model(const std::string& spec, std::uint64_t seed);
// A layer by name, or by index (negative from the end) when the text is an integer.
std::int64_t resolve_layer(const Model& model, const std::string& spec);
// The model input [1, C, H, W] (pixels / 255) from an image file (gray ↔ RGB converted, resized bilinearly
// to the model's size) or from a dataset test index; `display` receives the image as [H, W, C] 0..255.
Tensor load_input(const Model& model, const std::string& image_path, long dataset_index, const std::string& dataset_dir,
                  Tensor& display, int* label = nullptr);
// "0,3,5" → {0, 3, 5}; "all" or "" → {}.
std::vector<std::int64_t> parse_indices(const std::string& text);
// [1, C, H, W] in [0, 1] → [H, W, C] in 0..255.
Tensor to_display(const Tensor& input);

}  // namespace xvis::cli
