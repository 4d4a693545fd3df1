#pragma once
// Ready-made architectures (random, seeded weights), by name for the command line:
//   fashion_cnn  Conv(1→32, 3×3 same) + ReLU + MaxPool 2 → Conv(32→64) + ReLU + MaxPool 2 → Flatten →
//                Dense(128) + ReLU → Dense(10) (logits): the 2-conv CNN of the Fashion-MNIST benchmark table
//   mlp          Flatten → Dense(256) + ReLU → Dense(10), on 1×28×28
//   vgg_mini     3×64×64: [conv 64 ×2, pool] [conv 128 ×2, pool] [conv 256 ×2, pool] → Dense(256) → Dense(10)
//   resnet18     torchvision's ResNet-18 layout on 3×224×224 (BasicBlocks, batch norm, 1000 logits); the
//                output of each block is an Activation layer "layer<stage>.<block>.out" (Grad-CAM targets)
#include <xvis/layers/model.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace xvis {

Model fashion_cnn(std::uint64_t seed = 1);
Model mlp(std::uint64_t seed = 1);
Model vgg_mini(std::uint64_t seed = 1);
Model resnet18(std::uint64_t seed = 1);

// By name (the list above); unknown → std::invalid_argument listing the names.
Model make_architecture(const std::string& name, std::uint64_t seed = 1);
std::vector<std::string> architecture_names();

}  // namespace xvis
