#pragma once
// The benchmark networks of performance-targets.md: W1 (fashion_cnn), W2 (vgg_mini), W3 (resnet18), from
// the library's architectures (random, seeded weights).
#include <xvis/xvis.hpp>

namespace xvis::bench {
using xvis::fashion_cnn;
using xvis::resnet18;
using xvis::vgg_mini;
}  // namespace xvis::bench
