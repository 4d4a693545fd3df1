#include <xvis/io/fashion_mnist.hpp>
#include <xvis/io/idx.hpp>

#include <fstream>
#include <stdexcept>

namespace xvis {

namespace {

std::string pick(const std::string& dir, const std::string& stem) {
    const std::string gz = dir + "/" + stem + ".gz";
    if (!std::ifstream(gz) && std::ifstream(dir + "/" + stem)) return dir + "/" + stem;
    return gz;  // also when neither exists: the error then names the file we expected
}

std::string prefix(DatasetSubset s) { return s == DatasetSubset::train ? "train" : "t10k"; }

std::string dims_string(const std::vector<std::size_t>& d) {
    std::string s = "[";
    for (std::size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
    return s + "]";
}

}  // namespace

const std::array<std::string, 10>& fashion_mnist_class_names() {
    static const std::array<std::string, 10> names{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                   "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    return names;
}

std::string fashion_mnist_images_path(const std::string& dir, DatasetSubset subset) {
    return pick(dir, prefix(subset) + "-images-idx3-ubyte");
}

std::string fashion_mnist_labels_path(const std::string& dir, DatasetSubset subset) {
    return pick(dir, prefix(subset) + "-labels-idx1-ubyte");
}

bool fashion_mnist_available(const std::string& dir, DatasetSubset subset) {
    return std::ifstream(fashion_mnist_images_path(dir, subset)).good() && std::ifstream(fashion_mnist_labels_path(dir, subset)).good();
}

FashionMnist load_fashion_mnist(const std::string& dir, DatasetSubset subset, std::size_t max_items) {
    const std::string ipath = fashion_mnist_images_path(dir, subset);
    const std::string lpath = fashion_mnist_labels_path(dir, subset);
    // Labels first: small, and a count mismatch is reported before decompressing 47 MB of images.
    std::size_t label_count = 0, image_count = 0;
    IdxArray labels = read_idx(lpath, max_items, &label_count);
    if (labels.dims.size() != 1)
        throw std::runtime_error("load_fashion_mnist: '" + lpath + "': labels must be 1-D [N], got dims " + dims_string(labels.dims));
    IdxArray images = read_idx(ipath, max_items, &image_count);
    if (images.dims.size() != 3)
        throw std::runtime_error("load_fashion_mnist: '" + ipath + "': images must be 3-D [N, H, W], got dims " + dims_string(images.dims));
    if (image_count != label_count)
        throw std::runtime_error("load_fashion_mnist: dims mismatch: '" + ipath + "' holds " + std::to_string(image_count) +
                                 " images but '" + lpath + "' holds " + std::to_string(label_count) + " labels");
    for (std::size_t i = 0; i < labels.data.size(); ++i)
        if (labels.data[i] > 9)
            throw std::runtime_error("load_fashion_mnist: '" + lpath + "': label " + std::to_string(labels.data[i]) + " at index " +
                                     std::to_string(i) + " is not a class in 0..9");

    FashionMnist out;
    const std::size_t n = images.dims[0], h = images.dims[1], w = images.dims[2];
    out.images = Tensor({n, 1, h, w});
    float* dst = out.images.data();
    for (std::size_t i = 0; i < images.data.size(); ++i) dst[i] = static_cast<float>(images.data[i]) / 255.0f;
    out.labels = std::move(labels.data);
    return out;
}

}  // namespace xvis
