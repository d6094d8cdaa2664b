#!/usr/bin/env bash
# Fine-tuning on the CPU: zero-init finetune (ONNX Runtime from Java, the training-step graph) against
# PyTorch, side by side in one run (a measurement, not a test).
#
#   bench/finetune-bench.sh        (from the repository root, after `mvn -q -o package -DskipTests`)
#
# Throughput, samples per second of the training steps of the second epoch (the first warms up; the
# test-set evaluation and the checkpoint are not counted), the same model, batch and optimizer (SGD,
# lr 0.1, momentum 0.9, weight decay 1e-4, cross-entropy) on both sides, for each thread count in
# THREADS, the two frameworks one after the other for every case:
#   mlp      the paper's MLP 784-784-1024-1024-10 (ZerO) on Fashion-MNIST, batch 64 and 256
#   resnet18 the CIFAR ResNet-18 (3x3 stem, no max-pool) with widths x RESNET_WIDTH on random 32x32x3
#            images, batch 128 (full width is about 16x the work of width 0.25: too slow on two cores to
#            measure in a few minutes)
# Accuracy: one epoch of Fashion-MNIST from the same ZerO model (plain SGD, lr 0.1, batch 64, no
# warm-up, the same batch order: zero-init's own, printed by bench/EpochOrder.java), test accuracy on
# the 10,000 test images, both sides.
#
# Threads: zero-init gets --threads N (intra-op threads, spinning off). PyTorch runs, as
# NOTES-onnxruntime.md advises (torch's own threads on top of OpenBLAS's oversubscribe the cores),
# (a) one torch thread with OPENBLAS_NUM_THREADS=N, and for N > 1 also (b) N torch threads with
# OMP_WAIT_POLICY=PASSIVE and one OpenBLAS thread; the better of the two is compared. It must
# load OpenBLAS (Debian: apt-get install libopenblas0-pthread); the reference BLAS is 50x slower, and
# the script prints which library torch loaded. OPENBLAS_CORETYPE is passed through when set (OpenBLAS
# 0.3.21 takes these AMD CPUs for Haswell; SkylakeX kernels were faster, see NOTES-onnxruntime.md).
#
# Environment: JAR the tool (default cli/target/zero-init.jar); JAVA (default java); PYTHON (default
#              /usr/bin/python3, which needs python3-torch and python3-onnx); DATA Fashion-MNIST (default
#              /usr/share/datasets/fashion-mnist); THREADS (default "1 2"); RESNET_WIDTH (default 0.5);
#              MLP_SAMPLES (default 12800 per epoch); RESNET_SAMPLES (default 640 per epoch);
#              RUNS rounds per case, interleaved, medians reported (default 3);
#              WORK scratch folder (default ${TMPDIR:-/tmp}), deleted at the end.
set -u -o pipefail

die() { echo "finetune-bench: $*" >&2; exit 2; }
JAR=${JAR:-cli/target/zero-init.jar}
JAVA=${JAVA:-java}
PYTHON=${PYTHON:-/usr/bin/python3}
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
THREADS=${THREADS:-1 2}
RESNET_WIDTH=${RESNET_WIDTH:-0.5}
MLP_SAMPLES=${MLP_SAMPLES:-12800}
RESNET_SAMPLES=${RESNET_SAMPLES:-640}
RUNS=${RUNS:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
[ -f "$JAR" ] || die "$JAR is missing: build it with mvn -q -o package -DskipTests"
[ -d "$DATA" ] || die "$DATA is missing: apt-get install dataset-fashion-mnist"
"$PYTHON" -c 'import torch, onnx' 2>/dev/null || die "$PYTHON cannot import torch and onnx: apt-get install python3-torch python3-onnx"
WORK=$(mktemp -d "${WORK:-${TMPDIR:-/tmp}}/zero-init-finetune-bench.XXXXXX") || die "cannot make a scratch folder"
trap 'rm -rf "$WORK"' EXIT

zi() { "$JAVA" $JAVA_OPTS -jar "$JAR" "$@"; }
JAVA_OPTS=${JAVA_OPTS:-}
# torch_env N args...: one torch thread over N OpenBLAS threads
torch_env() { OPENBLAS_NUM_THREADS=$1 OMP_NUM_THREADS=$1 OMP_WAIT_POLICY=PASSIVE "$PYTHON" "$HERE/finetune_bench.py" "${@:2}"; }
# torch_omp N args...: N torch threads over one OpenBLAS thread, OpenMP threads not spinning
torch_omp() { OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=$1 OMP_WAIT_POLICY=PASSIVE "$PYTHON" "$HERE/finetune_bench.py" --torch-threads "$1" "${@:2}"; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
# samples/s of the last epoch in a zero-init metrics file
java_rate() { tail -n 1 "$1" | awk -F, '{print $8}'; }

echo "== machine"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "java: $("$JAVA" -version 2>&1 | head -1); zero-init $(zi --version | head -1)"
echo "pytorch: $(torch_env 1 blas)"
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset, OpenBLAS detects the CPU}"

echo "== models"
zi models build mlp -o "$WORK/mlp.onnx" >/dev/null && zi "$WORK/mlp.onnx" -o "$WORK/mlp_zero.onnx" -q || die "building the MLP failed"
zi models build resnet18 --width "$RESNET_WIDTH" -o "$WORK/r18.onnx" >/dev/null \
  && zi "$WORK/r18.onnx" -o "$WORK/r18_zero.onnx" -q || die "building ResNet-18 failed"
"$PYTHON" "$HERE/finetune_bench.py" make-cifar "$WORK/cifar.npz" "$((RESNET_SAMPLES + 128))"
echo "mlp 784-784-1024-1024-10 (ZerO); resnet18 CIFAR variant, width x$RESNET_WIDTH (ZerO); $RESNET_SAMPLES random 32x32x3 images"

measure() { # name threads batch samples java-model java-data torch-args...
  local name=$1 t=$2 b=$3 n=$4 model=$5 data=$6; shift 6
  local csv="$WORK/m.csv" js="" ts="" os="" r x jr tr or best how
  for r in $(seq "$RUNS"); do
    zi finetune "$model" --data "$data" --limit "$n" --epochs 2 --batch "$b" --lr 0.1 --momentum 0.9 \
      --weight-decay 1e-4 --warmup-epochs 0 --schedule constant --threads "$t" --device cpu -o "$WORK/out.onnx" \
      --metrics "$csv" -f -q || die "zero-init finetune failed ($name)"
    js="$js $(java_rate "$csv")"
    x=$(torch_env "$t" throughput --data "$data" --limit "$n" --epochs 2 --batch "$b" "$@" | awk '/^RESULT/{print $2}')
    [ -n "$x" ] || die "pytorch failed ($name)"
    ts="$ts $x"
    if [ "$t" -gt 1 ]; then
      x=$(torch_omp "$t" throughput --data "$data" --limit "$n" --epochs 2 --batch "$b" "$@" | awk '/^RESULT/{print $2}')
      [ -n "$x" ] || die "pytorch failed ($name, torch threads)"
      os="$os $x"
    fi
  done
  jr=$(echo "$js" | median)
  tr=$(echo "$ts" | median)
  best=$tr how="1x$t"
  if [ -n "$os" ]; then
    or=$(echo "$os" | median)
    if [ "$(echo "$or > $tr" | bc -l)" = 1 ]; then best=$or how="${t}x1"; fi
  fi
  printf '%-24s %7s %5s %10.0f %10.0f %10s %10s %7.2f\n' "$name" "$t" "$b" "$jr" "$tr" "${or:--}" "$how" \
    "$(echo "$jr / $best" | bc -l)"
  echo "    rounds: zero-init$js; pytorch 1x$t$ts${os:+; pytorch ${t}x1$os}"
}

echo "== throughput (samples/s of the second epoch's steps; medians of $RUNS interleaved rounds)"
echo "   pytorch 1xN: one torch thread, N OpenBLAS threads; Nx1: N torch threads (OMP passive), one OpenBLAS"
echo "   thread; ratio = zero-init / the better pytorch"
printf '%-24s %7s %5s %10s %10s %10s %10s %7s\n' case threads batch zero-init "torch 1xN" "torch Nx1" better ratio
for t in $THREADS; do
  for b in 64 256; do
    measure "mlp" "$t" "$b" "$MLP_SAMPLES" "$WORK/mlp_zero.onnx" "$DATA" --model mlp --onnx "$WORK/mlp_zero.onnx"
  done
  measure "resnet18 x$RESNET_WIDTH 32x32" "$t" 128 "$RESNET_SAMPLES" "$WORK/r18_zero.onnx" "$WORK/cifar.npz" \
    --model resnet18 --width "$RESNET_WIDTH"
done

echo "== accuracy after one epoch of Fashion-MNIST (ZerO MLP, plain SGD, lr 0.1, batch 64, same batches)"
t=$(echo "$THREADS" | awk '{print $NF}')
"$JAVA" -cp "$JAR" "$HERE/EpochOrder.java" "$DATA" 0 64 0 0 > "$WORK/order.txt" || die "EpochOrder failed"
zi finetune "$WORK/mlp_zero.onnx" --data "$DATA" --epochs 1 --batch 64 --lr 0.1 --momentum 0 --weight-decay 0 \
  --warmup-epochs 0 --schedule constant --seed 0 --threads "$t" --device cpu --eval-batch 1000 \
  -o "$WORK/acc.onnx" --metrics "$WORK/acc.csv" -f -q || die "zero-init finetune failed (accuracy)"
ja=$(tail -n 1 "$WORK/acc.csv" | awk -F, '{print $7}')
jl=$(tail -n 1 "$WORK/acc.csv" | awk -F, '{print $6}')
read -r ta tl < <(torch_env "$t" accuracy --onnx "$WORK/mlp_zero.onnx" --data "$DATA" --order "$WORK/order.txt" \
  --batch 64 --lr 0.1 | awk '/^RESULT/{print $2, $3}')
[ -n "${ta:-}" ] || die "pytorch failed (accuracy)"
printf '%-12s %10s %10s\n' "" accuracy "test loss"
printf '%-12s %9.2f%% %10.4f\n' zero-init "$(echo "100 * $ja" | bc -l)" "$jl"
printf '%-12s %9.2f%% %10.4f\n' pytorch "$(echo "100 * $ta" | bc -l)" "$tl"
printf 'difference   %+9.2f points\n' "$(echo "100 * ($ja - $ta)" | bc -l)"
