#!/usr/bin/env python3
"""Checks bench/zero_init_reference.py against a naive second implementation of the ZerO rules.

    python3 bench/test_zero_init_reference.py [MODELS_DIR]   (default /work/shared/models)

For every .onnx under MODELS_DIR: runs the reference into a temp folder, then checks that the output
passes onnx.checker (on the loaded ModelProto, never on a path: onnx 1.12's full_check rewrites the
file), that every initializer keeps name, dtype and shape, that every Conv / ConvTranspose / Gemm /
MatMul weight equals the one built here with loops and a Kronecker-built Hadamard matrix, that every
bias / BatchNormalization tensor holds its fill value, that untouched tensors are byte-identical, and
that two runs give byte-identical files. Exit status 0 when all pass.
"""
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
REF = os.path.join(HERE, "zero_init_reference.py")


def hadamard(n):
    h = np.array([[1.0]])
    while h.shape[0] < n:
        h = np.block([[h, h], [h, -h]])
    return h


def zero_w(p, q):
    w = np.zeros((p, q))
    if p <= q:
        for i in range(p):
            w[i, i] = 1.0
        return w
    m = 0
    while 2 ** m < p:
        m += 1
    return 2.0 ** (-(m - 1) / 2.0) * hadamard(2 ** m)[:p, :q]


def conv_expected(shape, g, transposed):
    k = np.zeros(shape)
    centre = tuple(d // 2 for d in shape[2:])
    if not transposed:
        p, q = shape[0] // g, shape[1]
        w = zero_w(p, q)
        for gi in range(g):
            for i in range(p):
                for j in range(q):
                    k[(gi * p + i, j) + centre] = w[i, j]
    else:
        q, p = shape[0] // g, shape[1]
        w = zero_w(p, q)
        for gi in range(g):
            for i in range(p):
                for j in range(q):
                    k[(gi * q + j, i) + centre] = w[i, j]
    return k


def attr(node, name, default):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def expectations(model):
    """{initializer name: expected float64 array in the initializer's layout} for the covered cases."""
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    prod = {o: n for n in g.node for o in n.output}

    def back(v):
        perms = []
        while v and v not in inits:
            n = prod.get(v)
            if n is None or n.op_type not in ("Identity", "Cast", "Transpose"):
                return None, None
            if n.op_type == "Transpose":
                perms.append(attr(n, "perm", None))
            v = n.input[0]
        return (v, perms) if v else (None, None)

    exp = {}

    def put(v, fn):
        name, perms = back(v)
        if name is None:
            return
        t = inits[name]
        shape = list(t.dims)
        for p in reversed(perms):
            p = p or list(reversed(range(len(shape))))
            shape = [shape[i] for i in p]
        a = fn(shape)
        for p in perms:  # perms collected consumer-side first: undo them in that order
            p = p or list(reversed(range(a.ndim)))
            a = np.transpose(a, np.argsort(p))
        exp.setdefault(name, []).append(a)

    for n in g.node:
        ins = list(n.input)
        consts = [back(v)[0] is not None for v in ins]
        if n.op_type in ("Conv", "ConvTranspose"):
            put(ins[1], lambda s: conv_expected(s, attr(n, "group", 1), n.op_type == "ConvTranspose"))
            if len(ins) > 2:
                put(ins[2], np.zeros)
        elif n.op_type == "Gemm":
            ta, tb = attr(n, "transA", 0), attr(n, "transB", 0)
            if consts[1] and not consts[0]:
                put(ins[1], lambda s: zero_w(*s) if tb else zero_w(s[1], s[0]).T)
            elif consts[0] and not consts[1]:
                put(ins[0], lambda s: zero_w(s[1], s[0]).T if ta else zero_w(*s))
            if len(ins) > 2:
                put(ins[2], np.zeros)
        elif n.op_type == "MatMul" and consts[0] != consts[1]:
            if consts[1]:
                put(ins[1], lambda s: np.broadcast_to(zero_w(s[-1], s[-2]).T, s))
            else:
                put(ins[0], lambda s: np.broadcast_to(zero_w(s[-2], s[-1]), s))
            for a in g.node:
                if a.op_type == "Add" and n.output[0] in a.input:
                    other = [v for v in a.input if v != n.output[0]]
                    if other:
                        put(other[0], np.zeros)
        elif n.op_type == "BatchNormalization":
            for i, f in ((1, np.ones), (2, np.zeros), (3, np.zeros), (4, np.ones)):
                put(ins[i], f)
    return exp


def to_float(t):
    return numpy_helper.to_array(t).astype(np.float64)  # bfloat16 comes back as float32


def check(path, tmp):
    out1, out2 = os.path.join(tmp, "1", "out.onnx"), os.path.join(tmp, "2", "out.onnx")
    for o in (out1, out2):
        os.mkdir(os.path.dirname(o))
        r = subprocess.run([sys.executable, REF, path, o], capture_output=True, text=True)
        assert r.returncode == 0 and r.stdout == "" and r.stderr.count("\n") == 1, r.stderr
    d1, d2 = os.path.dirname(out1), os.path.dirname(out2)
    assert sorted(os.listdir(d1)) == sorted(os.listdir(d2))
    for f in os.listdir(d1):  # two runs, byte-identical files (external data included)
        with open(os.path.join(d1, f), "rb") as x, open(os.path.join(d2, f), "rb") as y:
            assert x.read() == y.read(), "two runs differ: %s" % f
    src, dst = onnx.load(path), onnx.load(out1)
    onnx.checker.check_model(dst)
    exp = expectations(src)
    before = {t.name: t for t in src.graph.initializer}
    rewritten = 0
    assert [t.name for t in dst.graph.initializer] == list(before)
    for t in dst.graph.initializer:
        b = before[t.name]
        assert t.data_type == b.data_type and list(t.dims) == list(b.dims), t.name
        cands = exp.get(t.name)
        if cands and all(np.array_equal(cands[0], c) for c in cands[1:]):
            if b.data_type == TensorProto.BFLOAT16:  # round-to-nearest-even of the float32 value
                bits = cands[0].astype(np.float32).view(np.uint32)
                bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16 << 16
                want = bits.astype(np.uint32).view(np.float32)
            else:
                want = cands[0].astype(numpy_helper.to_array(b).dtype)  # one rounding to the tensor type
            assert np.array_equal(to_float(t), want.astype(np.float64)), "%s: values differ" % t.name
            rewritten += 1
        else:
            assert np.array_equal(numpy_helper.to_array(t), numpy_helper.to_array(b)), "%s changed" % t.name
    return rewritten, len(before)


def test_bfloat16_rounding():
    sys.path.insert(0, HERE)
    import zero_init_reference as z
    t = TensorProto(name="x", data_type=TensorProto.BFLOAT16, dims=[5], int32_data=[7, 7, 7, 7, 7])
    z.set_values(t, np.array([0.0, 1.0, 2 ** -0.5, -(2 ** -0.5), 2 ** -4.5], np.float32))
    assert not t.int32_data
    bits = np.frombuffer(t.raw_data, "<u2").tolist()
    assert bits == [0x0000, 0x3F80, 0x3F35, 0xBF35, 0x3D35], [hex(b) for b in bits]


def synthetic_model(path, dtype):
    """Cases the shared exports lack: Hadamard blocks in ConvTranspose (grouped), grouped Conv, Gemm
    transB=0, constant Gemm A with transA=1, MatMul with a constant left and a 3-D constant right,
    a Transpose with an explicit perm, BatchNormalization; all in one tensor type."""
    from onnx import helper
    elem = {np.float32: TensorProto.FLOAT, np.float16: TensorProto.FLOAT16, np.float64: TensorProto.DOUBLE}
    rng = np.random.default_rng(3)
    inits = []

    def w(name, shape):
        a = rng.standard_normal(shape).astype(np.float32 if dtype == "bf16" else dtype)
        if dtype == "bf16":
            t = TensorProto(name=name, data_type=TensorProto.BFLOAT16, dims=shape)
            t.raw_data = (a.view(np.uint32) >> 16).astype("<u2").tobytes()
        else:
            t = numpy_helper.from_array(a, name)
        inits.append(t)
        return name

    n = helper.make_node
    nodes = [
        n("ConvTranspose", ["x", w("ct.w", [6, 10, 3, 3]), w("ct.b", [20])], ["y1"], group=2),  # Q=3 P=10
        n("Conv", ["y1", w("c.w", [24, 5, 3, 2]), w("c.b", [24])], ["y2"], group=4),          # P=6 Q=5, even k
        n("Flatten", ["y2"], ["f"]),
        n("Gemm", ["f", w("g0.w", [7, 12]), w("g0.b", [12])], ["y3"], transB=0),              # P=12 Q=7
        n("Gemm", [w("ga.w", [5, 9]), "y3"], ["y4"], transA=1, transB=1),                    # A'=[9,5]: P=9 Q=5
        n("MatMul", [w("ml.w", [11, 9]), "y4"], ["y5"]),                                       # P=11 Q=9
        n("Transpose", [w("tp.w", [13, 6, 2]), ], ["tp.out"], perm=[2, 1, 0]),                 # seen [2, 6, 13]
        n("MatMul", ["y6in", "tp.out"], ["y6"]),                                               # P=13 Q=6
        n("Add", ["y6", w("tp.b", [13])], ["y7"]),
        n("BatchNormalization", ["z", w("bn.s", [4]), w("bn.b", [4]), w("bn.m", [4]), w("bn.v", [4])], ["zz"]),
    ]
    et = elem.get(dtype, TensorProto.BFLOAT16)
    vi = helper.make_tensor_value_info
    g = helper.make_graph(nodes, "synthetic", [vi("x", et, [1, 6, 4, 4]), vi("y6in", et, [2, 3, 6]), vi("z", et, [1, 4, 2, 2])],
                          [vi("y5", et, ["a", "b"]), vi("y7", et, [2, 3, 13]), vi("zz", et, [1, 4, 2, 2])], initializer=inits)
    onnx.save_model(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), path)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/models"
    test_bfloat16_rounding()
    models = sorted(glob.glob(os.path.join(root, "**", "*.onnx"), recursive=True))
    assert models, "no models under " + root
    synth = tempfile.mkdtemp()
    for dt, label in ((np.float32, "float32"), (np.float16, "float16"), (np.float64, "float64"), ("bf16", "bfloat16")):
        models.append(os.path.join(synth, "synthetic_%s.onnx" % label))
        synthetic_model(models[-1], dt)
    bad = 0
    for m in models:
        with tempfile.TemporaryDirectory() as tmp:
            try:
                k, n = check(m, tmp)
                print("ok   %-55s %3d of %3d initializers rewritten" % (os.path.relpath(m, root).replace("../", ""), k, n))
            except AssertionError as e:
                bad += 1
                print("FAIL %-55s %s" % (os.path.relpath(m, root), e))
    print("%d models, %d failed" % (len(models), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
