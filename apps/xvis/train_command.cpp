// xvis train, xvis info.
#include "commands.hpp"
#include "inputs.hpp"
#include "interrupt.hpp"
#include "progress.hpp"

#include <cstdio>
#include <memory>

namespace xvis::cli {

namespace {

int train(const TrainArgs& a) {
    if (a.arch != "fashion_cnn" && a.arch != "mlp")
        throw std::invalid_argument("--arch '" + a.arch + "': train takes fashion_cnn or mlp (Fashion-MNIST input 1×28×28)");
    const FashionMnist train = load_fashion_mnist(a.dataset, DatasetSubset::train, static_cast<std::size_t>(a.limit));
    const FashionMnist test = load_fashion_mnist(a.dataset, DatasetSubset::test);
    Model model = make_architecture(a.arch, a.seed);
    std::printf("training %s on %zu images (%s, lr %g, batch %d, %d epochs, %d threads)\n", a.arch.c_str(), train.size(),
                a.optimizer.c_str(), a.lr, a.batch, a.epochs, num_threads());
    FitOptions fo;
    fo.epochs = static_cast<std::size_t>(a.epochs);
    fo.batch_size = static_cast<std::size_t>(a.batch);
    fo.optimizer = make_optimizer(a.optimizer, a.lr);
    fo.seed = a.seed;
    fo.validation_images = &test.images;
    fo.validation_labels = &test.labels;
    attach_fit_progress(fo, "training");
    fit(model, train.images, train.labels, fo);
    save_onnx(model, a.output);  // only a finished training is saved: an interrupted one writes nothing
    std::printf("saved %s\n", a.output.c_str());
    return 0;
}

}  // namespace

int run_train(const TrainArgs& a) {
    return run_interruptible([&] { return train(a); });
}

int run_info(const std::string& spec) {
    const Model model = load_model(spec, 1);
    std::printf("%s", model.summary().c_str());
    return 0;
}

}  // namespace xvis::cli
