#!/usr/bin/env python3
"""Compare the initializers of two ONNX models by name: same dtype, same shape, exactly equal values.

    python3 bench/compare_weights.py A.onnx B.onnx [--max-report N]

Prints "identical weights: N tensors" (exit 0), or one line per difference (first N, default 20) then
"weights differ: K of N tensors" (exit 1). Exit 2 when a file cannot be loaded. External data is
loaded; initializers of subgraphs (If/Loop bodies) are included. Values are compared bit for bit
(a -0.0 against a 0.0 is reported, as "signed zeros only"); bfloat16 is compared through its exact
float32 widening.
"""
import argparse
import sys

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper


def initializers(graph, out):
    for t in graph.initializer:
        out.setdefault(t.name, t)
    for node in graph.node:
        for a in node.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                initializers(a.g, out)
            elif a.type == onnx.AttributeProto.GRAPHS:
                for g in a.graphs:
                    initializers(g, out)
    return out


def describe(v):
    if v.size == 0:
        return "empty"
    if v.dtype.kind not in "fc":
        return "%s values" % v.dtype
    nz = np.count_nonzero(v)
    if nz == 0:
        return "all zero"
    u = np.unique(v) if v.size <= 10_000_000 else None
    if u is not None and len(u) <= 4:
        return "values {%s}, %d non-zero" % (", ".join("%.6g" % x for x in u), nz)
    return "%d non-zero, max |x| %.6g" % (nz, float(np.max(np.abs(v))))


def compare(ta, tb):
    """None when equal, else a short description of the difference."""
    if ta.data_type != tb.data_type:
        return "dtype %s vs %s" % (TensorProto.DataType.Name(ta.data_type), TensorProto.DataType.Name(tb.data_type))
    if list(ta.dims) != list(tb.dims):
        return "shape %s vs %s" % (list(ta.dims), list(tb.dims))
    a, b = numpy_helper.to_array(ta), numpy_helper.to_array(tb)
    if a.dtype == object or b.dtype == object:  # strings
        return None if a.tolist() == b.tolist() else "string values differ"
    ab, bb = np.ascontiguousarray(a).view(np.uint8), np.ascontiguousarray(b).view(np.uint8)
    if np.array_equal(ab, bb):
        return None
    if a.dtype.kind in "fc" and np.array_equal(a, b):
        return "signed zeros only (values equal, bit patterns differ)"
    if a.dtype.kind in "fc":
        neq = np.count_nonzero(a != b)
        diff = float(np.nanmax(np.abs(a.astype(np.float64) - b.astype(np.float64))))
    else:
        neq, diff = np.count_nonzero(a != b), float("nan")
    return "%d of %d elements differ (max |a-b| %.6g); A: %s; B: %s" % (neq, a.size, diff, describe(a), describe(b))


def main(argv=None):
    ap = argparse.ArgumentParser(description="Compare the initializers of two ONNX models.")
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--max-report", type=int, default=20)
    args = ap.parse_args(argv)
    try:
        ia = initializers(onnx.load(args.a).graph, {})
        ib = initializers(onnx.load(args.b).graph, {})
    except Exception as e:  # noqa: BLE001 - one line, not a trace
        print("compare_weights: cannot load: %s" % e)
        return 2
    diffs = []
    for name in ia:
        if name not in ib:
            diffs.append("%s: only in A" % name)
        else:
            d = compare(ia[name], ib[name])
            if d:
                diffs.append("%s: %s" % (name, d))
    diffs += ["%s: only in B" % n for n in ib if n not in ia]
    total = len(set(ia) | set(ib))
    if not diffs:
        print("identical weights: %d tensors" % total)
        return 0
    for d in diffs[:args.max_report]:
        print("  " + d)
    if len(diffs) > args.max_report:
        print("  ... %d more" % (len(diffs) - args.max_report))
    print("weights differ: %d of %d tensors (A=%s, B=%s)" % (len(diffs), total, args.a, args.b))
    return 1


if __name__ == "__main__":
    sys.exit(main())
