// Model::summary(): the table Keras prints.
#include <xvis/layers/model.hpp>

#include <algorithm>

namespace xvis {

namespace {

std::string with_commas(std::size_t n) {
    std::string s = std::to_string(n);
    for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
    return s;
}

std::string none_shape(const Shape& s) {
    std::string out = "(None";
    for (std::size_t i = 1; i < s.size(); ++i) out += ", " + std::to_string(s[i]);
    return out + (s.size() == 2 ? ")" : ")");
}

std::string cell(std::string s, std::size_t width) {
    if (s.size() + 1 > width) return s + " ";
    return s + std::string(width - s.size(), ' ');
}

}  // namespace

std::string Model::summary() const {
    // A chain (every layer fed by the one before it) prints like Keras's Sequential; a DAG adds "Connected to".
    bool chain = true;
    for (std::size_t i = 1; i < s_->layers.size(); ++i)
        chain = chain && s_->layers[i]->inbound().size() == 1 && s_->layers[i]->inbound()[0] == s_->layers[i - 1];
    // Imported graphs name layers after ONNX values ("/layer4/layer4.1/relu_1/Relu_output_0"): widen to fit.
    std::size_t w1 = 29;
    for (const auto& l : s_->layers) w1 = std::max(w1, l->name().size() + l->class_name().size() + 5);
    const std::size_t w2 = 26, w3 = 10, w4 = chain ? 0 : 30;
    const std::size_t width = w1 + w2 + w3 + w4;
    std::string s = "Model: \"" + s_->name + "\"\n" + std::string(width, '_') + "\n";
    s += cell(" Layer (type)", w1) + cell("Output Shape", w2) + cell("Param #", w3) + (chain ? "" : "Connected to") + "\n";
    s += std::string(width, '=') + "\n";
    std::size_t trainable = 0, frozen = 0;
    for (std::size_t i = 0; i < s_->layers.size(); ++i) {
        const auto& l = s_->layers[i];
        if (i < s_->first) continue;  // Keras's Sequential summary omits the InputLayer
        std::string connected;
        for (const auto& in : l->inbound()) connected += (connected.empty() ? "" : ", ") + in->name();
        s += cell(" " + l->name() + " (" + l->class_name() + ")", w1) + cell(none_shape(graph_.layer_output(static_cast<std::int64_t>(i - s_->first)).shape()), w2) +
             cell(with_commas(l->count_params()), w3) + (chain ? "" : connected) + "\n";
        s += (i + 1 == s_->layers.size() ? "" : "\n");
        for (const auto& w : l->weights()) (w.name.rfind("moving_", 0) == 0 ? frozen : trainable) += w.value->size();
    }
    s += std::string(width, '=') + "\n";
    s += "Total params: " + with_commas(trainable + frozen) + "\n";
    s += "Trainable params: " + with_commas(trainable) + "\n";
    s += "Non-trainable params: " + with_commas(frozen) + "\n";
    s += std::string(width, '_') + "\n";
    return s;
}

}  // namespace xvis
