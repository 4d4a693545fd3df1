#pragma once
// The preprocessing flags (--preset, --size, --mean, --std, --scale, --channel-order / --bgr, --layout) and
// --labels. Their text is parsed here and only here: the library takes a typed xvis::Preprocessing. Every
// error names its flag ("--mean: ..."), so main() prints it as one line "xvis: error: --mean: ...".
#include <xvis/image/preprocess.hpp>
#include <xvis/tensor/tensor.hpp>

#include <string>
#include <vector>

namespace xvis::cli {

// The flags as given ("" = not given).
struct ImageOptions {
    std::string preset = "none", size, mean, std, scale, order, layout, labels;
    bool bgr = false;
    // Whether any flag that changes the values (preset other than none, mean, std, scale) was given: the
    // activation command then derives its input range from them.
    bool sets_values() const { return preset != "none" || !mean.empty() || !std.empty() || !scale.empty(); }
};

// Syntax only, for CLI11 validators (run while parsing, so a typo fails before a model loads): the message, or ""
// when `text` is fine.
std::string check_number_list(const std::string& text, bool positive);  // "0.485,0.456,0.406"
std::string check_size(const std::string& text);                        // "224" or "224x192"
std::string check_scale(const std::string& text);                       // "0.00392157" or "1/255"

// NHWC when the input is [N, H, W, C] with C in {1, 3} and dim 1 not in {1, 3}; otherwise NCHW (what PyTorch
// exports; Keras models exported with tf2onnx keep Keras's NHWC input).
TensorLayout guess_layout(const Shape& model_input);

// The preprocessing for a model whose input is `model_input` ([1, C, H, W] or [1, H, W, C]): the preset, then
// each flag given over it; the size is the model's. `channels` receives the model's channel count.
// Throws std::invalid_argument naming the flag when the values do not fit the model (count of mean / std
// values, --size other than the model's, a layout that leaves other than 1 or 3 channels).
Preprocessing resolve_preprocessing(const ImageOptions& o, const Shape& model_input, std::size_t& channels);

// xvis::read_labels (io/labels.hpp: one class name per line, bounded and checked), its errors as
// std::invalid_argument "--labels: read_labels: FILE...". More names than classes prints a warning (e.g. a
// 1001-line TensorFlow list whose first line is "background" would shift every name by one).
std::vector<std::string> load_labels(const std::string& path, std::size_t classes);

// "class 207 (golden retriever)", or "class 207" without labels.
std::string class_name(std::size_t k, const std::vector<std::string>& labels);

// Prints the `k` best classes of `scores` (one sample's [classes] values) with their names and softmax
// probabilities (the scores themselves when they already are probabilities). Returns the best class.
std::size_t print_top_classes(const float* scores, std::size_t classes, const std::vector<std::string>& labels, std::size_t k);

}  // namespace xvis::cli
