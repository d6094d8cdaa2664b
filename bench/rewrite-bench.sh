#!/usr/bin/env bash
# Rewrite benchmark: the zero-init CLI against the Python reference (onnx + numpy) and a plain copy.
#
#   bench/rewrite-bench.sh MODEL.onnx            (run from the repository root)
#
# In one run, interleaved round by round, each RUNS times (default 3):
#   copy    cp MODEL (and its external data files) to a temp folder: the I/O floor
#   python  python3 bench/zero_init_reference.py MODEL OUT      (skipped if onnx/numpy are missing)
#   tool    ./zero-init MODEL -o OUT --force $TOOL_ARGS         (whole process, JVM start included)
# Wall time and peak RSS come from /usr/bin/time -f '%e %M' (GNU time: 10 ms resolution, RSS in KiB).
# Prints a Markdown table (median and min seconds, peak RSS = max over the runs, ratio of medians to
# Python), the model size and the machine, then checks with bench/compare_weights.py that the Python
# output and the tool's output hold the same initializer values.
#
# Environment: ZERO_INIT  command for the tool (default ./zero-init), split on blanks,
#                         e.g. ZERO_INIT="java -jar cli/target/zero-init.jar"
#              TOOL_ARGS extra options for the tool (default "--residual plain": the Python reference
#                         applies the plain rules, so the weights can be compared one to one)
#              PYTHON     interpreter with onnx + numpy (default python3, then /usr/bin/python3)
#              RUNS       repetitions (default 3)
#              WARMUP     untimed rounds first (default 1: loads the interpreter, JVM and model into
#                         the page cache, so the first timed round is not a cold start)
#              KEEP=1     keep the temp folder with the outputs and logs
# Exit status: 0 ran (weight differences are reported, not fatal), 1 a command failed, 2 usage/setup.
set -u -o pipefail

die() { echo "rewrite-bench: $*" >&2; exit 2; }

[ $# -eq 1 ] || die "usage: bench/rewrite-bench.sh MODEL.onnx"
MODEL=$1
[ -f "$MODEL" ] || die "$MODEL: no such file"
RUNS=${RUNS:-3}
case $RUNS in ''|*[!0-9]*|0) die "RUNS must be a positive integer, not '$RUNS'";; esac
WARMUP=${WARMUP:-1}
case $WARMUP in ''|*[!0-9]*) die "WARMUP must be a number, not '$WARMUP'";; esac
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
read -r -a TOOL <<< "${ZERO_INIT:-./zero-init}"
read -r -a TOOL_EXTRA <<< "${TOOL_ARGS---residual plain}"
[ ${#TOOL[@]} -gt 0 ] || die "ZERO_INIT is empty"

TIME=/usr/bin/time
if [ ! -x "$TIME" ] || ! "$TIME" -f '%e %M' -o /dev/null true 2>/dev/null; then
    die "$TIME (GNU time) is missing: install the Debian package 'time' (apt-get install time)"
fi

# Python with onnx + numpy
PY=""
for cand in ${PYTHON:-python3 /usr/bin/python3}; do
    if "$cand" -c 'import onnx, numpy' 2>/dev/null; then PY=$cand; break; fi
done
if [ -z "$PY" ]; then
    echo "rewrite-bench: skipping the Python reference: '${PYTHON:-python3}' cannot import onnx and numpy" \
         "(Debian: apt-get install python3-onnx python3-numpy)" >&2
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/zero-init-bench.XXXXXX") || die "cannot make a temp folder"
if [ "${KEEP:-0}" = 1 ]; then echo "rewrite-bench: outputs kept in $TMP" >&2
else trap 'rm -rf "$TMP"' EXIT; fi

# Files that make up the model: the .onnx and the external data files it names (if Python can say)
MODEL_FILES=("$MODEL")
if [ -n "$PY" ]; then
    while IFS= read -r f; do [ -n "$f" ] && MODEL_FILES+=("$(dirname "$MODEL")/$f"); done < <(
        "$PY" - "$MODEL" <<'EOF' 2>/dev/null
import sys, onnx
from onnx.external_data_helper import _get_all_tensors, uses_external_data, ExternalDataInfo
m = onnx.load(sys.argv[1], load_external_data=False)
seen = []
for t in _get_all_tensors(m):
    if uses_external_data(t):
        loc = ExternalDataInfo(t).location
        if loc not in seen:
            seen.append(loc)
print("\n".join(seen))
EOF
    )
fi
SIZE_BYTES=$(cat "${MODEL_FILES[@]}" | wc -c)
mkdir -p "$TMP/copy" "$TMP/python" "$TMP/tool"
MODEL_NAME=$(basename "$MODEL")

NAMES=(copy)
[ -n "$PY" ] && NAMES+=(python)
NAMES+=(tool)
declare -A TIMES RSS FAILED
if ! command -v "${TOOL[0]}" > /dev/null 2>&1; then
    echo "rewrite-bench: tool command '${TOOL[0]}' not found (build the launcher, or set ZERO_INIT)" >&2
    FAILED[tool]=1
fi

run_one() {  # name round
    local name=$1 r=$2 out
    case $name in
        copy)   rm -rf "$TMP/copy"; mkdir -p "$TMP/copy"
                set -- cp "${MODEL_FILES[@]}" "$TMP/copy/" ;;
        python) rm -rf "$TMP/python"; mkdir -p "$TMP/python"
                set -- "$PY" "$BENCH_DIR/zero_init_reference.py" "$MODEL" "$TMP/python/$MODEL_NAME" ;;
        tool)   rm -rf "$TMP/tool"; mkdir -p "$TMP/tool"
                set -- "${TOOL[@]}" "$MODEL" -o "$TMP/tool/$MODEL_NAME" --force "${TOOL_EXTRA[@]}" ;;
    esac
    sync  # no dirty pages of the previous command left to write back during this one
    if ! "$TIME" -f '%e %M' -o "$TMP/$name.$r.time" "$@" > "$TMP/$name.$r.out" 2> "$TMP/$name.$r.err"; then
        FAILED[$name]=1
        echo "rewrite-bench: $name failed (round $r): $*" >&2
        tail -n 5 "$TMP/$name.$r.err" | sed 's/^/    /' >&2
        return
    fi
    # GNU time writes its line last (after "Command exited ..." lines, if any)
    [ "$r" -gt 0 ] || return 0  # warm-up round: not counted
    read -r out < <(tail -n 1 "$TMP/$name.$r.time")
    TIMES[$name]+="${out% *} "
    RSS[$name]+="${out#* } "
}

cat "${MODEL_FILES[@]}" > /dev/null  # warm the page cache: every round reads a cached model
for ((r = 1 - WARMUP; r <= RUNS; r++)); do
    for name in "${NAMES[@]}"; do
        [ -n "${FAILED[$name]:-}" ] || run_one "$name" "$r"
    done
done

median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{v[NR]=$1} END {if (NR % 2) print v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2}'; }
minimum() { tr ' ' '\n' | sed '/^$/d' | sort -g | head -n 1; }
maximum() { tr ' ' '\n' | sed '/^$/d' | sort -g | tail -n 1; }

CPU=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: *//')
MEM=$(awk '/MemTotal/ {printf "%.1f GB", $2 * 1024 / 1e9}' /proc/meminfo 2>/dev/null)
JAVA=$(java -version 2>&1 | head -n 1)
[ -n "$PY" ] && PYV=$("$PY" -c 'import sys, onnx, numpy; print("Python %s, onnx %s, numpy %s" % (sys.version.split()[0], onnx.__version__, numpy.__version__))')

echo
echo "### Rewrite benchmark: $MODEL_NAME"
echo
printf -- '- model: %s, %.2f MB' "$MODEL" "$(awk -v b="$SIZE_BYTES" 'BEGIN {print b / 1e6}')"
[ ${#MODEL_FILES[@]} -gt 1 ] && printf ' (with %d external data file(s))' $(( ${#MODEL_FILES[@]} - 1 ))
echo
echo "- machine: $(nproc) CPUs, ${CPU:-unknown CPU}, ${MEM:-? GB} RAM; $(uname -sr)"
echo "- ${JAVA:-java: not on PATH}${PYV:+; $PYV}"
echo "- tool command: ${TOOL[*]} MODEL -o OUT --force ${TOOL_EXTRA[*]}; $RUNS timed runs each after $WARMUP warm-up round(s), interleaved, page cache warm, sync before each run"
echo
echo "| tool | median s | min s | peak RSS MB | ratio to Python |"
echo "|---|---:|---:|---:|---:|"
PY_MED=""
[ -n "$PY" ] && [ -z "${FAILED[python]:-}" ] && PY_MED=$(echo "${TIMES[python]}" | median)
STATUS=0
for name in copy python tool; do
    case $name in
        copy) label="cp (floor)" ;; python) label="Python onnx+numpy" ;; tool) label="zero-init" ;;
    esac
    if [ "$name" = python ] && [ -z "$PY" ]; then
        echo "| $label | skipped | | | |"; continue
    fi
    if [ -n "${FAILED[$name]:-}" ]; then
        echo "| $label | failed | | | |"; STATUS=1; continue
    fi
    med=$(echo "${TIMES[$name]}" | median)
    mn=$(echo "${TIMES[$name]}" | minimum)
    rss=$(echo "${RSS[$name]}" | maximum)
    ratio="n/a"
    if [ -n "$PY_MED" ]; then
        ratio=$(awk -v a="$med" -v b="$PY_MED" 'BEGIN {if (b > 0) printf "%.2fx", a / b; else print "n/a"}')
    fi
    printf '| %s | %.2f | %.2f | %.1f | %s |\n' "$label" "$med" "$mn" "$(awk -v k="$rss" 'BEGIN {print k * 1024 / 1e6}')" "$ratio"
done
echo
echo "Times are wall seconds (GNU time %e, 10 ms resolution); peak RSS is the largest of the runs (MB = 10^6 bytes)."
[ -n "$PY" ] && [ -z "${FAILED[python]:-}" ] && echo "Python's own line (last run): $(tail -n 1 "$TMP/python.$RUNS.err")"

echo
if [ -z "$PY" ]; then
    echo "weights: not compared (no Python with onnx + numpy)"
elif [ -n "${FAILED[python]:-}" ] || [ -n "${FAILED[tool]:-}" ]; then
    echo "weights: not compared (a rewrite failed)"
else
    echo "weights (A = Python reference, B = zero-init):"
    if ! "$PY" "$BENCH_DIR/compare_weights.py" "$TMP/python/$MODEL_NAME" "$TMP/tool/$MODEL_NAME" > "$TMP/compare.txt"; then
        [ "${KEEP:-0}" = 1 ] || echo "(rerun with KEEP=1 to keep both outputs)" >> "$TMP/compare.txt"
    fi
    sed 's/^/    /' "$TMP/compare.txt"
fi
exit $STATUS
