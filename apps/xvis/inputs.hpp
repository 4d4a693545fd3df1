#pragma once
// Resolving command-line arguments: models, layers, input images.
#include <xvis/image/preprocess.hpp>
#include <xvis/xvis.hpp>

#include <optional>
#include <string>

namespace xvis::cli {

// An ONNX file, or "arch:<name>" for a built-in architecture with random weights.
Model load_model(const std::string& spec, std::uint64_t seed);
// A layer by name, or by index (negative from the end) when the text is an integer.
std::int64_t resolve_layer(const Model& model, const std::string& spec);

// What the model sees and what the user gave.
struct ModelInput {
    Tensor x;        // the model input, preprocess_image(picture, p, channels)
    Tensor picture;  // the picture as given, [H, W, C] 0..255 (a dataset image: [28, 28, 1])
    Preprocessing p;
    std::size_t channels = 0;  // the model's input channels
    int label = -1;            // a dataset image's true class
    bool from_dataset = false;
};
// From an image file (any size; read_image's formats) or from a Fashion-MNIST test index (--index), through
// `p` (see resolve_preprocessing).
ModelInput load_input(const std::string& image_path, long dataset_index, const std::string& dataset_dir, const Preprocessing& p,
                      std::size_t channels);
// --tokens: "" → none; "SKIP" → a square grid after SKIP leading tokens; "SKIP:HxW" → an H × W grid.
std::optional<TokenGrid> parse_token_grid(const std::string& spec);
// "0,3,5" → {0, 3, 5}; "all" or "" → {}.
std::vector<std::int64_t> parse_indices(const std::string& text);

}  // namespace xvis::cli
