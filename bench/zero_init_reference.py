#!/usr/bin/env python3
"""Python reference for the zero-init rewrite benchmark.

What a user would otherwise write: load an ONNX model with onnx.load (external data included),
replace the weights by the deterministic ZerO initialization with numpy (DESIGN.md section 2), save
with onnx.save. Used by bench/rewrite-bench.sh as the baseline the Java tool is compared against.

    python3 bench/zero_init_reference.py IN.onnx OUT.onnx [--hadamard-scale paper|orthonormal]

Prints one summary line to stderr and nothing else.

Rules (P x Q matrix W maps a Q-dim input to a P-dim output):
  P = Q identity; P < Q partial identity W[i][i] = 1; P > Q c * H(2^m)[:P, :Q], m = ceil(log2 P),
  c = 2^(-(m-1)/2) (paper, default) or 2^(-m/2) (orthonormal), H[i][j] = (-1)^popcount(i & j).
Where each weight sits:
  Conv W [c_out, c_in/g, k...]       zeros, centre floor(k_d/2) holds W per group (P=c_out/g, Q=c_in/g)
  ConvTranspose W [c_in, c_out/g, k...] same, stored matrix per group is W^T (P=c_out/g, Q=c_in/g)
  Gemm B: transB=1 -> B = W [N, K]; transB=0 -> B = W^T. Constant A (activation is B): mirror
  MatMul X.B, B constant [..., K, N]: every trailing slice is W^T; B.X constant on the left: W itself
  Conv/ConvTranspose bias, Gemm C, the constant of an Add right after such a MatMul -> 0;
  BatchNormalization scale 1, B 0, mean 0, var 1;
  LayerNormalization scale 1, bias 0.
An initializer reached through Identity / Cast / Transpose nodes is followed back (Transpose: the
inverse permutation is applied). A tensor read by several consumers is rewritten only when they all
ask for the same values. Every tensor keeps its data type (float32, float16, float64, bfloat16).

Not covered (the Java tool may do more, so compare_weights.py can report differences there):
the residual-branch zeroing of DESIGN.md section 2, Reshape chains, initializers of subgraphs
(If/Loop bodies), sparse initializers. Gather embeddings, LSTM/GRU/RNN and integer tensors are left alone.
"""
import argparse
import functools
import os
import sys
import time

import numpy as np
import onnx
from onnx import TensorProto
from onnx.external_data_helper import uses_external_data, load_external_data_for_model

FLOAT_TYPES = {
    TensorProto.FLOAT: np.float32,
    TensorProto.DOUBLE: np.float64,
    TensorProto.FLOAT16: np.float16,
    TensorProto.BFLOAT16: None,  # no numpy dtype: built as float32, stored as bfloat16 bits
}
PASS_THROUGH = ("Identity", "Cast", "Transpose")


# ----------------------------------------------------------------------------- matrices
# The stored block is either W (P x Q) or W^T (Q x P). Both rules survive the transpose: a partial
# identity is ones on the main diagonal either way, and H is symmetric, so W^T = c * H[:Q, :P].
# So a block of shape (r, c) only needs to know whether P <= Q and, if not, m.

def hadamard_scale(p, scale):
    m = int(np.ceil(np.log2(p)))
    return 2.0 ** (-(m - 1) / 2.0) if scale == "paper" else 2.0 ** (-m / 2.0)


def _hadamard_block(r, c, value, dtype):
    """value * H[:r, :c], H[i][j] = (-1)^popcount(i & j), parity by xor-folding the bits of i & j."""
    x = np.bitwise_and(np.arange(r, dtype=np.uint32)[:, None], np.arange(c, dtype=np.uint32)[None, :])
    tmp = np.empty_like(x)
    for s in (16, 8, 4, 2, 1):
        np.right_shift(x, s, out=tmp)
        np.bitwise_xor(x, tmp, out=x)
    out = np.full((r, c), value, dtype=dtype)  # one rounding of c to dtype; -c rounds symmetrically
    out[(x & 1).astype(bool)] = -value
    return out


_hadamard_cached = functools.lru_cache(maxsize=256)(_hadamard_block)


def hadamard_block(r, c, value, dtype):
    if r * c <= 1 << 20:  # layers repeat shapes: keep the small blocks
        b = _hadamard_cached(r, c, value, np.dtype(dtype))
        b.setflags(write=False)
        return b
    return _hadamard_block(r, c, value, dtype)


def fill_blocks(view, group, p, q, scale):
    """view: zeroed [group * r, c] array (possibly strided); each r x c group block gets W or W^T."""
    rows, cols = view.shape
    r = rows // group
    if p <= q:  # (partial) identity: ones on the diagonal of every block
        n = min(r, cols)
        i = (np.arange(group)[:, None] * r + np.arange(n)[None, :]).ravel()
        view[i, np.tile(np.arange(n), group)] = 1
    else:
        block = hadamard_block(r, cols, hadamard_scale(p, scale), view.dtype)
        view[...] = block if group == 1 else np.tile(block, (group, 1))


def conv_kernel(shape, group, scale, transposed, dtype):
    """Conv kernel [c_out, c_in/g, k...] (P = c_out/g, Q = c_in/g: blocks are W) or ConvTranspose
    [c_in, c_out/g, k...] (P = c_out/g, Q = c_in/g: blocks are W^T); all zero but the centre."""
    k = np.zeros(shape, dtype=dtype)
    centre = tuple(d // 2 for d in shape[2:])
    per_group_rows = shape[0] // group
    p, q = (shape[1], per_group_rows) if transposed else (per_group_rows, shape[1])
    fill_blocks(k[(slice(None), slice(None)) + centre], group, p, q, scale)
    return k


def matrix_weight(shape, orient, scale, dtype):
    """Stored 2-D (or batched [..., r, c]) weight. orient 'W': slices are W; 'WT': slices are W^T."""
    r, c = shape[-2], shape[-1]
    p, q = (r, c) if orient == "W" else (c, r)
    out = np.zeros(shape, dtype=dtype)
    if p <= q:
        n = min(r, c)
        out[..., np.arange(n), np.arange(n)] = 1
    else:
        out[...] = hadamard_block(r, c, hadamard_scale(p, scale), dtype)  # broadcast over leading dims
    return out


# ----------------------------------------------------------------------------- tensors

DATA_FIELDS = ("float_data", "int32_data", "string_data", "int64_data", "double_data", "uint64_data",
               "raw_data", "external_data")


def set_values(t, values):
    """Replace t's data by values (numpy, in t's type; float32 for bfloat16), stored as raw_data."""
    if t.data_type == TensorProto.BFLOAT16:
        # round-to-nearest-even from float32 bits (values are 0, 1, +-c: never NaN)
        bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
        values = ((bits + np.uint32(0x7FFF) + ((bits >> np.uint32(16)) & np.uint32(1))) >> np.uint32(16)).astype(np.uint16)
    for f in DATA_FIELDS:
        t.ClearField(f)
    t.data_location = TensorProto.DEFAULT
    t.raw_data = np.ascontiguousarray(values, dtype=values.dtype.newbyteorder("<")).tobytes()


def build(spec, scale, dtype):
    kind, shape = spec[0], spec[1]
    if kind == "fill":
        return np.full(shape, spec[2], dtype=dtype)
    if kind == "conv":
        return conv_kernel(shape, spec[2], scale, False, dtype)
    if kind == "convT":
        return conv_kernel(shape, spec[2], scale, True, dtype)
    if kind == "mat":
        return matrix_weight(shape, spec[2], scale, dtype)
    raise AssertionError(kind)


# ----------------------------------------------------------------------------- planning

def attr(node, name, default):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def conv_spec(kind, shape, group):
    if len(shape) < 3:
        return None
    if group < 1 or shape[0] % group:
        raise ValueError("%s weight %s: first dim not divisible by group %d" % (kind, list(shape), group))
    return kind, shape, group


class Planner:
    def __init__(self, graph):
        self.inits = {t.name: t for t in graph.initializer}
        self.producer, self.consumers = {}, {}
        for node in graph.node:
            for out in node.output:
                self.producer[out] = node
            for inp in node.input:
                self.consumers.setdefault(inp, []).append(node)
        self.wanted = {}    # initializer name -> set of specs (in the initializer's own layout)
        self.skipped = {}   # initializer name -> reason

    def resolve(self, value):
        """Follow Identity/Cast/Transpose back to an initializer: (name, perms applied in order) or None."""
        perms = []
        while value not in self.inits:
            node = self.producer.get(value)
            if node is None or node.op_type not in PASS_THROUGH or not node.input:
                return None
            if node.op_type == "Transpose":
                perms.append(attr(node, "perm", None))
            value = node.input[0]
        return value, perms[::-1]  # perms in the order they are applied to the initializer

    def want(self, value, spec_for_shape):
        """spec_for_shape(shape seen by the consumer) -> spec; recorded in the initializer's layout."""
        if not value:
            return
        found = self.resolve(value)
        if found is None:
            return
        name, perms = found
        t = self.inits[name]
        if t.data_type not in FLOAT_TYPES:
            self.skipped[name] = "data type %s" % TensorProto.DataType.Name(t.data_type)
            return
        shape = tuple(t.dims)
        for perm in perms:  # shape as the consumer sees it
            perm = perm if perm is not None else tuple(reversed(range(len(shape))))
            shape = tuple(shape[i] for i in perm)
        try:
            spec = spec_for_shape(shape)
        except ValueError as e:
            self.skipped[name] = str(e)
            return
        if spec is None:
            return
        self.wanted.setdefault(name, set()).add((spec, tuple(tuple(p) if p is not None else None for p in perms)))

    def plan(self, graph):
        for node in graph.node:
            op, ins = node.op_type, list(node.input)
            if op in ("Conv", "ConvTranspose") and len(ins) > 1:
                g = attr(node, "group", 1)
                kind = "conv" if op == "Conv" else "convT"
                self.want(ins[1], lambda s, g=g, kind=kind: conv_spec(kind, s, g))
                if len(ins) > 2:
                    self.want(ins[2], lambda s: ("fill", s, 0.0))
            elif op == "Gemm" and len(ins) >= 2:
                ta, tb = attr(node, "transA", 0), attr(node, "transB", 0)
                a_const, b_const = self.resolve(ins[0]) is not None, self.resolve(ins[1]) is not None
                if b_const and not a_const:
                    # Y = A' . B', W = B'^T: transB=1 -> B is W; transB=0 -> B is W^T
                    self.want(ins[1], lambda s, tb=tb: ("mat", s, "W" if tb else "WT") if len(s) == 2 else None)
                elif a_const and not b_const:
                    # Y = A' . B', W = A': transA=0 -> A is W; transA=1 -> A is W^T
                    self.want(ins[0], lambda s, ta=ta: ("mat", s, "WT" if ta else "W") if len(s) == 2 else None)
                if len(ins) > 2:
                    self.want(ins[2], lambda s: ("fill", s, 0.0))
            elif op == "MatMul" and len(ins) == 2:
                a_const, b_const = self.resolve(ins[0]) is not None, self.resolve(ins[1]) is not None
                if b_const and not a_const:
                    self.want(ins[1], lambda s: ("mat", s, "WT") if len(s) >= 2 else None)
                elif a_const and not b_const:
                    self.want(ins[0], lambda s: ("mat", s, "W") if len(s) >= 2 else None)
                if a_const != b_const:  # Linear on >2-D input: MatMul + Add(bias)
                    for add in self.consumers.get(node.output[0], ()):
                        if add.op_type == "Add" and len(add.input) == 2:
                            other = add.input[1] if add.input[0] == node.output[0] else add.input[0]
                            if self.resolve(other) is not None:
                                self.want(other, lambda s: ("fill", s, 0.0))
            elif op == "BatchNormalization":
                for i, v in ((1, 1.0), (2, 0.0), (3, 0.0), (4, 1.0)):
                    if len(ins) > i:
                        self.want(ins[i], lambda s, v=v: ("fill", s, v))
            elif op == "LayerNormalization":
                for i, v in ((1, 1.0), (2, 0.0)):
                    if len(ins) > i:
                        self.want(ins[i], lambda s, v=v: ("fill", s, v))


def rewrite(model, scale):
    graph = model.graph
    planner = Planner(graph)
    planner.plan(graph)
    done = 0
    for t in graph.initializer:
        specs = planner.wanted.get(t.name)
        if not specs or t.name in planner.skipped:
            continue
        if len(specs) > 1:
            planner.skipped[t.name] = "consumers disagree"
            continue
        (spec, perms), = specs
        values = build(spec, scale, FLOAT_TYPES[t.data_type] or np.float32)
        for perm in reversed(perms):  # undo the Transpose chain: back to the initializer's layout
            p = perm if perm is not None else tuple(reversed(range(values.ndim)))
            values = np.transpose(values, np.argsort(p))
        set_values(t, values)
        done += 1
    return done, len(planner.skipped)


# ----------------------------------------------------------------------------- main

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--hadamard-scale", choices=("paper", "orthonormal"), default="paper")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    model = onnx.load(args.input, load_external_data=False)
    external = any(uses_external_data(t) for t in model.graph.initializer)
    # what onnx.load(path) does, with the check above in between (it also covers Constant tensors)
    load_external_data_for_model(model, os.path.dirname(os.path.abspath(args.input)))
    t1 = time.perf_counter()
    done, skipped = rewrite(model, args.hadamard_scale)
    t2 = time.perf_counter()
    # protobuf cannot serialise 2 GiB or more: such models (and models that came with external
    # data) are written with their tensors in OUT.data next to OUT
    if external or model.ByteSize() >= 2 ** 31 - 2 ** 20:
        location = os.path.basename(args.output) + ".data"
        data_path = os.path.join(os.path.dirname(os.path.abspath(args.output)), location)
        if os.path.exists(data_path):
            os.remove(data_path)  # onnx 1.12 appends to an existing data file
        onnx.save_model(model, args.output, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=location, size_threshold=1024)
    else:
        onnx.save_model(model, args.output)
    t3 = time.perf_counter()
    print("zero_init_reference: %d tensors rewritten, %d skipped, %.3f s (load %.3f, rewrite %.3f, save %.3f), "
          "hadamard scale %s%s" % (done, skipped, t3 - t0, t1 - t0, t2 - t1, t3 - t2, args.hadamard_scale,
                                   ", external data" if external else ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
