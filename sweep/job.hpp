#pragma once
// A sweep: one model, one method with its options, many independent items, each explained into files of its own.
// Items are images × classes (attribution methods) or layers × channels (activation maximization). plan() lists
// them in a fixed order with unique ids that depend only on the job and the inputs (never on the number of
// processes), which is what lets resumed runs, --shard job arrays and MPI ranks agree on what an item is.
//
// Why a folder of its own: sweep/ runs visualization/'s explainers over many inputs from io/ and image/, and owns
// an output folder (files per item, a manifest, resuming, distribution over processes). It sits above every
// other folder; nothing below includes it. run.hpp runs a job, manifest.hpp is the record of finished items.
#include <xvis/image/colormap.hpp>
#include <xvis/image/preprocess.hpp>
#include <xvis/io/fashion_mnist.hpp>
#include <xvis/visualization/attribute.hpp>
#include <xvis/visualization/visualize_activation.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace xvis {

enum class ImageSourceKind { folder, list, fashion_mnist };

// Where the images of an attribution sweep come from.
struct ImageSource {
    ImageSourceKind kind = ImageSourceKind::fashion_mnist;
    // folder: every *.png / *.jpg / *.jpeg directly in it, sorted by name (bytewise), ids relative to it;
    // list: a text file, one image path per line (blank lines and lines starting with '#' skipped; relative
    //       paths are relative to the list's folder), ids as written;
    // fashion_mnist: the dataset folder (io/fashion_mnist.hpp), ids "fashion-mnist:<subset>:<index>".
    std::string path = fashion_mnist_default_dir;
    DatasetSubset subset = DatasetSubset::test;  // fashion_mnist
    std::vector<std::size_t> indices;            // fashion_mnist: the images taken, in this order (empty: all)
};

// Which classes of an image are explained.
enum class ClassSelection {
    given,  // each of `classes`: ids ".../class:K"
    top_k,  // the k best-scoring classes, chosen when the item runs: ids ".../top:R", R = 1..k (top:1 = predicted)
    label,  // the dataset's true label (fashion_mnist only): ids ".../label"
};
struct ClassChoice {
    ClassSelection selection = ClassSelection::top_k;
    std::vector<std::int64_t> classes;  // given
    std::size_t k = 1;                  // top_k
};

// Attribution of images: each item is one (image, class) pair explained by `method`. The explainer for a class
// is built once per process and reused for every image (at most 16 classes' explainers are kept, least recently
// used dropped).
struct AttributionJob {
    AttributionMethod method = AttributionMethod::saliency;
    AttributionOptions options;  // data_format unset: from preprocessing.layout
    LayerId layer = -1;          // the layer holding the class scores
    ImageSource images;
    ClassChoice classes;
    Preprocessing preprocessing;  // height / width 0: the model's input size
    Colormap colormap = Colormap::jet;
    double alpha = 0.5;               // heat-map weight in the overlay
    std::vector<std::string> labels;  // class names (may be empty): the manifest's "class_name"
};

// Activation maximization of channels: each item is one (layer, channel), optimized from its own seed
// (options.seed + channel) with its own Jitter (so an item's result does not depend on which items ran before
// it in the same process). options.input_modifiers must be empty (stateful modifiers would make results depend
// on the order); use `jitter`.
struct ActivationJob {
    std::vector<LayerId> layers;
    std::vector<std::int64_t> channels;  // empty: every channel of each layer
    VisualizeActivationOptions options;
    double jitter = 0.05;  // Jitter's amount (fraction of the size when < 1, else pixels); 0: none
};

struct SweepJob {
    std::string model;  // how the model was named (a path or arch:<name>): recorded in sweep.json
    std::variant<AttributionJob, ActivationJob> task;
};

// One planned item.
struct SweepItem {
    std::string id;     // unique: "fashion-mnist:test:42/class:3", "cats/a.png/top:1", "conv2d_1/channel:5"
    std::string input;  // the image's source ("fashion-mnist:test:42", a path), or "" for activation items
    std::string stem;   // output file-name stem, safe (image/file_name.hpp) and unique within the plan
    std::size_t image = 0;          // attribution: index into the source's images
    std::int64_t class_index = -1;  // given: the class; -1: chosen when the item runs (top_k, label)
    std::size_t top = 0;            // top_k: 1-based place among the best classes
    std::int64_t layer = -1;        // activation: the layer's index
    std::int64_t channel = -1;      // activation: the channel
};

// The items of `job`, in order: images in source order, then classes in the order given (or top 1..k); layers
// in the order given, then channels. Throws std::invalid_argument naming the problem: no images, a class or
// channel out of the layer's range, label without a dataset, k = 0 or more than the classes, duplicate ids
// (the same image listed twice), a stateful input modifier.
std::vector<SweepItem> plan(const Model& model, const SweepJob& job);

// The images of a folder or list source (paths as read_image takes them); fashion_mnist: empty.
std::vector<std::string> list_images(const ImageSource& source);

// A slice of the plan for job arrays: items whose plan position p has p % count == index (round robin, so
// shards get a similar mix of cheap and costly items). index is 0-based: 0 <= index < count.
struct Shard {
    std::size_t index = 0, count = 1;
};
// "i/n" → Shard{i, n}; throws std::invalid_argument naming the text unless 0 <= i < n.
Shard shard_from_string(const std::string& text);
std::vector<SweepItem> shard_items(const std::vector<SweepItem>& items, Shard shard);

// A one-line JSON description of what decides an item's result (model name, method, options, preprocessing,
// the image source's kind and path, how classes are chosen): written to <output>/sweep.json by run_sweep, which
// refuses an output folder holding a different one. Which items are planned (indices, classes listed, layers,
// channels) is left out: a sweep can be extended to more items in the same folder.
std::string describe_job(const SweepJob& job);

}  // namespace xvis
