#pragma once
// xvis: activation maximization, saliency and Grad-CAM on a symbolic reverse-mode autodiff engine.
// This header includes the user API. The tutorial below is README.md's tutorial block, which the tests compile
// and run (and check to be the same as this comment):
//
//   #include <xvis/xvis.hpp>
//   using namespace xvis;
//
//   // A model: load_onnx("resnet18.onnx") imports an ONNX export; Keras-style layers build one.
//   using K = std::array<std::size_t, 2>;
//   Model m = Model::sequential({std::make_shared<InputLayer>(Shape{1, 28, 28}),
//                                std::make_shared<Conv2D>(8, K{3, 3}, ActivationKind::relu),
//                                std::make_shared<Flatten>(), std::make_shared<Dense>(10)});
//   Tensor x = random_uniform<float>({1, 1, 28, 28}, 0, 1, /*seed=*/7);  // a batch of one image
//   Tensor logits = m.predict(x);                                          // [1, 10]
//   const std::int64_t cls = 3;
//
//   // Explainers: built once for (model, layer, filters, input shape), then called image after image.
//   Saliency saliency(m, -1, {cls}, x.shape());  // layer -1 (the last), its filter cls: here the class score
//   const Tensor& map = saliency(x);             // [1, 28, 28]; nothing is built or allocated after the first call
//   GradCam cam(m, -1, {cls}, x.shape());
//   const CamResult& r = cam.explain(x);         // r.activations, r.gradients, r.weights [N, C], r.cam, r.heatmap
//   // Every method through one entry point, or as an Explainer object chosen at run time:
//   Tensor pp = attribute(AttributionMethod::gradcam_plus_plus, m, -1, {cls}, x);
//   std::unique_ptr<Explainer> e = make_explainer(AttributionMethod::layercam, m, -1, {cls}, x.shape());
//   // keras-vis's functions (one call, one object) and activation maximization (ActivationMaximizer to reuse):
//   Tensor s = visualize_saliency(m, -1, {cls}, x), c = visualize_cam(m, -1, {cls}, x);
//   VisualizeActivationOptions am;
//   am.max_iter = 20;
//   MinimizeResult best = visualize_activation(m, -1, {cls}, am);  // best.image: an input that excites cls
//   // Options are enums; from_string parses keras-vis's names ("guided", "deconv", "absolute", ...).
//   SaliencyOptions o;
//   o.backprop_modifier = BackpropModifier::guided;
//   o.grad_modifier = from_string<GradModifierKind>("relu");
//   Saliency guided(m, -1, {cls}, x.shape(), o);
//   // Next: docs/attribution.md (every method), docs/autodiff.md (graphs, gradients, extending xvis).
//
// Not included: the API for extending xvis (op types, the kernels their forward passes call, ONNX import
// builders: docs/autodiff.md, "Extending xvis"; the list is XVIS_EXTENSION_HEADERS in cmake/xvis_headers.cmake)
// and the internals under <folder>/detail/.
#include <xvis/tensor/aligned_allocator.hpp>
#include <xvis/tensor/buffer_cache.hpp>
#include <xvis/tensor/random.hpp>
#include <xvis/tensor/runtime.hpp>
#include <xvis/tensor/shape.hpp>
#include <xvis/tensor/tensor.hpp>
#include <xvis/tensor/conv2d.hpp>
#include <xvis/tensor/pooling.hpp>
#include <xvis/autodiff/node.hpp>
#include <xvis/autodiff/ops.hpp>
#include <xvis/autodiff/gradients.hpp>
#include <xvis/autodiff/function.hpp>
#include <xvis/autodiff/gradcheck.hpp>
#include <xvis/autodiff/dot.hpp>
#include <xvis/autodiff/topo.hpp>
#include <xvis/tensor/enum_names.hpp>
#include <xvis/tensor/data_format.hpp>
#include <xvis/losses/loss.hpp>
#include <xvis/losses/activation_maximization.hpp>
#include <xvis/losses/lp_norm.hpp>
#include <xvis/losses/total_variation.hpp>
#include <xvis/layers/activation.hpp>
#include <xvis/layers/initializers.hpp>
#include <xvis/layers/padding.hpp>
#include <xvis/layers/layer.hpp>
#include <xvis/layers/core.hpp>
#include <xvis/layers/conv2d.hpp>
#include <xvis/layers/dense.hpp>
#include <xvis/layers/pooling.hpp>
#include <xvis/layers/batch_normalization.hpp>
#include <xvis/layers/merge.hpp>
#include <xvis/layers/model.hpp>
#include <xvis/layers/model_graph.hpp>
#include <xvis/optimizer/image_range.hpp>
#include <xvis/optimizer/input_modifiers.hpp>
#include <xvis/optimizer/grad_modifiers.hpp>
#include <xvis/optimizer/callbacks.hpp>
#include <xvis/optimizer/optimizer.hpp>
#include <xvis/visualization/visualize_activation.hpp>
#include <xvis/visualization/backprop_modifier_kind.hpp>
#include <xvis/visualization/backprop_modifiers.hpp>
#include <xvis/visualization/score_gradient.hpp>
#include <xvis/visualization/explainer.hpp>
#include <xvis/visualization/saliency.hpp>
#include <xvis/visualization/cam.hpp>
#include <xvis/visualization/score_cam.hpp>
#include <xvis/visualization/guided_gradcam.hpp>
#include <xvis/visualization/integrated_gradients.hpp>
#include <xvis/visualization/attribute.hpp>
#include <xvis/image/png.hpp>
#include <xvis/image/resize.hpp>
#include <xvis/image/normalize.hpp>
#include <xvis/image/colormap.hpp>
#include <xvis/image/overlay.hpp>
#include <xvis/image/stitch.hpp>
#include <xvis/image/animation.hpp>
#include <xvis/image/file_name.hpp>
#include <xvis/image/preprocess.hpp>
#include <xvis/models/architectures.hpp>
#include <xvis/visualization/gif_generator.hpp>
#include <xvis/io/idx.hpp>
#include <xvis/io/labels.hpp>
#include <xvis/io/fashion_mnist.hpp>
#include <xvis/io/gallery.hpp>
#include <xvis/io/onnx.hpp>
#include <xvis/io/npy.hpp>
#include <xvis/training/optimizers.hpp>
#include <xvis/training/trainer.hpp>
#include <xvis/sweep/job.hpp>
#include <xvis/sweep/manifest.hpp>
#include <xvis/sweep/run.hpp>
