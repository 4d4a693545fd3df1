#!/usr/bin/python3
"""The PyTorch side of scripts/compare.sh: the workloads of bench/peer/xvis_workloads.cpp, same names, same work.

    torch_peer.py run WORKLOAD --threads N [--warmup W] [--reps R] [--min-time S] --onnx-dir D [--fashion-dir D]
                  [--train-images N]       one JSON line: {"side": "torch", "workload", "threads", "ms": [...]}
    torch_peer.py logits MODEL --onnx-dir D  {"logits": [...]} for the check input x[i] = (i mod 997) / 997 - 0.5
    torch_peer.py prepare DIR MODEL...       exports the torchvision MODELs to DIR/<model>.onnx when missing
    torch_peer.py info                       versions, BLAS, threads

Run with Debian's interpreter (/usr/bin/python3: torch 1.13, torchvision 0.14, onnx). Same weights as xvis:
torchvision models are rebuilt with scripts/export_bench_models.py's seeds and randomisation, which wrote the ONNX
files xvis imports (checked by comparing logits: `logits`); the W1 / W2 networks are xvis's own (xvis_peer
export-own), their weights copied from DIR/fashion_cnn.onnx and DIR/vgg_mini.onnx into identical modules.
Every parameter is frozen (requires_grad False) except in training: like xvis, no weight gradient is computed.
Timing as xvis_peer: set-up untimed, `warmup` untimed calls, then calls timed one by one (perf_counter).
"""

import argparse
import gzip
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'scripts'))
import export_bench_models as ebm  # noqa: E402

ebm.MODELS.setdefault('convnext_tiny', ('convnext', 'convnext_tiny', 17))  # opset 17: LayerNormalization
TORCHVISION = ['resnet18', 'resnet50', 'mobilenet_v2', 'efficientnet_b0', 'convnext_tiny', 'vit_b_16']
CLASS = 3


def torchvision_model(name):
    """The model ebm.export(name) wrote: same seed, same randomisation, eval mode, parameters frozen."""
    import importlib
    module, ctor, _ = ebm.MODELS[name]
    torch.manual_seed(ebm.seed_of(name))
    model = ebm.randomise(getattr(importlib.import_module('torchvision.models.' + module), ctor)())
    return frozen(model)


def frozen(model):
    for p in model.parameters():
        p.requires_grad_(False)
    return model.eval()


def onnx_weights(path):
    import onnx
    from onnx import numpy_helper
    return {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in onnx.load(path).graph.initializer}


def own_model(name, onnx_dir):
    """xvis's fashion_cnn / vgg_mini as nn.Sequential, weights from xvis_peer export-own (Dense kernels are [in, out])."""
    w = onnx_weights(os.path.join(onnx_dir, name + '.onnx'))
    if name == 'fashion_cnn':
        convs, dense = [('conv1', 1, 32), ('conv2', 32, 64)], [('fc1', 3136, 128), ('logits', 128, 10)]
        pools_after = {'conv1', 'conv2'}
    else:
        convs = [('b1c1', 3, 64), ('b1c2', 64, 64), ('b2c1', 64, 128), ('b2c2', 128, 128), ('b3c1', 128, 256), ('b3c2', 256, 256)]
        dense, pools_after = [('fc', 16384, 256), ('out', 256, 10)], {'b1c2', 'b2c2', 'b3c2'}
    layers = []
    for n, c, k in convs:
        conv = nn.Conv2d(c, k, 3, padding=1)
        conv.weight.data.copy_(w[n + '/kernel'])
        conv.bias.data.copy_(w[n + '/bias'])
        layers += [conv, nn.ReLU()] + ([nn.MaxPool2d(2)] if n in pools_after else [])
    layers.append(nn.Flatten())
    for i, (n, a, b) in enumerate(dense):
        lin = nn.Linear(a, b)
        lin.weight.data.copy_(w[n + '/kernel'].t())
        lin.bias.data.copy_(w[n + '/bias'])
        layers += [lin] + ([nn.ReLU()] if i == 0 else [])
    return frozen(nn.Sequential(*layers))


def model_by_name(name, onnx_dir):
    return own_model(name, onnx_dir) if name in ('fashion_cnn', 'vgg_mini') else torchvision_model(name)


def normalize(m):
    """Per-sample min-max to [0, 1], as xvis's normalization of saliency and CAM maps."""
    flat = m.flatten(1)
    lo, hi = flat.min(1, keepdim=True)[0], flat.max(1, keepdim=True)[0]
    return ((flat - lo) / (hi - lo + 1e-7)).view_as(m)


def saliency(model, batch, shape):
    """Timed: forward, d logit_3 / d input (frozen weights: no weight gradients), |g|, max over channels, normalization."""
    x = torch.rand((batch,) + shape, generator=torch.Generator().manual_seed(1))

    def step():
        xi = x.detach().requires_grad_(True)
        g, = torch.autograd.grad(model(xi)[:, CLASS].sum(), xi)
        return normalize(g.abs().amax(1))
    return step


def vit_grid(a):
    """pytorch-grad-cam's reshape_transform for ViTs: [N, 1 + h*w, C] tokens, class token dropped, to [N, C, h, w]."""
    side = int(round(math.sqrt(a.shape[1] - 1)))
    return a[:, 1:, :].reshape(a.shape[0], side, side, a.shape[2]).permute(0, 3, 1, 2)


def gradcam(model, feature_module, batch, to_map=None):
    """Timed: forward (graph recorded from A = feature_module's output on), d logit_3 / d A, channel weights,
    relu(sum w*A), bilinear upsampling to 224x224, normalization. to_map: A's tokens to a map (ViT)."""
    x = torch.rand((batch, 3, 224, 224), generator=torch.Generator().manual_seed(1))
    seen = {}

    def hook(_module, _inputs, out):
        seen['A'] = out.detach().requires_grad_(True)
        return seen['A']
    feature_module.register_forward_hook(hook)

    def step():
        y = model(x)
        a = seen['A']
        g, = torch.autograd.grad(y[:, CLASS].sum(), a)
        if to_map is not None:
            a, g = to_map(a), to_map(g)
        cam = F.relu((g.mean((2, 3), keepdim=True) * a).sum(1, keepdim=True))
        return normalize(F.interpolate(cam, size=x.shape[2:], mode='bilinear', align_corners=False)[:, 0])
    return step


def feature_module(name, model):
    """The module whose output feeds the head's global average pool (xvis_workloads.cpp: last_feature_map); for
    ViT-B/16 the LayerNorm before the last block's attention (xvis_workloads.cpp: vit_tokens_layer)."""
    if name.startswith('vit'):
        return model.encoder.layers[-1].ln_1
    return model.layer4 if name.startswith('resnet') else model.features


def tv_loss(x, beta=2.0):
    d_h = x[:, :, 1:, :-1] - x[:, :, :-1, :-1]
    d_w = x[:, :, :-1, 1:] - x[:, :, :-1, :-1]
    return (d_h * d_h + d_w * d_w).pow(beta / 2).sum() / x[0].numel()


def lp_loss(x, p=6.0):
    return x.abs().pow(p).sum().pow(1.0 / p) / x[0].numel()


def loss_step(which, shape):
    """Timed: the loss and its gradient w.r.t. the input (autograd)."""
    x = torch.rand(shape, generator=torch.Generator().manual_seed(1))
    f = {'am': lambda v: -v[:, 7].mean(), 'lp': lp_loss, 'tv': tv_loss}[which]

    def step():
        xi = x.detach().requires_grad_(True)
        return torch.autograd.grad(f(xi), xi)[0]
    return step


def am_step(onnx_dir):
    """W2, per call 10 iterations (reported per iteration): random seed image; per iteration jitter (circular shift
    by up to 3 px = trunc(0.05 * 64)), forward to b3c1's ReLU, -mean(filter 7) + 1e-4 LPNorm(6) + 10 TV(2),
    d/d input, L2 normalization, keras-vis RMSprop step, best input kept; per call: the best input as NHWC in [0, 255]."""
    trunk = own_model('vgg_mini', onnx_dir)[:12]  # b1c1 relu b1c2 relu pool b2c1 relu b2c2 relu pool b3c1 relu
    assert isinstance(trunk[-1], nn.ReLU) and trunk[-2].out_channels == 256
    gen = torch.Generator().manual_seed(0)

    def step():
        x = torch.randn((1, 3, 64, 64), generator=gen) * 12.75 + 127.5
        cache = torch.zeros_like(x)
        best, best_x = float('inf'), x
        for _ in range(10):
            s = torch.randint(-3, 4, (2,), generator=gen).tolist()
            x = torch.roll(x, s, (2, 3))
            xi = x.detach().requires_grad_(True)
            loss = -trunk(xi)[:, 7].mean() + 1e-4 * lp_loss(xi) + 10.0 * tv_loss(xi)
            g, = torch.autograd.grad(loss, xi)
            with torch.no_grad():
                g = g / g.pow(2).sum().clamp_min(1e-12).sqrt()
                cache = 0.95 * cache + 0.05 * g * g
                value = float(loss)
                if value < best:
                    best, best_x = value, x
                x = x - g / (cache + 1e-7).sqrt()
        return best_x.permute(0, 2, 3, 1).clamp(0, 255).contiguous()
    return step, 10.0


def load_idx(path):
    with gzip.open(path, 'rb') as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def train_epoch(onnx_dir, fashion_dir, n):
    """One epoch of W1 (xvis's fashion_cnn weights), Adam lr 1e-3, batch 64, shuffled, last partial batch kept, running
    loss and accuracy as xvis's fit. Data loaded (as float [N, 1, 28, 28] / 255) before timing."""
    images = load_idx(os.path.join(fashion_dir, 'train-images-idx3-ubyte.gz'))
    labels = load_idx(os.path.join(fashion_dir, 'train-labels-idx1-ubyte.gz'))
    if n:
        images, labels = images[:n], labels[:n]
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    y = torch.from_numpy(labels.astype(np.int64))
    model = own_model('fashion_cnn', onnx_dir).train()
    for p in model.parameters():
        p.requires_grad_(True)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(0)

    def step():
        perm = torch.randperm(len(y), generator=gen)
        total, correct = 0.0, 0
        for i in range(0, len(y), 64):
            idx = perm[i:i + 64]
            xb, yb = x[idx], y[idx]
            opt.zero_grad(set_to_none=True)
            out = model(xb)
            loss = F.cross_entropy(out, yb)
            loss.backward()
            opt.step()
            total += float(loss) * len(idx)
            correct += int((out.argmax(1) == yb).sum())
        return total, correct
    return step, 1.0


def conv_step(backward_data):
    """conv 3x3 64->64 on 1x64x56x56, pad 1, no bias. Timed: F.conv2d under no_grad (oneDNN), or aten's
    convolution_backward for the input gradient only."""
    g = torch.Generator().manual_seed(1)
    x, w = torch.rand((1, 64, 56, 56), generator=g) * 2 - 1, torch.rand((64, 64, 3, 3), generator=g) * 2 - 1
    gy = torch.rand((1, 64, 56, 56), generator=g) * 2 - 1
    if backward_data:
        return lambda: torch.ops.aten.convolution_backward(gy, x, w, None, [1, 1], [1, 1], [1, 1], False, [0, 0], 1,
                                                           [True, False, False])[0]

    def fwd():
        with torch.no_grad():
            return F.conv2d(x, w, None, 1, 1)
    return fwd


def make_workload(name, a):
    if name in ('conv_fwd', 'conv_bwd_data'):
        return conv_step(name == 'conv_bwd_data'), 1.0
    if name == 'w2_am_step':
        return am_step(a.onnx_dir)
    if name == 'train_epoch':
        return train_epoch(a.onnx_dir, a.fashion_dir, a.train_images)
    losses = {'loss_tv': ('tv', (1, 3, 224, 224)), 'loss_lp': ('lp', (1, 3, 224, 224)), 'loss_am': ('am', (1, 512, 14, 14)),
              'loss_am_64x112x112': ('am', (1, 64, 112, 112))}
    if name in losses:
        return loss_step(*losses[name]), 1.0
    for kind in ('_saliency_b', '_gradcam_b'):
        if kind in name:
            model_name, batch = name.split(kind)[0], int(name.split(kind)[1])
            if model_name == 'w1':
                return saliency(own_model('fashion_cnn', a.onnx_dir), batch, (1, 28, 28)), 1.0
            model = torchvision_model(model_name)
            if kind == '_saliency_b':
                return saliency(model, batch, (3, 224, 224)), 1.0
            return gradcam(model, feature_module(model_name, model), batch,
                           vit_grid if model_name.startswith('vit') else None), 1.0
    raise SystemExit(f'torch_peer: unknown workload {name!r}')


def info():
    maps = open('/proc/self/maps').read()
    blas = 'OpenBLAS' if 'openblas' in maps else ('reference BLAS (slow GEMM: install libopenblas0-pthread)'
                                                   if 'libblas.so' in maps else 'unknown BLAS')
    import torchvision
    return {'torch': torch.__version__, 'torchvision': torchvision.__version__, 'blas': blas,
            'onednn': torch.backends.mkldnn.is_available(), 'threads': torch.get_num_threads()}


def run(a):
    torch.set_num_threads(a.threads)
    t0 = time.perf_counter()
    step, per_call = make_workload(a.target, a)
    setup_s = time.perf_counter() - t0
    for _ in range(a.warmup):
        step()
    ms, total = [], 0.0
    while len(ms) < a.reps or total < a.min_time:
        s = time.perf_counter()
        step()
        sec = time.perf_counter() - s
        total += sec
        ms.append(sec * 1e3 / per_call)
    print(json.dumps({'side': 'torch', 'workload': a.target, 'threads': a.threads, 'setup_s': round(setup_s, 3),
                      'ms': [float('%.6g' % v) for v in ms], 'build': info()}))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('command', choices=['run', 'logits', 'prepare', 'info'])
    ap.add_argument('target', nargs='*')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--warmup', type=int, default=1)
    ap.add_argument('--reps', type=int, default=5)
    ap.add_argument('--min-time', type=float, default=0.0)
    ap.add_argument('--onnx-dir', default='')
    ap.add_argument('--fashion-dir', default='/usr/share/datasets/fashion-mnist')
    ap.add_argument('--train-images', type=int, default=0)
    a = ap.parse_args()
    torch.set_num_interop_threads(1)
    if a.command == 'info':
        print(json.dumps(info()))
    elif a.command == 'prepare':
        out_dir, names = a.target[0], a.target[1:]
        os.makedirs(out_dir, exist_ok=True)
        torch.set_num_threads(max(1, os.cpu_count() or 1))
        for name in names:
            if not os.path.isfile(os.path.join(out_dir, name + '.onnx')):
                t = time.time()
                ebm.export(name, out_dir)
                print(f'torch_peer: exported {name} in {time.time() - t:.1f} s', file=sys.stderr, flush=True)
    elif a.command == 'logits':
        model = model_by_name(a.target[0], a.onnx_dir)
        shape = {'fashion_cnn': (1, 1, 28, 28), 'vgg_mini': (1, 3, 64, 64)}.get(a.target[0], (1, 3, 224, 224))
        x = (torch.arange(int(np.prod(shape))) % 997).float().div(997.0).sub(0.5).view(shape)
        with torch.no_grad():
            print(json.dumps({'logits': model(x).flatten().tolist()}))
    else:
        a.target = a.target[0]
        run(a)
    return 0


if __name__ == '__main__':
    sys.exit(main())
