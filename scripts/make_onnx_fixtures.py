#!/usr/bin/python3
"""Generate the reference ONNX fixtures in tests/data/onnx/ (see tests/data/onnx/README.md).

Run with Debian's interpreter (torch 1.13, torchvision 0.14, onnx 1.12; no internet, no downloaded weights):

    /usr/bin/python3 scripts/make_onnx_fixtures.py              # rewrites tests/data/onnx/
    /usr/bin/python3 scripts/make_onnx_fixtures.py --only vit    # some models only (manifest not rewritten)
    /usr/bin/python3 scripts/make_onnx_fixtures.py --full DIR    # full-size 224x224 models to DIR (not committed)

For every model it writes

    <model>.onnx         the exported graph (torch.onnx.export, or onnx.helper for the Keras/tf2onnx-shaped graphs)
    <model>.input.pb     the reference input (onnx TensorProto, float32, random normal with a fixed seed)
    <model>.logits.pb    the graph output for that input
    <model>.grad.pb      d(sum over the batch of output[:, k]) / d(input), k from the manifest
    (softmax models only)
    <model>.prelogits.pb       the pre-softmax logits
    <model>.prelogits_grad.pb  d(sum over the batch of prelogits[:, k]) / d(input)

and manifest.txt (one line per model: name opset k input-shape batch-kind [softmax]) and ops.txt (op types and
counts per model). References are computed by torch autograd in float64 on the float32 weights (cast exactly),
then stored as float32. Everything is seeded: two runs produce byte-identical files.
"""

import argparse
import contextlib
import copy
import functools
import io
import math
import os
import sys
import time
import warnings
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import onnx
from onnx import TensorProto, helper, numpy_helper

import importlib

# The torchvision submodules themselves (torchvision.models.googlenet etc. are shadowed by the builder functions).
_tvm = lambda n: importlib.import_module('torchvision.models.' + n)
(convnext, densenet, efficientnet, googlenet, inception, mnasnet, mobilenetv2, mobilenetv3, regnet, resnet,
 shufflenetv2, squeezenet, swin_transformer, vgg, vision_transformer) = map(_tvm, (
    'convnext', 'densenet', 'efficientnet', 'googlenet', 'inception', 'mnasnet', 'mobilenetv2', 'mobilenetv3',
    'regnet', 'resnet', 'shufflenetv2', 'squeezenet', 'swin_transformer', 'vgg', 'vision_transformer'))

K_CLASS = 1          # the class whose logit is differentiated
NUM_CLASSES = 10
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO, 'tests', 'data', 'onnx')


def seed_of(name):
    """A per-model seed that does not depend on Python's hash randomisation nor on the model order."""
    return zlib.crc32(name.encode()) & 0x7fffffff


# --------------------------------------------------------------------------------------------------------------
# Randomisation: fixed-seed weights that make every layer matter (no identity BatchNorm, no zero heads or biases,
# activations of order 1 so that logits and input gradients are neither vanishing nor exploding).
# --------------------------------------------------------------------------------------------------------------

NORMS = (nn.BatchNorm2d, nn.LayerNorm, nn.GroupNorm)


def reinit_weights(model, gain):
    """He/LeCun-style init for every Conv2d / Linear: N(0, gain^2 / fan_in)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                fan_in = m.weight[0].numel()
                m.weight.normal_(0.0, gain / math.sqrt(fan_in))


def randomise(model, calib_shape, weight_gain=None):
    """Randomise a freshly built model in place, then put it in eval() mode.

    * weight_gain: re-initialise Conv/Linear weights with N(0, gain^2/fan_in) (for nets without BatchNorm, whose
      torchvision init would shrink or blow up the activations); without it, only the Linear layers (the heads,
      which torchvision often initialises with std 0.01 or zeros) get N(0, 1/fan_in), so logits are of order 1;
    * zero Conv/Linear biases -> N(0, 0.05) (a forgotten bias must change the output);
    * norm affine params: weight ~ U(0.5, 1.5), bias ~ N(0, 0.2);
    * BatchNorm running stats: first measured on a random batch in train mode (so activations stay of order 1),
      then perturbed (mean += 0.2 * std * N(0,1), var *= exp(N(0, 0.3))): BN is far from the identity.
    """
    with torch.no_grad():
        if weight_gain is not None:
            reinit_weights(model, weight_gain)
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                if weight_gain is None and isinstance(m, nn.Linear):
                    m.weight.normal_(0.0, 1.0 / math.sqrt(m.in_features))
                if m.bias is not None and not m.bias.any():
                    m.bias.normal_(0.0, 0.05)
            if isinstance(m, NORMS) and getattr(m, 'weight', None) is not None:
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0.0, 0.2)
        bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        if bns:
            saved = [m.momentum for m in bns]
            for m in bns:
                m.reset_running_stats()
                m.momentum = None                     # cumulative average over the calibration batch
            model.train()
            model(torch.randn(calib_shape))
            for m, mom in zip(bns, saved):
                m.momentum = mom                      # the exporter needs a number here
                std = m.running_var.sqrt()
                m.running_mean.add_(0.2 * std * torch.randn_like(std))
                m.running_var.mul_(torch.exp(0.3 * torch.randn_like(std)))
    model.eval()
    return model


# --------------------------------------------------------------------------------------------------------------
# Reduced torchvision models: torchvision's own classes, narrower / shallower.
# --------------------------------------------------------------------------------------------------------------

class NarrowResNet(resnet.ResNet):
    """torchvision ResNet whose stage widths are base, 2 base, 4 base, 8 base instead of 64..512.

    torchvision hard-codes 64 in ResNet.__init__, so the stem, the four stages and the head are rebuilt with
    torchvision's own _make_layer and blocks right after the parent constructor."""

    def __init__(self, block, layers, base, num_classes, replace_stride_with_dilation=None, **kw):
        super().__init__(block, layers, num_classes=num_classes,
                         replace_stride_with_dilation=replace_stride_with_dilation, **kw)
        rs = replace_stride_with_dilation or [False, False, False]
        self.inplanes, self.dilation = base, 1
        self.conv1 = nn.Conv2d(3, base, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = self._norm_layer(base)
        self.layer1 = self._make_layer(block, base, layers[0])
        self.layer2 = self._make_layer(block, 2 * base, layers[1], stride=2, dilate=rs[0])
        self.layer3 = self._make_layer(block, 4 * base, layers[2], stride=2, dilate=rs[1])
        self.layer4 = self._make_layer(block, 8 * base, layers[3], stride=2, dilate=rs[2])
        self.fc = nn.Linear(8 * base * block.expansion, num_classes)


def _narrow_conv_block(base_cls, div):
    """A BasicConv2d (inception / googlenet flavour) with all channel counts divided by div (input 3 kept)."""

    def narrow(c):
        if c == 3:
            return c
        assert c % div == 0, (c, div)
        return c // div

    class Narrow(base_cls):
        def __init__(self, in_channels, out_channels, **kwargs):
            super().__init__(narrow(in_channels), narrow(out_channels), **kwargs)

    Narrow.__name__ = Narrow.__qualname__ = 'Narrow' + base_cls.__name__
    return Narrow


def build_resnet_basic(shape):
    m = NarrowResNet(resnet.BasicBlock, [1, 1, 1, 1], base=8, num_classes=NUM_CLASSES)
    return randomise(m, (8,) + shape[1:])


def build_resnet_bottleneck(shape):
    # Bottleneck blocks; layer4 dilated instead of strided (a DeepLab-style backbone: Conv dilations = 2).
    m = NarrowResNet(resnet.Bottleneck, [1, 1, 1, 1], base=6, num_classes=NUM_CLASSES,
                     replace_stride_with_dilation=[False, False, True])
    return randomise(m, (8,) + shape[1:])


def _small_vgg(cfg, batch_norm, shape):
    m = vgg.VGG(vgg.make_layers(cfg, batch_norm=batch_norm), num_classes=NUM_CLASSES, init_weights=False)
    last = [c for c in cfg if c != 'M'][-1]
    # torchvision's head is Linear(512*7*7, 4096) -> Linear(4096, 4096) -> Linear(4096, classes): same layout,
    # narrower (the AdaptiveAvgPool2d((7, 7)) before it is kept).
    m.classifier = nn.Sequential(nn.Linear(last * 7 * 7, 32), nn.ReLU(True), nn.Dropout(0.5),
                                 nn.Linear(32, 32), nn.ReLU(True), nn.Dropout(0.5), nn.Linear(32, NUM_CLASSES))
    return randomise(m, (8,) + shape[1:], weight_gain=math.sqrt(2.0) if not batch_norm else None)


def build_vgg11(shape):
    # 56x56 input, 3 max-pools: a 7x7 map, so the AdaptiveAvgPool2d((7,7)) is a 1x1 AveragePool, as at 224x224.
    return _small_vgg([8, 'M', 16, 'M', 32, 32, 'M', 32, 32], False, shape)


def build_vgg11_bn(shape):
    # 56x56 input, 2 max-pools: a 14x14 map, so AdaptiveAvgPool2d((7,7)) exports as a 2x2 / stride 2 AveragePool.
    return _small_vgg([8, 8, 'M', 16, 16, 'M', 16, 32, 32], True, shape)


def build_mobilenet_v2(shape):
    setting = [[1, 8, 1, 1], [6, 16, 2, 2], [6, 24, 2, 2], [6, 32, 1, 2]]
    m = mobilenetv2.MobileNetV2(num_classes=NUM_CLASSES, width_mult=0.5, inverted_residual_setting=setting)
    return randomise(m, (8,) + shape[1:])


def build_mobilenet_v3_small(shape):
    setting, last = mobilenetv3._mobilenet_v3_conf('mobilenet_v3_small', width_mult=0.35, reduced_tail=True)
    m = mobilenetv3.MobileNetV3(setting, last, num_classes=NUM_CLASSES)
    return randomise(m, (8,) + shape[1:])


def build_efficientnet_b0(shape):
    setting, last = efficientnet._efficientnet_conf('efficientnet_b0', width_mult=0.2, depth_mult=0.25)
    m = efficientnet.EfficientNet(setting, dropout=0.2, stochastic_depth_prob=0.2, num_classes=NUM_CLASSES,
                                  last_channel=last)
    return randomise(m, (8,) + shape[1:])


def build_regnet_y(shape):
    params = regnet.BlockParams.from_init_params(depth=4, w_0=16, w_a=8.0, w_m=2.0, group_width=8, se_ratio=0.25)
    m = regnet.RegNet(params, num_classes=NUM_CLASSES, stem_width=16)
    return randomise(m, (8,) + shape[1:])


def build_densenet(shape):
    m = densenet.DenseNet(growth_rate=8, block_config=(2, 2), num_init_features=16, bn_size=4,
                          num_classes=NUM_CLASSES)
    return randomise(m, (8,) + shape[1:])


def build_inception_v3(shape):
    conv = _narrow_conv_block(inception.BasicConv2d, 16)
    blocks = [conv] + [functools.partial(b, conv_block=conv) for b in
                       (inception.InceptionA, inception.InceptionB, inception.InceptionC, inception.InceptionD,
                        inception.InceptionE, inception.InceptionAux)]
    # transform_input=True, as in torchvision's pretrained inception_v3 (a Gather/Mul/Add/Concat prologue).
    m = inception.Inception3(num_classes=NUM_CLASSES, aux_logits=False, transform_input=True,
                             inception_blocks=blocks, init_weights=True)
    m.fc = nn.Linear(2048 // 16, NUM_CLASSES)
    return randomise(m, (8,) + shape[1:])


def build_googlenet(shape):
    conv = _narrow_conv_block(googlenet.BasicConv2d, 8)
    blocks = [conv, functools.partial(googlenet.Inception, conv_block=conv),
              functools.partial(googlenet.InceptionAux, conv_block=conv)]
    m = googlenet.GoogLeNet(num_classes=NUM_CLASSES, aux_logits=False, transform_input=False, init_weights=True,
                            blocks=blocks)
    m.fc = nn.Linear(1024 // 8, NUM_CLASSES)
    return randomise(m, (8,) + shape[1:])


def _small_squeezenet(version, shape):
    m = squeezenet.SqueezeNet(version=version, num_classes=NUM_CLASSES)
    d = 4  # torchvision hard-codes the widths: every Fire module is rebuilt with its channel counts / 4
    for i, f in enumerate(m.features):
        if isinstance(f, squeezenet.Fire):
            m.features[i] = squeezenet.Fire(f.inplanes // d, f.squeeze.out_channels // d,
                                            f.expand1x1.out_channels // d, f.expand3x3.out_channels // d)
    c0 = m.features[0]
    m.features[0] = nn.Conv2d(3, c0.out_channels // d, kernel_size=c0.kernel_size, stride=c0.stride)
    m.classifier[1] = nn.Conv2d(512 // d, NUM_CLASSES, kernel_size=1)
    return randomise(m, (8,) + shape[1:], weight_gain=math.sqrt(2.0))


def build_squeezenet1_0(shape):
    return _small_squeezenet('1_0', shape)


def build_squeezenet1_1(shape):
    return _small_squeezenet('1_1', shape)


def build_shufflenet_v2(shape):
    m = shufflenetv2.ShuffleNetV2([2, 1, 1], [16, 24, 48, 96, 128], num_classes=NUM_CLASSES)
    return randomise(m, (8,) + shape[1:])


def build_mnasnet(shape):
    m = mnasnet.MNASNet(alpha=0.1, num_classes=NUM_CLASSES)
    # torchvision's head is a fixed 1x1 conv to 1280 channels + Linear(1280, classes): narrowed to 256.
    c = m.layers[14].in_channels
    m.layers[14] = nn.Conv2d(c, 256, 1, padding=0, stride=1, bias=False)
    m.layers[15] = nn.BatchNorm2d(256, momentum=mnasnet._BN_MOMENTUM)
    m.classifier[1] = nn.Linear(256, NUM_CLASSES)
    return randomise(m, (8,) + shape[1:])


def build_convnext(shape):
    cfg = [convnext.CNBlockConfig(16, 32, 1), convnext.CNBlockConfig(32, 64, 1), convnext.CNBlockConfig(64, None, 2)]
    m = convnext.ConvNeXt(cfg, stochastic_depth_prob=0.1, layer_scale=0.5, num_classes=NUM_CLASSES)
    randomise(m, (8,) + shape[1:], weight_gain=1.0)
    with torch.no_grad():   # per-channel layer scale (trained values are far from the 1e-6 init)
        for b in m.modules():
            if isinstance(b, convnext.CNBlock):
                b.layer_scale.uniform_(0.25, 0.75)
    return m


def build_vit(shape):
    m = vision_transformer.VisionTransformer(image_size=shape[2], patch_size=8, num_layers=2, num_heads=2,
                                             hidden_dim=32, mlp_dim=64, num_classes=NUM_CLASSES)
    randomise(m, (8,) + shape[1:], weight_gain=1.0)
    with torch.no_grad():   # torchvision zero-initialises the class token
        m.class_token.normal_(0.0, 0.5)
        m.encoder.pos_embedding.normal_(0.0, 0.5)
    return m


def build_swin(shape):
    m = swin_transformer.SwinTransformer(patch_size=[4, 4], embed_dim=16, depths=[2, 2], num_heads=[2, 2],
                                         window_size=[4, 4], num_classes=NUM_CLASSES)
    randomise(m, (8,) + shape[1:], weight_gain=1.0)
    with torch.no_grad():   # make the relative position bias matter (init std 0.02)
        for b in m.modules():
            if isinstance(b, swin_transformer.ShiftedWindowAttention):
                b.relative_position_bias_table.normal_(0.0, 0.5)
    return m


# name, builder, reference input shape, opset, batch kind
# batch kind: fixed1 / fixed2 = exported with that batch and no dynamic axes; dynamic = exported with
# dynamic_axes {'input': {0: 'batch'}, 'logits': {0: 'batch'}} from a batch-1 trace, reference with a larger batch.
REDUCED = [
    ('resnet_basic', build_resnet_basic, (3, 3, 32, 32), 13, 'dynamic'),
    ('resnet_bottleneck', build_resnet_bottleneck, (1, 3, 64, 64), 11, 'fixed1'),
    ('vgg11', build_vgg11, (1, 3, 56, 56), 13, 'fixed1'),
    ('vgg11_bn', build_vgg11_bn, (1, 3, 56, 56), 14, 'fixed1'),
    ('mobilenet_v2', build_mobilenet_v2, (1, 3, 64, 64), 11, 'fixed1'),
    ('mobilenet_v3_small', build_mobilenet_v3_small, (1, 3, 64, 64), 14, 'fixed1'),
    ('efficientnet_b0', build_efficientnet_b0, (1, 3, 64, 64), 13, 'fixed1'),
    ('regnet_y', build_regnet_y, (1, 3, 64, 64), 13, 'fixed1'),
    ('densenet', build_densenet, (2, 3, 32, 32), 13, 'fixed2'),
    ('inception_v3', build_inception_v3, (1, 3, 75, 75), 13, 'fixed1'),
    ('googlenet', build_googlenet, (1, 3, 64, 64), 13, 'fixed1'),
    ('squeezenet1_0', build_squeezenet1_0, (1, 3, 64, 64), 11, 'fixed1'),
    ('squeezenet1_1', build_squeezenet1_1, (1, 3, 64, 64), 13, 'fixed1'),
    ('shufflenet_v2', build_shufflenet_v2, (2, 3, 64, 64), 13, 'dynamic'),
    ('mnasnet', build_mnasnet, (1, 3, 64, 64), 14, 'fixed1'),
    ('convnext', build_convnext, (1, 3, 64, 64), 17, 'fixed1'),
    ('vit', build_vit, (1, 3, 32, 32), 17, 'fixed1'),
    ('swin', build_swin, (1, 3, 48, 48), 14, 'fixed1'),
]


# --------------------------------------------------------------------------------------------------------------
# Full-size models (--full DIR): torchvision's own constructors, random weights, 224x224.
# --------------------------------------------------------------------------------------------------------------

def _full(ctor, gain=None, post=None):
    def build(shape):
        m = ctor()
        randomise(m, (2,) + shape[1:], weight_gain=gain)
        if post:
            post(m)
        return m
    return build


def _convnext_post(m):
    with torch.no_grad():
        for b in m.modules():
            if isinstance(b, convnext.CNBlock):
                b.layer_scale.uniform_(0.25, 0.75)


def _vit_post(m):
    with torch.no_grad():
        m.class_token.normal_(0.0, 0.5)


FULL = [
    ('resnet50', _full(lambda: resnet.resnet50()), (2, 3, 224, 224), 13, 'dynamic'),
    ('mobilenet_v2', _full(lambda: mobilenetv2.mobilenet_v2()), (1, 3, 224, 224), 13, 'fixed1'),
    ('efficientnet_b0', _full(lambda: efficientnet.efficientnet_b0()), (1, 3, 224, 224), 13, 'fixed1'),
    ('convnext_tiny', _full(lambda: convnext.convnext_tiny(), 1.0, _convnext_post), (1, 3, 224, 224), 17, 'fixed1'),
    ('vit_b_16', _full(lambda: vision_transformer.vit_b_16(), 1.0, _vit_post), (1, 3, 224, 224), 17, 'fixed1'),
]


# --------------------------------------------------------------------------------------------------------------
# Export and references
# --------------------------------------------------------------------------------------------------------------

def save_tensor(path, arr, name):
    t = numpy_helper.from_array(np.ascontiguousarray(arr, dtype=np.float32), name)
    with open(path, 'wb') as f:
        f.write(t.SerializeToString())


def references(model, x, k, dtype):
    """(logits, d logits[:, k].sum() / d x) in the given dtype, on a copy of the model."""
    m = copy.deepcopy(model).to(dtype).eval()
    xi = x.detach().to(dtype).requires_grad_(True)
    y = m(xi)
    (g,) = torch.autograd.grad(y[:, k].sum(), xi)
    return y.detach(), g.detach()


def vit_gradcam_reference(model, x, k):
    """Grad-CAM on the tokens entering the last block's attention (encoder.layers[-1].ln_1's output, pytorch-grad-cam's
    target layer for ViTs), the class token dropped and the patch tokens laid out as their grid (its
    reshape_transform), in float64: (cam [N, h, w], cam upsampled bilinearly to the input [N, H, W], not normalized)."""
    m = copy.deepcopy(model).to(torch.float64).eval()
    seen = {}
    m.encoder.layers[-1].ln_1.register_forward_hook(lambda _m, _i, out: seen.setdefault('A', out))
    y = m(x.detach().to(torch.float64))
    a = seen['A']
    (g,) = torch.autograd.grad(y[:, k].sum(), a)
    side = int(round(math.sqrt(a.shape[1] - 1)))
    grid = lambda t: t[:, 1:, :].reshape(t.shape[0], side, side, t.shape[2])
    weights = grid(g).mean((1, 2))                                             # [N, C]
    cam = F.relu((grid(a) * weights[:, None, None, :]).sum(-1)).detach()      # [N, h, w]
    up = F.interpolate(cam[:, None], size=x.shape[2:], mode='bilinear', align_corners=False)[:, 0]
    return cam, up


def check_onnx(path, in_shape, out_shape):
    """onnx.checker (with shape inference) and the declared input / output ranks."""
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    (inp,) = [i for i in model.graph.input if i.name not in {t.name for t in model.graph.initializer}]
    dims = [d.dim_value if d.HasField('dim_value') else d.dim_param for d in inp.type.tensor_type.shape.dim]
    assert len(dims) == len(in_shape), (dims, in_shape)
    assert all(isinstance(a, str) or a == b for a, b in zip(dims, in_shape)), (dims, in_shape)
    out = inferred.graph.output[0]
    odims = [d.dim_value if d.HasField('dim_value') else d.dim_param for d in out.type.tensor_type.shape.dim]
    assert len(odims) == len(out_shape) and odims[-1] == out_shape[-1], (odims, out_shape)
    return model


def op_counts(model):
    counts = {}

    def visit(graph):
        for n in graph.node:
            key = n.op_type if n.domain in ('', 'ai.onnx') else n.domain + ':' + n.op_type
            counts[key] = counts.get(key, 0) + 1
            for a in n.attribute:
                if a.type == onnx.AttributeProto.GRAPH:
                    visit(a.g)
                elif a.type == onnx.AttributeProto.GRAPHS:
                    for g in a.graphs:
                        visit(g)

    visit(model.graph)
    return dict(sorted(counts.items()))


def export_torch(name, build, shape, opset, kind, out_dir, use_double=True, max_draws=10):
    torch.manual_seed(seed_of(name))
    model = build(shape)
    for p in model.parameters():
        p.requires_grad_(True)
    # The reference input: random normal. A draw whose float32 and float64 references disagree (an input sitting
    # on a ReLU kink or a near-tie of a max-pool, where the gradient is not robust to rounding) is replaced by
    # the next draw of the same seeded generator, so the stored gradient does not depend on the arithmetic.
    # (--full: one draw; at 224x224 some of the ~10^5 input gradients always sit near a kink; the table reports it.)
    for draw in range(1, max_draws + 1):
        x = torch.randn(shape)
        y32, g32 = references(model, x, K_CLASS, torch.float32)
        if not use_double:
            y, g = y32, g32
            break
        y, g = references(model, x, K_CLASS, torch.float64)
        err_y = float((y32.double() - y).abs().max() / y.abs().max())
        err_g = float((g32.double() - g).abs().max() / g.abs().max())
        if (err_y < 1e-4 and err_g < 1e-4) or max_draws == 1:
            break
    else:
        raise RuntimeError(f'{name}: no robust reference input in {max_draws} draws')
    path = os.path.join(out_dir, name + '.onnx')
    assert kind != 'fixed1' or shape[0] == 1
    assert kind != 'fixed2' or shape[0] == 2
    dummy = x if kind != 'dynamic' else x[:1].clone()
    dyn = {'input': {0: 'batch'}, 'logits': {0: 'batch'}} if kind == 'dynamic' else None
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        with contextlib.redirect_stdout(io.StringIO()):
            torch.onnx.export(model, dummy, path, opset_version=opset, input_names=['input'],
                              output_names=['logits'], do_constant_folding=True, dynamic_axes=dyn)
    onx = check_onnx(path, shape, tuple(y.shape))
    save_tensor(os.path.join(out_dir, name + '.input.pb'), x.numpy(), 'input')
    save_tensor(os.path.join(out_dir, name + '.logits.pb'), y.numpy(), 'logits')
    save_tensor(os.path.join(out_dir, name + '.grad.pb'), g.numpy(), 'input_grad')
    if name == 'vit':
        cam, up = vit_gradcam_reference(model, x, K_CLASS)
        save_tensor(os.path.join(out_dir, name + '.gradcam.pb'), cam.numpy(), 'gradcam')
        save_tensor(os.path.join(out_dir, name + '.gradcam_upsampled.pb'), up.numpy(), 'gradcam_upsampled')
    stats = dict(
        logit_std=float(y.std()), grad_absmax=float(g.abs().max()),
        fp32_logit_relerr=float((y32.double() - y).abs().max() / y.abs().max()),
        fp32_grad_relerr=float((g32.double() - g).abs().max() / g.abs().max()),
        dtype='float64' if use_double else 'float32', draw=draw)
    return dict(name=name, opset=opset, k=K_CLASS, shape=shape, kind=kind, extra='', onnx=onx, stats=stats,
                params=sum(p.numel() for p in model.parameters()))


# --------------------------------------------------------------------------------------------------------------
# Keras-through-tf2onnx-shaped graphs, built with onnx.helper; references from the same math in torch float64.
# --------------------------------------------------------------------------------------------------------------

def _he(rng, shape, fan_in):
    return (rng.standard_normal(shape) * math.sqrt(2.0 / fan_in)).astype(np.float32)


def _init(name, arr):
    return numpy_helper.from_array(arr, name)


def keras_cnn_nhwc(rng):
    """Keras: Input(20,20,3) -> ZeroPadding2D(((1,2),(2,1))) -> Conv2D(8,3,valid,relu) -> MaxPooling2D(2)
    -> Conv2D(16,3,strides=2,padding='same',relu) -> GlobalAveragePooling2D -> Dense(10, softmax),
    as tf2onnx writes it at opset 13 (one input Transpose, Pad with pads as an input, TF 'same' padding as
    explicit asymmetric Conv pads, Squeeze with axes as an input, Dense as MatMul + Add, symbolic batch)."""
    H, W, C = 20, 20, 3
    w1 = _he(rng, (8, C, 3, 3), C * 9)
    b1 = (rng.standard_normal(8) * 0.1).astype(np.float32)
    w2 = _he(rng, (16, 8, 3, 3), 8 * 9)
    b2 = (rng.standard_normal(16) * 0.1).astype(np.float32)
    w3 = (rng.standard_normal((16, 10)) / 4.0).astype(np.float32)
    b3 = (rng.standard_normal(10) * 0.1).astype(np.float32)
    pads = np.array([0, 0, 1, 2, 0, 0, 2, 1], dtype=np.int64)   # NCHW begins then ends: top 1 left 2 bottom 2 right 1
    # TF 'same', stride 2, kernel 3 on a 10x10 map: total pad (5-1)*2+3-10 = 1, all of it at the bottom / right.
    conv2_pads = [0, 0, 1, 1]
    p = 'sequential/'
    inits = [
        _init(p + 'zero_padding2d/Pad/paddings:0', pads),
        _init(p + 'conv2d/Conv2D/ReadVariableOp:0', w1),
        _init(p + 'conv2d/BiasAdd/ReadVariableOp:0', b1),
        _init(p + 'conv2d_1/Conv2D/ReadVariableOp:0', w2),
        _init(p + 'conv2d_1/BiasAdd/ReadVariableOp:0', b2),
        _init('const_axes__12', np.array([2, 3], dtype=np.int64)),
        _init(p + 'dense/MatMul/ReadVariableOp:0', w3),
        _init(p + 'dense/BiasAdd/ReadVariableOp:0', b3),
    ]
    nodes = [
        helper.make_node('Transpose', ['input_1'], ['input_1__7:0'], name='input_1__7', perm=[0, 3, 1, 2]),
        helper.make_node('Pad', ['input_1__7:0', p + 'zero_padding2d/Pad/paddings:0'], [p + 'zero_padding2d/Pad:0'],
                         name=p + 'zero_padding2d/Pad', mode='constant'),
        helper.make_node('Conv', [p + 'zero_padding2d/Pad:0', p + 'conv2d/Conv2D/ReadVariableOp:0',
                                  p + 'conv2d/BiasAdd/ReadVariableOp:0'], [p + 'conv2d/BiasAdd:0'],
                         name=p + 'conv2d/BiasAdd', kernel_shape=[3, 3], strides=[1, 1], dilations=[1, 1]),
        helper.make_node('Relu', [p + 'conv2d/BiasAdd:0'], [p + 'conv2d/Relu:0'], name=p + 'conv2d/Relu'),
        helper.make_node('MaxPool', [p + 'conv2d/Relu:0'], [p + 'max_pooling2d/MaxPool:0'],
                         name=p + 'max_pooling2d/MaxPool', kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node('Conv', [p + 'max_pooling2d/MaxPool:0', p + 'conv2d_1/Conv2D/ReadVariableOp:0',
                                  p + 'conv2d_1/BiasAdd/ReadVariableOp:0'], [p + 'conv2d_1/BiasAdd:0'],
                         name=p + 'conv2d_1/BiasAdd', kernel_shape=[3, 3], strides=[2, 2], dilations=[1, 1],
                         pads=conv2_pads),
        helper.make_node('Relu', [p + 'conv2d_1/BiasAdd:0'], [p + 'conv2d_1/Relu:0'], name=p + 'conv2d_1/Relu'),
        helper.make_node('GlobalAveragePool', [p + 'conv2d_1/Relu:0'], [p + 'global_average_pooling2d/Mean:0'],
                         name=p + 'global_average_pooling2d/Mean'),
        helper.make_node('Squeeze', [p + 'global_average_pooling2d/Mean:0', 'const_axes__12'],
                         [p + 'global_average_pooling2d/Mean_Squeeze__15:0'],
                         name=p + 'global_average_pooling2d/Mean_Squeeze__15'),
        helper.make_node('MatMul', [p + 'global_average_pooling2d/Mean_Squeeze__15:0',
                                    p + 'dense/MatMul/ReadVariableOp:0'], [p + 'dense/MatMul:0'],
                         name=p + 'dense/MatMul'),
        helper.make_node('Add', [p + 'dense/MatMul:0', p + 'dense/BiasAdd/ReadVariableOp:0'],
                         [p + 'dense/BiasAdd:0'], name=p + 'dense/BiasAdd'),
        helper.make_node('Softmax', [p + 'dense/BiasAdd:0'], ['dense'], name=p + 'dense/Softmax'),
    ]
    graph = helper.make_graph(
        nodes, 'tf2onnx', [helper.make_tensor_value_info('input_1', TensorProto.FLOAT, ['unk__21', H, W, C])],
        [helper.make_tensor_value_info('dense', TensorProto.FLOAT, ['unk__22', 10])], initializer=inits)
    opset = 13

    def forward(x):   # x: NHWC float64 -> (pre-softmax logits, softmax)
        t = lambda a: torch.from_numpy(a).double()
        h = x.permute(0, 3, 1, 2)
        h = F.pad(h, (2, 1, 1, 2))                       # (left, right, top, bottom)
        h = F.relu(F.conv2d(h, t(w1), t(b1)))
        h = F.max_pool2d(h, 2, 2)
        h = F.pad(h, (0, 1, 0, 1))
        h = F.relu(F.conv2d(h, t(w2), t(b2), stride=2))
        h = h.mean(dim=(2, 3))
        z = h @ t(w3) + t(b3)
        return z, torch.softmax(z, dim=-1)

    return 'keras_cnn_nhwc', graph, opset, (1, H, W, C), 'dynamic', forward


def keras_cnn_reshape(rng):
    """Keras: Input(16,16,3) -> Conv2D(8,3,'same') -> BatchNormalization -> ReLU -> MaxPooling2D(2)
    -> Conv2D(12,3,valid,relu) -> Flatten -> Dense(10, softmax), as tf2onnx writes it at opset 15: Flatten is a
    Transpose back to NHWC (Keras flattens in HWC order) + Reshape with an int64 initializer shape [-1, 432]."""
    H, W, C = 16, 16, 3
    w1 = _he(rng, (8, C, 3, 3), C * 9)
    b1 = (rng.standard_normal(8) * 0.1).astype(np.float32)
    gamma = rng.uniform(0.5, 1.5, 8).astype(np.float32)
    beta = (rng.standard_normal(8) * 0.2).astype(np.float32)
    mean = (rng.standard_normal(8) * 0.3).astype(np.float32)
    var = rng.uniform(0.5, 2.0, 8).astype(np.float32)
    eps = 1e-3                                                   # Keras' default epsilon
    w2 = _he(rng, (12, 8, 3, 3), 8 * 9)
    b2 = (rng.standard_normal(12) * 0.1).astype(np.float32)
    feat = 6 * 6 * 12
    w3 = (rng.standard_normal((feat, 10)) / math.sqrt(feat)).astype(np.float32)
    b3 = (rng.standard_normal(10) * 0.1).astype(np.float32)
    p = 'model/'
    inits = [
        _init(p + 'conv2d/Conv2D/ReadVariableOp:0', w1),
        _init(p + 'conv2d/BiasAdd/ReadVariableOp:0', b1),
        _init(p + 'batch_normalization/ReadVariableOp:0', gamma),
        _init(p + 'batch_normalization/ReadVariableOp_1:0', beta),
        _init(p + 'batch_normalization/FusedBatchNormV3/ReadVariableOp:0', mean),
        _init(p + 'batch_normalization/FusedBatchNormV3/ReadVariableOp_1:0', var),
        _init(p + 'conv2d_1/Conv2D/ReadVariableOp:0', w2),
        _init(p + 'conv2d_1/BiasAdd/ReadVariableOp:0', b2),
        _init(p + 'flatten/Const:0', np.array([-1, feat], dtype=np.int64)),
        _init(p + 'dense/MatMul/ReadVariableOp:0', w3),
        _init(p + 'dense/BiasAdd/ReadVariableOp:0', b3),
    ]
    nodes = [
        helper.make_node('Transpose', ['input_1'], ['input_1__6:0'], name='input_1__6', perm=[0, 3, 1, 2]),
        helper.make_node('Conv', ['input_1__6:0', p + 'conv2d/Conv2D/ReadVariableOp:0',
                                  p + 'conv2d/BiasAdd/ReadVariableOp:0'], [p + 'conv2d/BiasAdd:0'],
                         name=p + 'conv2d/BiasAdd', kernel_shape=[3, 3], strides=[1, 1], dilations=[1, 1],
                         pads=[1, 1, 1, 1]),
        helper.make_node('BatchNormalization',
                         [p + 'conv2d/BiasAdd:0', p + 'batch_normalization/ReadVariableOp:0',
                          p + 'batch_normalization/ReadVariableOp_1:0',
                          p + 'batch_normalization/FusedBatchNormV3/ReadVariableOp:0',
                          p + 'batch_normalization/FusedBatchNormV3/ReadVariableOp_1:0'],
                         [p + 'batch_normalization/FusedBatchNormV3:0'],
                         name=p + 'batch_normalization/FusedBatchNormV3', epsilon=eps, momentum=0.99),
        helper.make_node('Relu', [p + 'batch_normalization/FusedBatchNormV3:0'], [p + 're_lu/Relu:0'],
                         name=p + 're_lu/Relu'),
        helper.make_node('MaxPool', [p + 're_lu/Relu:0'], [p + 'max_pooling2d/MaxPool:0'],
                         name=p + 'max_pooling2d/MaxPool', kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node('Conv', [p + 'max_pooling2d/MaxPool:0', p + 'conv2d_1/Conv2D/ReadVariableOp:0',
                                  p + 'conv2d_1/BiasAdd/ReadVariableOp:0'], [p + 'conv2d_1/BiasAdd:0'],
                         name=p + 'conv2d_1/BiasAdd', kernel_shape=[3, 3], strides=[1, 1], dilations=[1, 1]),
        helper.make_node('Relu', [p + 'conv2d_1/BiasAdd:0'], [p + 'conv2d_1/Relu:0'], name=p + 'conv2d_1/Relu'),
        helper.make_node('Transpose', [p + 'conv2d_1/Relu:0'], [p + 'conv2d_1/Relu__18:0'],
                         name=p + 'conv2d_1/Relu__18', perm=[0, 2, 3, 1]),
        helper.make_node('Reshape', [p + 'conv2d_1/Relu__18:0', p + 'flatten/Const:0'], [p + 'flatten/Reshape:0'],
                         name=p + 'flatten/Reshape'),
        helper.make_node('MatMul', [p + 'flatten/Reshape:0', p + 'dense/MatMul/ReadVariableOp:0'],
                         [p + 'dense/MatMul:0'], name=p + 'dense/MatMul'),
        helper.make_node('Add', [p + 'dense/MatMul:0', p + 'dense/BiasAdd/ReadVariableOp:0'],
                         [p + 'dense/BiasAdd:0'], name=p + 'dense/BiasAdd'),
        helper.make_node('Softmax', [p + 'dense/BiasAdd:0'], ['dense'], name=p + 'dense/Softmax'),
    ]
    graph = helper.make_graph(
        nodes, 'tf2onnx', [helper.make_tensor_value_info('input_1', TensorProto.FLOAT, [1, H, W, C])],
        [helper.make_tensor_value_info('dense', TensorProto.FLOAT, [1, 10])], initializer=inits)
    opset = 15

    def forward(x):
        t = lambda a: torch.from_numpy(a).double()
        h = x.permute(0, 3, 1, 2)
        h = F.conv2d(h, t(w1), t(b1), padding=1)
        h = F.batch_norm(h, t(mean), t(var), t(gamma), t(beta), training=False, eps=eps)
        h = F.max_pool2d(F.relu(h), 2, 2)
        h = F.relu(F.conv2d(h, t(w2), t(b2)))
        h = h.permute(0, 2, 3, 1).reshape(-1, feat)
        z = h @ t(w3) + t(b3)
        return z, torch.softmax(z, dim=-1)

    return 'keras_cnn_reshape', graph, opset, (1, H, W, C), 'fixed1', forward


KERAS = [keras_cnn_nhwc, keras_cnn_reshape]


def export_keras(make, out_dir):
    name = make.__name__
    rng = np.random.RandomState(seed_of(name))
    name, graph, opset, shape, kind, forward = make(rng)
    model = helper.make_model(graph, producer_name='tf2onnx', producer_version='1.9.3',
                              opset_imports=[helper.make_opsetid('', opset)])
    model.ir_version = 7 if opset <= 13 else 8
    path = os.path.join(out_dir, name + '.onnx')
    onnx.save(model, path)
    torch.manual_seed(seed_of(name))
    x = torch.randn(shape)
    xi = x.double().requires_grad_(True)
    z, s = forward(xi)
    (gs,) = torch.autograd.grad(s[:, K_CLASS].sum(), xi, retain_graph=True)
    (gz,) = torch.autograd.grad(z[:, K_CLASS].sum(), xi)
    onx = check_onnx(path, shape, tuple(s.shape))
    in_name, out_name = graph.input[0].name, graph.output[0].name
    save_tensor(os.path.join(out_dir, name + '.input.pb'), x.numpy(), in_name)
    save_tensor(os.path.join(out_dir, name + '.logits.pb'), s.detach().numpy(), out_name)
    save_tensor(os.path.join(out_dir, name + '.grad.pb'), gs.numpy(), in_name + '_grad')
    save_tensor(os.path.join(out_dir, name + '.prelogits.pb'), z.detach().numpy(), 'prelogits')
    save_tensor(os.path.join(out_dir, name + '.prelogits_grad.pb'), gz.numpy(), in_name + '_prelogits_grad')
    stats = dict(logit_std=float(z.std()), grad_absmax=float(gz.abs().max()), fp32_logit_relerr=0.0,
                 fp32_grad_relerr=0.0, dtype='float64', draw=1)
    return dict(name=name, opset=opset, k=K_CLASS, shape=shape, kind=kind, extra='softmax', onnx=onx, stats=stats,
                prelogits_name=[n for n in graph.node if n.op_type == 'Softmax'][0].input[0],
                params=sum(int(np.prod(i.dims)) for i in graph.initializer))


# --------------------------------------------------------------------------------------------------------------
# An independent float64 evaluator of the exported graphs (numpy, torch only for the conv / pool windows), written
# from the ONNX operator specs: every fixture's graph is run on its .input.pb and must reproduce .logits.pb, and a
# central finite difference along a random direction must match <.grad.pb, direction>. This checks the files
# against each other (onnxruntime and onnx.reference are not available here).
# --------------------------------------------------------------------------------------------------------------

def _np_dtype(onnx_type):
    if onnx_type in (TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.FLOAT16):
        return np.float64
    return onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[onnx_type]


def _as64(a):
    return a.astype(np.float64) if a.dtype.kind == 'f' else a


def _attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _pads2d(at, spatial):
    pads = list(at.get('pads', [0] * (2 * spatial)))
    assert at.get('auto_pad', b'NOTSET') in (b'NOTSET', 'NOTSET'), 'auto_pad not supported by the checker'
    return pads


def _window(x, at, kind):
    """MaxPool / AveragePool on NCHW float64 (2-D), ONNX semantics incl. asymmetric pads and ceil_mode."""
    k = at['kernel_shape']
    st = at.get('strides', [1, 1])
    dil = at.get('dilations', [1, 1])
    t, l, b, r = _pads2d(at, 2)                    # ONNX order: top, left, bottom, right
    ceil = bool(at.get('ceil_mode', 0))
    xt = torch.from_numpy(x)
    if kind == 'max':
        xp = F.pad(xt, (l, r, t, b), value=-math.inf)
        return F.max_pool2d(xp, k, st, 0, dil, ceil_mode=ceil).numpy()
    assert dil == [1, 1]
    ones = torch.zeros((1, 1) + xt.shape[2:], dtype=xt.dtype)
    ones += 1
    xp = F.pad(xt, (l, r, t, b))
    if at.get('count_include_pad', 0):
        mask = F.pad(ones, (l, r, t, b), value=1.0)
    else:
        mask = F.pad(ones, (l, r, t, b), value=0.0)
    s = F.avg_pool2d(xp, k, st, 0, ceil_mode=ceil, count_include_pad=True, divisor_override=1)
    c = F.avg_pool2d(mask, k, st, 0, ceil_mode=ceil, count_include_pad=True, divisor_override=1)
    return (s / c).numpy()


def _conv(x, w, b, at):
    assert w.ndim == 4
    t, l, bo, r = _pads2d(at, 2)
    xt = F.pad(torch.from_numpy(x), (l, r, t, bo))
    y = F.conv2d(xt, torch.from_numpy(w), None if b is None else torch.from_numpy(b), at.get('strides', [1, 1]),
                 0, at.get('dilations', [1, 1]), at.get('group', 1))
    return y.numpy()


def _axes_arg(node, at, ins, i, opset):
    if opset >= 13 and node.op_type in ('Squeeze', 'Unsqueeze'):
        return None if len(ins) <= i or ins[i] is None else [int(a) for a in ins[i]]
    return at.get('axes')


def run_onnx(model, feeds, want=()):
    """Evaluate the main graph in float64. Returns {name: array} for the graph outputs and the names in want."""
    opset = max(o.version for o in model.opset_import if o.domain in ('', 'ai.onnx'))
    env = {t.name: _as64(numpy_helper.to_array(t)) for t in model.graph.initializer}
    env.update({k: _as64(np.asarray(v)) for k, v in feeds.items()})
    for node in model.graph.node:
        ins = [env[n] if n else None for n in node.input]
        at = _attrs(node)
        op = node.op_type
        x = ins[0] if ins else None
        if op == 'Constant':
            y = _as64(numpy_helper.to_array(at['value']))
        elif op in ('Identity', 'Dropout'):
            y = x
        elif op in ('Add', 'Sub', 'Mul', 'Pow', 'Equal'):
            y = {'Add': np.add, 'Sub': np.subtract, 'Mul': np.multiply, 'Pow': np.power,
                 'Equal': np.equal}[op](x, ins[1])
        elif op == 'Div':
            y = x / ins[1] if x.dtype.kind == 'f' else np.trunc(x / ins[1]).astype(x.dtype)
        elif op == 'Mod':
            y = np.fmod(x, ins[1]) if at.get('fmod', 0) else np.mod(x, ins[1])
        elif op == 'Not':
            y = np.logical_not(x)
        elif op == 'Where':
            y = np.where(x, ins[1], ins[2])
        elif op == 'Sqrt':
            y = np.sqrt(x)
        elif op == 'Erf':
            y = torch.erf(torch.from_numpy(x)).numpy()
        elif op == 'Relu':
            y = np.maximum(x, 0)
        elif op == 'Sigmoid':
            y = torch.sigmoid(torch.from_numpy(x)).numpy()
        elif op == 'HardSigmoid':
            y = np.clip(at.get('alpha', 0.2) * x + at.get('beta', 0.5), 0, 1)
        elif op == 'HardSwish':
            y = x * np.clip(x / 6 + 0.5, 0, 1)
        elif op == 'Clip':
            lo, hi = (at.get('min', -np.inf), at.get('max', np.inf)) if opset < 11 else (
                ins[1] if len(ins) > 1 and ins[1] is not None else -np.inf,
                ins[2] if len(ins) > 2 and ins[2] is not None else np.inf)
            y = np.clip(x, lo, hi)
        elif op == 'Softmax':
            ax = at.get('axis', -1 if opset >= 13 else 1)
            if opset < 13:
                shp = x.shape
                x = x.reshape(int(np.prod(shp[:ax])), -1)
                ax = 1
            e = np.exp(x - x.max(axis=ax, keepdims=True))
            y = e / e.sum(axis=ax, keepdims=True)
            if opset < 13:
                y = y.reshape(shp)
        elif op == 'Cast':
            y = x.astype(_np_dtype(at['to']))
        elif op == 'Shape':
            y = np.array(x.shape, dtype=np.int64)[at.get('start', 0):at.get('end', None)]
        elif op == 'Gather':
            idx = ins[1].astype(np.int64)
            ax = at.get('axis', 0)
            idx = np.where(idx < 0, idx + x.shape[ax], idx)
            y = np.take(x, idx, axis=ax)
        elif op == 'Unsqueeze':
            axes = _axes_arg(node, at, ins, 1, opset)
            r = x.ndim + len(axes)
            y = x
            for a in sorted(a % r for a in axes):
                y = np.expand_dims(y, a)
        elif op == 'Squeeze':
            axes = _axes_arg(node, at, ins, 1, opset)
            y = np.squeeze(x) if axes is None else np.squeeze(x, axis=tuple(a % x.ndim for a in axes))
        elif op == 'Concat':
            y = np.concatenate(ins, axis=at['axis'])
        elif op == 'Slice':
            starts, ends = ins[1], ins[2]
            axes = ins[3] if len(ins) > 3 and ins[3] is not None else np.arange(len(starts))
            steps = ins[4] if len(ins) > 4 and ins[4] is not None else np.ones(len(starts), np.int64)
            sl = [slice(None)] * x.ndim
            for s0, e0, a, st in zip(starts, ends, axes, steps):
                sl[int(a)] = slice(int(s0), int(e0), int(st))
            y = x[tuple(sl)]
        elif op == 'Reshape':
            shape = [int(d) for d in ins[1]]
            shape = [x.shape[i] if d == 0 and not at.get('allowzero', 0) else d for i, d in enumerate(shape)]
            y = x.reshape(shape)
        elif op == 'Flatten':
            ax = at.get('axis', 1) % max(x.ndim, 1)
            y = x.reshape(int(np.prod(x.shape[:ax])), -1)
        elif op == 'Transpose':
            y = np.transpose(x, at.get('perm', None))
        elif op == 'Expand':
            y = np.array(np.broadcast_to(x, np.broadcast_shapes(x.shape, tuple(int(d) for d in ins[1]))))
        elif op == 'ConstantOfShape':
            v = _as64(numpy_helper.to_array(at['value'])) if 'value' in at else np.zeros(1)
            y = np.full(tuple(int(d) for d in x), v.reshape(-1)[0], dtype=v.dtype)
        elif op == 'Range':
            y = np.arange(x, ins[1], ins[2]).astype(x.dtype)
        elif op == 'ScatterND':
            assert at.get('reduction', b'none') in (b'none', 'none')
            y = x.copy()
            idx = ins[1]
            y[tuple(idx[..., i] for i in range(idx.shape[-1]))] = ins[2]
        elif op == 'ReduceMean':
            axes = at.get('axes')
            y = np.mean(x, axis=None if axes is None else tuple(axes), keepdims=bool(at.get('keepdims', 1)))
        elif op == 'MatMul':
            y = np.matmul(x, ins[1])
        elif op == 'Gemm':
            a = x.T if at.get('transA', 0) else x
            b = ins[1].T if at.get('transB', 0) else ins[1]
            y = at.get('alpha', 1.0) * (a @ b)
            if len(ins) > 2 and ins[2] is not None:
                y = y + at.get('beta', 1.0) * ins[2]
        elif op == 'Conv':
            y = _conv(x, ins[1], ins[2] if len(ins) > 2 else None, at)
        elif op == 'MaxPool':
            y = _window(x, at, 'max')
        elif op == 'AveragePool':
            y = _window(x, at, 'avg')
        elif op == 'GlobalAveragePool':
            y = x.mean(axis=tuple(range(2, x.ndim)), keepdims=True)
        elif op == 'BatchNormalization':
            sh = (1, -1) + (1,) * (x.ndim - 2)
            sc, bi, mu, var = (a.reshape(sh) for a in ins[1:5])
            y = (x - mu) / np.sqrt(var + at.get('epsilon', 1e-5)) * sc + bi
        elif op == 'LayerNormalization':
            ax = at.get('axis', -1) % x.ndim
            red = tuple(range(ax, x.ndim))
            mu = x.mean(axis=red, keepdims=True)
            var = ((x - mu) ** 2).mean(axis=red, keepdims=True)
            y = (x - mu) / np.sqrt(var + at.get('epsilon', 1e-5)) * ins[1]
            if len(ins) > 2 and ins[2] is not None:
                y = y + ins[2]
        elif op == 'Pad':
            mode = at.get('mode', b'constant')
            mode = mode.decode() if isinstance(mode, bytes) else mode
            assert mode == 'constant'
            pads = [int(p) for p in (ins[1] if opset >= 11 else at['pads'])]
            val = (float(ins[2]) if len(ins) > 2 and ins[2] is not None else 0.0) if opset >= 11 else \
                at.get('value', 0.0)
            n = x.ndim
            assert min(pads) >= 0
            y = np.pad(x, [(pads[i], pads[i + n]) for i in range(n)], constant_values=val)
        else:
            raise NotImplementedError('checker: op ' + op)
        env[node.output[0]] = y
    names = [o.name for o in model.graph.output] + list(want)
    return {n: env[n] for n in names}


def _load_pb(path):
    t = TensorProto()
    with open(path, 'rb') as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def verify_fixture(out_dir, name, k, prelogits_name=None):
    """Re-run <name>.onnx on <name>.input.pb in float64; returns (logit rel. error, grad directional rel. error)."""
    model = onnx.load(os.path.join(out_dir, name + '.onnx'))
    x = _load_pb(os.path.join(out_dir, name + '.input.pb')).astype(np.float64)
    y_ref = _load_pb(os.path.join(out_dir, name + '.logits.pb')).astype(np.float64)
    in_name = [i.name for i in model.graph.input if i.name not in {t.name for t in model.graph.initializer}][0]
    out_name = model.graph.output[0].name
    want = [prelogits_name] if prelogits_name else []
    y = run_onnx(model, {in_name: x}, want)
    errs = {'logits': float(np.abs(y[out_name] - y_ref).max() / np.abs(y_ref).max())}
    rng = np.random.RandomState(seed_of(name) ^ 0x5eed)
    v = rng.standard_normal(x.shape)
    h = 1e-7   # float64: small enough not to cross ReLU / max-pool kinks (1e-5 does in the deeper nets)
    yp = run_onnx(model, {in_name: x + h * v}, want)
    ym = run_onnx(model, {in_name: x - h * v}, want)
    checks = [('grad', out_name, '.grad.pb')]
    if prelogits_name:
        checks.append(('prelogits_grad', prelogits_name, '.prelogits_grad.pb'))
        z_ref = _load_pb(os.path.join(out_dir, name + '.prelogits.pb')).astype(np.float64)
        errs['prelogits'] = float(np.abs(y[prelogits_name] - z_ref).max() / np.abs(z_ref).max())
    for key, tensor, suffix in checks:
        g = _load_pb(os.path.join(out_dir, name + suffix)).astype(np.float64)
        fd = (yp[tensor][:, k].sum() - ym[tensor][:, k].sum()) / (2 * h)
        errs[key] = float(abs(fd - (g * v).sum()) / np.abs(g * v).sum())
    return errs


# --------------------------------------------------------------------------------------------------------------

def manifest_line(r):
    cols = [r['name'], str(r['opset']), str(r['k']), 'x'.join(map(str, r['shape'])), r['kind']]
    if r['extra']:
        cols.append(r['extra'])
    return ' '.join(cols)


def files_of(out_dir, name):
    return sorted(f for f in os.listdir(out_dir) if f.startswith(name + '.'))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--out', default=DEFAULT_OUT, help='output folder (default: tests/data/onnx)')
    ap.add_argument('--full', metavar='DIR', help='export the full-size 224x224 models to DIR instead')
    ap.add_argument('--only', nargs='*', help='only these models (manifest.txt and ops.txt are not rewritten)')
    ap.add_argument('--float32-full', action='store_true',
                    help='with --full: float32 references (less memory) instead of float64')
    args = ap.parse_args()

    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False
    if args.full:
        out_dir, jobs, keras = args.full, FULL, []
    else:
        out_dir, jobs, keras = args.out, REDUCED, KERAS
        torch.set_num_threads(1)      # same reduction order on every run
    if args.only:
        jobs = [j for j in jobs if j[0] in args.only]
        keras = [k for k in keras if k.__name__ in args.only]
    os.makedirs(out_dir, exist_ok=True)

    results, failed = [], []
    t_all = time.time()
    for name, build, shape, opset, kind in jobs:
        t0 = time.time()
        try:
            r = export_torch(name, build, shape, opset, kind, out_dir,
                             use_double=not (args.full and args.float32_full), max_draws=1 if args.full else 10)
        except Exception as e:  # report and continue: one failing exporter must not hide the others
            failed.append((name, repr(e)))
            print(f'FAILED {name}: {e!r}', flush=True)
            continue
        r['seconds'] = time.time() - t0
        results.append(r)
        print(f'{name:20s} opset {opset} {kind:7s} {r["seconds"]:6.1f} s  params {r["params"]}', flush=True)
    for make in keras:
        t0 = time.time()
        r = export_keras(make, out_dir)
        r['seconds'] = time.time() - t0
        results.append(r)
        print(f'{r["name"]:20s} opset {r["opset"]} {r["kind"]:7s} {r["seconds"]:6.1f} s', flush=True)

    if not args.only:
        with open(os.path.join(out_dir, 'manifest.txt'), 'w') as f:
            for r in results:
                f.write(manifest_line(r) + '\n')
        with open(os.path.join(out_dir, 'ops.txt'), 'w') as f:
            for r in results:
                f.write(r['name'] + ' ' + ' '.join(f'{k}:{v}' for k, v in op_counts(r['onnx']).items()) + '\n')

    t_check_start = t_check = time.time()
    for r in results:
        try:
            r['verify'] = verify_fixture(out_dir, r['name'], r['k'], r.get('prelogits_name'))
        except Exception as e:
            failed.append((r['name'] + ' (check)', repr(e)))
            r['verify'] = {}
            continue
        bad = {k: v for k, v in r['verify'].items() if not v < 1e-4}
        if bad:
            failed.append((r['name'] + ' (check)', f'independent evaluation disagrees: {bad}'))
    t_check = time.time() - t_check

    print()
    print(f'{"model":20s} {"opset":>5s} {"onnx KB":>8s} {"all KB":>8s} {"logit std":>9s} {"|grad|max":>9s} '
          f'{"fp32 err y":>10s} {"fp32 err g":>10s} {"draw":>4s} {"chk y":>8s} {"chk g":>8s}')
    total = 0
    for r in results:
        files = files_of(out_dir, r['name'])
        size = sum(os.path.getsize(os.path.join(out_dir, f)) for f in files)
        total += size
        s, v = r['stats'], r['verify']
        print(f'{r["name"]:20s} {r["opset"]:5d} {os.path.getsize(os.path.join(out_dir, r["name"] + ".onnx")) / 1024:8.1f} '
              f'{size / 1024:8.1f} {s["logit_std"]:9.3g} {s["grad_absmax"]:9.3g} {s["fp32_logit_relerr"]:10.2e} '
              f'{s["fp32_grad_relerr"]:10.2e} {s["draw"]:4d} {v.get("logits", math.nan):8.1e} '
              f'{v.get("grad", math.nan):8.1e}')
    if not args.only and not args.full:
        total += sum(os.path.getsize(os.path.join(out_dir, f)) for f in ('manifest.txt', 'ops.txt'))
    print(f'total {total / 1024 / 1024:.2f} MB in {len(results)} models; export {t_check_start - t_all:.1f} s, '
          f'independent check {t_check:.1f} s')
    print()
    for r in results:
        print(r['name'] + ': ' + ' '.join(f'{k}:{v}' for k, v in op_counts(r['onnx']).items()))
    if failed:
        print('\nFAILED:')
        for n, e in failed:
            print(f'  {n}: {e}')
        sys.exit(1)


if __name__ == '__main__':
    main()
