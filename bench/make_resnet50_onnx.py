#!/usr/bin/env python3
"""Write a ResNet-50-shaped ONNX model with random weights, for timing the rewrite (about 102 MB).

    python3 bench/make_resnet50_onnx.py OUT.onnx [--dtype float32|float16|float64] [--batchnorm]
                                                  [--external] [--seed 0]

The graph is ResNet-50 v1.5 as exported in eval mode (BatchNorm folded into Conv weight + bias):
7x7/2 stem, max-pool, bottleneck stages [3, 4, 6, 3] with 1x1 projection shortcuts, global average
pool, Gemm 2048 -> 1000 (transB=1); 25.5 M parameters, opset 13. --batchnorm keeps a
BatchNormalization after every Conv instead (no Conv bias). --external writes the tensors to
OUT.data. Weights: numpy default_rng(seed) normal * 0.02, so the file is reproducible.
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def build(dtype, batchnorm, seed):
    rng = np.random.default_rng(seed)
    elem = {np.float32: TensorProto.FLOAT, np.float16: TensorProto.FLOAT16, np.float64: TensorProto.DOUBLE}[dtype]
    nodes, inits = [], []
    count = [0]

    def tensor(name, shape, value=None):
        if value is None:
            arr = (rng.standard_normal(shape, dtype=np.float32) * 0.02).astype(dtype)
        else:
            arr = np.full(shape, value, dtype=dtype)
        inits.append(numpy_helper.from_array(arr, name))
        return name

    def conv(x, c_in, c_out, k, stride, name):
        w = tensor(name + ".weight", (c_out, c_in, k, k))
        out = name + ".out"
        ins = [x, w] if batchnorm else [x, w, tensor(name + ".bias", (c_out,))]
        nodes.append(helper.make_node("Conv", ins, [out], name=name, kernel_shape=[k, k],
                                      strides=[stride, stride], pads=[k // 2] * 4))
        if batchnorm:
            bn = name + ".bn"
            nodes.append(helper.make_node(
                "BatchNormalization",
                [out, tensor(bn + ".weight", (c_out,), 1.0), tensor(bn + ".bias", (c_out,), 0.0),
                 tensor(bn + ".running_mean", (c_out,)), tensor(bn + ".running_var", (c_out,), 1.0)],
                [bn + ".out"], name=bn, epsilon=1e-5))
            out = bn + ".out"
        return out

    def relu(x):
        count[0] += 1
        out = "relu%d" % count[0]
        nodes.append(helper.make_node("Relu", [x], [out]))
        return out

    x = relu(conv("input", 3, 64, 7, 2, "conv1"))
    nodes.append(helper.make_node("MaxPool", [x], ["pool1"], kernel_shape=[3, 3], strides=[2, 2], pads=[1] * 4))
    x, c_in = "pool1", 64
    for stage, (blocks, width) in enumerate(zip((3, 4, 6, 3), (64, 128, 256, 512)), start=1):
        for b in range(blocks):
            stride = 2 if (b == 0 and stage > 1) else 1
            p = "layer%d.%d" % (stage, b)
            y = relu(conv(x, c_in, width, 1, 1, p + ".conv1"))
            y = relu(conv(y, width, width, 3, stride, p + ".conv2"))
            y = conv(y, width, width * 4, 1, 1, p + ".conv3")
            short = conv(x, c_in, width * 4, 1, stride, p + ".downsample") if b == 0 else x
            nodes.append(helper.make_node("Add", [y, short], [p + ".add"]))
            x, c_in = relu(p + ".add"), width * 4
    nodes.append(helper.make_node("GlobalAveragePool", [x], ["gap"]))
    nodes.append(helper.make_node("Flatten", ["gap"], ["flat"], axis=1))
    nodes.append(helper.make_node("Gemm", ["flat", tensor("fc.weight", (1000, 2048)), tensor("fc.bias", (1000,))],
                                  ["logits"], transB=1))
    graph = helper.make_graph(nodes, "resnet50_shaped", [helper.make_tensor_value_info("input", elem, ["batch", 3, 224, 224])],
                              [helper.make_tensor_value_info("logits", elem, ["batch", 1000])], initializer=inits)
    model = helper.make_model(graph, producer_name="zero-init bench/make_resnet50_onnx.py",
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    return model


def main():
    ap = argparse.ArgumentParser(description="ResNet-50-shaped ONNX model with random weights.")
    ap.add_argument("output")
    ap.add_argument("--dtype", choices=("float32", "float16", "float64"), default="float32")
    ap.add_argument("--batchnorm", action="store_true")
    ap.add_argument("--external", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    model = build(getattr(np, args.dtype), args.batchnorm, args.seed)
    onnx.checker.check_model(model)  # the proto, not the path (onnx 1.12 full_check rewrites paths)
    if args.external:
        location = os.path.basename(args.output) + ".data"
        data = os.path.join(os.path.dirname(os.path.abspath(args.output)), location)
        if os.path.exists(data):
            os.remove(data)  # onnx 1.12 appends to an existing data file
        onnx.save_model(model, args.output, save_as_external_data=True, location=location, size_threshold=1024)
    else:
        onnx.save_model(model, args.output)
    n = sum(int(np.prod(t.dims)) for t in model.graph.initializer)
    print("%s: %d initializers, %d parameters, %s" % (args.output, len(model.graph.initializer), n, args.dtype),
          file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
