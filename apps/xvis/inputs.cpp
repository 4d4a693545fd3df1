#include "inputs.hpp"

#include <sstream>
#include <stdexcept>

namespace xvis::cli {

Model load_model(const std::string& spec, std::uint64_t seed) {
    if (spec.rfind("arch:", 0) == 0) return make_architecture(spec.substr(5), seed);
    return load_onnx(spec);
}

std::int64_t resolve_layer(const Model& model, const std::string& spec) {
    try {
        std::size_t used = 0;
        const long long v = std::stoll(spec, &used);
        if (used == spec.size()) {
            model.layer(v);  // range check with a message naming the count
            return v;
        }
    } catch (const std::invalid_argument&) {
    } catch (const std::out_of_range&) {
    }
    return static_cast<std::int64_t>(model.find_layer_idx(spec));
}

Tensor to_display(const Tensor& input) {
    const std::size_t c = input.shape()[1], h = input.shape()[2], w = input.shape()[3];
    Tensor out({h, w, c});
    for (std::size_t y = 0; y < h; ++y)
        for (std::size_t x = 0; x < w; ++x)
            for (std::size_t k = 0; k < c; ++k) out(y, x, k) = 255.0f * input(0, k, y, x);
    return out;
}

Tensor load_input(const Model& model, const std::string& image_path, long dataset_index, const std::string& dataset_dir,
                  Tensor& display, int* label) {
    const Shape& in = model.input().shape();
    if (in.size() != 4) throw std::invalid_argument("the model input " + shape_to_string(in) + " is not an image batch [N, C, H, W]");
    const std::size_t c = in[1], h = in[2], w = in[3];
    Tensor x({1, c, h, w});
    if (!image_path.empty()) {
        Tensor img = read_image(image_path);  // [H, W, C] 0..255
        if (img.shape()[0] != h || img.shape()[1] != w) img = resize(img, h, w, Interpolation::bilinear);
        const std::size_t ic = img.shape()[2];
        for (std::size_t y = 0; y < h; ++y)
            for (std::size_t xx = 0; xx < w; ++xx) {
                float gray = 0;
                for (std::size_t k = 0; k < std::min<std::size_t>(ic, 3); ++k) gray += img(y, xx, k);
                gray /= static_cast<float>(std::min<std::size_t>(ic, 3));
                for (std::size_t k = 0; k < c; ++k) x(0, k, y, xx) = (c == 1 || ic < 3 ? gray : img(y, xx, k)) / 255.0f;
            }
    } else {
        if (dataset_index < 0) throw std::invalid_argument("give an input: --image FILE or --index N (a Fashion-MNIST test image)");
        if (c != 1 || h != 28 || w != 28)
            throw std::invalid_argument("--index needs a model with 1×28×28 input (Fashion-MNIST); this one takes " + shape_to_string(in));
        const FashionMnist test = load_fashion_mnist(dataset_dir, DatasetSubset::test, static_cast<std::size_t>(dataset_index) + 1);
        if (static_cast<std::size_t>(dataset_index) >= test.size())
            throw std::out_of_range("--index " + std::to_string(dataset_index) + " is past the " + std::to_string(test.size()) + " test images");
        std::copy(test.images.begin() + dataset_index * 784, test.images.begin() + (dataset_index + 1) * 784, x.begin());
        if (label) *label = test.labels[static_cast<std::size_t>(dataset_index)];
    }
    display = to_display(x);
    return x;
}

std::vector<std::int64_t> parse_indices(const std::string& text) {
    std::vector<std::int64_t> out;
    if (text.empty() || text == "all") return out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        try {
            std::size_t used = 0;
            out.push_back(std::stoll(item, &used));
            if (used != item.size()) throw std::invalid_argument(item);
        } catch (const std::exception&) {
            throw std::invalid_argument("'" + text + "' is not a comma-separated list of integers");
        }
    }
    return out;
}

}  // namespace xvis::cli
