#!/usr/bin/env python3
"""The PyTorch side of bench/finetune-bench.sh: the same models, batches and optimizer as
`zero-init finetune`, on the CPU.

  finetune_bench.py blas
      which BLAS library torch loaded (read from /proc/self/maps after a matmul)
  finetune_bench.py make-cifar OUT.npz N
      N random 32x32x3 uint8 images with labels 0..9 (x_train, y_train, x_test, y_test) for throughput
  finetune_bench.py throughput --model mlp|resnet18 --data PATH --batch B --epochs E --limit N
                               [--width W] [--onnx MODEL.onnx]
      samples per second of each epoch's training steps (SGD, lr 0.1, momentum 0.9, weight decay 1e-4);
      the last epoch's figure is the one to compare (the first warms up)
  finetune_bench.py accuracy --onnx MLP.onnx --data FASHION_MNIST --order ORDER.txt --batch 64 --lr 0.1
      one epoch of plain SGD from the ONNX model's weights, batches in the order zero-init used
      (ORDER.txt, from EpochOrder.java), last partial batch left out as zero-init does; prints the
      test accuracy

Threads: the caller sets OPENBLAS_NUM_THREADS / OMP_NUM_THREADS; torch itself runs --torch-threads
threads (default 1: torch.set_num_threads(1)), so that OpenBLAS's threads and OpenMP's do not
oversubscribe the cores; with more torch threads the caller sets OMP_WAIT_POLICY=PASSIVE and one
OpenBLAS thread.
"""
import argparse
import gzip
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def blas():
    a = torch.ones(64, 64)
    (a @ a).sum().item()
    libs = set()
    with open('/proc/self/maps') as f:
        for line in f:
            p = line.split()[-1] if len(line.split()) >= 6 else ''
            name = os.path.basename(p)
            if 'blas' in name or 'mkl' in name or 'lapack' in name:
                libs.add(os.path.realpath(p))
    return ', '.join(sorted(libs)) or 'none found'


def read_idx(path):
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        data = f.read()
    magic, = struct.unpack('>I', data[:4])
    ndim = magic & 0xff
    dims = struct.unpack('>' + 'I' * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def fashion(folder, limit):
    def f(stem):
        for ext in ('.gz', ''):
            p = os.path.join(folder, stem + ext)
            if os.path.exists(p):
                return p
        raise SystemExit('no ' + stem + ' in ' + folder)
    xs = read_idx(f('train-images-idx3-ubyte'))
    ys = read_idx(f('train-labels-idx1-ubyte'))
    xt = read_idx(f('t10k-images-idx3-ubyte'))
    yt = read_idx(f('t10k-labels-idx1-ubyte'))
    if limit:
        xs, ys, xt, yt = xs[:limit], ys[:limit], xt[:limit], yt[:limit]
    # exactly as zero-init scales bytes: b / 255f in float32
    lut = (np.arange(256, dtype=np.float32) / np.float32(255)).astype(np.float32)
    return (torch.from_numpy(lut[xs].reshape(len(xs), -1)), torch.from_numpy(ys.astype(np.int64)),
            torch.from_numpy(lut[xt].reshape(len(xt), -1)), torch.from_numpy(yt.astype(np.int64)))


def cifar_npz(path, limit):
    z = np.load(path)
    lut = (np.arange(256, dtype=np.float32) / np.float32(255)).astype(np.float32)
    x = z['x_train'][:limit] if limit else z['x_train']
    y = z['y_train'][:limit] if limit else z['y_train']
    x = lut[x].transpose(0, 3, 1, 2).copy()  # NHWC -> NCHW, as zero-init reads it
    return torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))


class Mlp(nn.Module):
    """784-784-n_h-n_h-10, no biases, ReLU: the paper's MLP as models/Mlp.java builds it."""

    def __init__(self, hidden=1024):
        super().__init__()
        self.fc1 = nn.Linear(784, 784, bias=False)
        self.fc2 = nn.Linear(784, hidden, bias=False)
        self.fc3 = nn.Linear(hidden, hidden, bias=False)
        self.fc4 = nn.Linear(hidden, 10, bias=False)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = F.relu(self.fc3(x))
        return self.fc4(x)


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, 0, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.b1(self.c1(x)))
        y = self.b2(self.c2(y))
        return F.relu(y + (x if self.short is None else self.short(x)))


class CifarResNet18(nn.Module):
    """models/CifarResNet.java: 3x3 stem, no max-pool, [2,2,2,2] basic blocks, widths 64..512 x w."""

    def __init__(self, width=1.0, classes=10, in_ch=3):
        super().__init__()
        w = [max(1, round(c * width)) for c in (64, 128, 256, 512)]
        self.stem = nn.Conv2d(in_ch, w[0], 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(w[0])
        layers = []
        cin = w[0]
        for s, c in enumerate(w):
            for b in range(2):
                stride = 2 if s > 0 and b == 0 else 1
                layers.append(Block(cin, c, stride))
                cin = c
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = F.relu(self.bn(self.stem(x)))
        x = self.layers(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def load_mlp(onnx_path):
    import onnx
    from onnx import numpy_helper
    m = onnx.load(onnx_path)
    w = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    net = Mlp(hidden=w['fc2.gemm.weight'].shape[0])
    with torch.no_grad():
        for i in range(1, 5):
            getattr(net, 'fc%d' % i).weight.copy_(torch.from_numpy(w['fc%d.gemm.weight' % i].copy()))
    return net


def throughput(a):
    torch.manual_seed(0)
    if a.model == 'mlp':
        net = load_mlp(a.onnx) if a.onnx else Mlp()
        x, y, _, _ = fashion(a.data, a.limit)
    else:
        net = CifarResNet18(width=a.width)
        x, y = cifar_npz(a.data, a.limit)
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    n = len(x)
    steps = n // a.batch
    g = torch.Generator().manual_seed(0)
    for epoch in range(a.epochs):
        perm = torch.randperm(n, generator=g)
        t0 = time.perf_counter()
        for s in range(steps):
            idx = perm[s * a.batch:(s + 1) * a.batch]
            xb, yb = x[idx], y[idx]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(net(xb), yb)
            loss.backward()
            opt.step()
            loss.item()
        dt = time.perf_counter() - t0
        print('epoch %d: %.1f samples/s (%d steps of %d, %.2f s)' % (epoch + 1, steps * a.batch / dt, steps,
                                                                      a.batch, dt))
    print('RESULT %.1f' % (steps * a.batch / dt))


def accuracy(a):
    net = load_mlp(a.onnx)
    x, y, xt, yt = fashion(a.data, a.limit)
    order = torch.from_numpy(np.loadtxt(a.order, dtype=np.int64))
    assert len(order) == len(x), (len(order), len(x))
    opt = torch.optim.SGD(net.parameters(), lr=a.lr, momentum=a.momentum, weight_decay=a.weight_decay)
    steps = len(x) // a.batch
    net.train()
    t0 = time.perf_counter()
    for s in range(steps):
        idx = order[s * a.batch:(s + 1) * a.batch]
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(net(x[idx]), y[idx]).backward()
        opt.step()
    dt = time.perf_counter() - t0
    net.eval()
    with torch.no_grad():
        logits = net(xt)
        loss = F.cross_entropy(logits, yt).item()
        acc = (logits.argmax(1) == yt).double().mean().item()
    print('one epoch (%d steps, %.1f s): test loss %.6f accuracy %.4f' % (steps, dt, loss, acc))
    print('RESULT %.6f %.6f' % (acc, loss))


def make_cifar(out, n):
    r = np.random.default_rng(0)
    x = r.integers(0, 256, size=(n, 32, 32, 3), dtype=np.uint8)
    y = r.integers(0, 10, size=(n,), dtype=np.int64)
    np.savez(out, x_train=x, y_train=y, x_test=x[:128], y_test=y[:128])


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--torch-threads', type=int, default=1,
                   help='torch intra-op threads (default 1; more only with OMP_WAIT_POLICY=PASSIVE)')
    sub = p.add_subparsers(dest='cmd', required=True)
    sub.add_parser('blas')
    m = sub.add_parser('make-cifar')
    m.add_argument('out')
    m.add_argument('n', type=int)
    t = sub.add_parser('throughput')
    t.add_argument('--model', choices=['mlp', 'resnet18'], required=True)
    t.add_argument('--data', required=True)
    t.add_argument('--onnx')
    t.add_argument('--batch', type=int, required=True)
    t.add_argument('--epochs', type=int, default=2)
    t.add_argument('--limit', type=int, default=0)
    t.add_argument('--width', type=float, default=1.0)
    c = sub.add_parser('accuracy')
    c.add_argument('--onnx', required=True)
    c.add_argument('--data', required=True)
    c.add_argument('--order', required=True)
    c.add_argument('--batch', type=int, default=64)
    c.add_argument('--lr', type=float, default=0.1)
    c.add_argument('--momentum', type=float, default=0.0)
    c.add_argument('--weight-decay', type=float, default=0.0)
    c.add_argument('--limit', type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(a.torch_threads)
    if a.cmd == 'blas':
        print('torch %s, %d thread(s), BLAS: %s' % (torch.__version__, torch.get_num_threads(), blas()))
    elif a.cmd == 'make-cifar':
        make_cifar(a.out, a.n)
    elif a.cmd == 'throughput':
        throughput(a)
    else:
        accuracy(a)


if __name__ == '__main__':
    sys.exit(main())
