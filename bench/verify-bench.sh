#!/usr/bin/env bash
# Signal-check overhead: `zero-init verify` (whole process) against a bare ONNX Runtime inference of
# the same model and batch (whole process, bench/BareInference.java), side by side in one run.
#
#   bench/verify-bench.sh MODEL.onnx            (run from the repository root, after mvn package)
#
# Interleaved round by round, each RUNS times (default 3) after WARMUP untimed rounds (default 1):
#   bare    java BareInference MODEL BATCH THREADS        (JVM + ORT + session + one run)
#   verify  java -jar cli/target/zero-init.jar verify MODEL --device cpu --batch BATCH --threads THREADS
# Wall time, CPU time (user + sys: less sensitive than wall time to other load on a shared machine)
# and peak RSS from GNU time. Prints a Markdown table (medians, min wall, peak RSS, ratios to bare)
# and the in-process timing lines of the last round.
#
# Environment: BATCH (default 8), THREADS (default 2), RUNS (default 3), WARMUP (default 1),
#              JAR (default cli/target/zero-init.jar), KEEP=1 keeps the temp folder.
set -u -o pipefail

die() { echo "verify-bench: $*" >&2; exit 2; }
[ $# -eq 1 ] || die "usage: bench/verify-bench.sh MODEL.onnx"
MODEL=$1
[ -f "$MODEL" ] || die "$MODEL: no such file"
BATCH=${BATCH:-8}; THREADS=${THREADS:-2}; RUNS=${RUNS:-3}; WARMUP=${WARMUP:-1}
JAR=${JAR:-cli/target/zero-init.jar}
[ -f "$JAR" ] || die "$JAR missing: run mvn -DskipTests package first"
ORT_JAR=$(ls "$(dirname "$JAR")"/lib/onnxruntime_gpu-*.jar 2>/dev/null | head -n 1)
[ -n "$ORT_JAR" ] || die "no lib/onnxruntime_gpu-*.jar beside $JAR"
TIME=/usr/bin/time
"$TIME" -f '%e %M %U %S' -o /dev/null true 2>/dev/null || die "$TIME (GNU time) is missing: apt-get install time"
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

TMP=$(mktemp -d "${TMPDIR:-/tmp}/verify-bench.XXXXXX") || die "cannot make a temp folder"
if [ "${KEEP:-0}" = 1 ]; then echo "verify-bench: files kept in $TMP" >&2; else trap 'rm -rf "$TMP"' EXIT; fi
javac -cp "$ORT_JAR" -d "$TMP/classes" "$BENCH_DIR/BareInference.java" || die "cannot compile BareInference"

declare -A TIMES RSS CPUS FAILED
run_one() {  # name round
    local name=$1 r=$2 out
    case $name in
        bare)   set -- java -cp "$TMP/classes:$ORT_JAR" BareInference "$MODEL" "$BATCH" "$THREADS" ;;
        verify) set -- java -jar "$JAR" verify "$MODEL" --device cpu --batch "$BATCH" --threads "$THREADS" ;;
    esac
    # verify exits 5 when a check fails; that still measures the cost
    "$TIME" -f '%e %M %U %S' -o "$TMP/$name.$r.time" "$@" > "$TMP/$name.$r.out" 2> "$TMP/$name.$r.err"
    local rc=$?
    if [ $rc -ne 0 ] && ! { [ "$name" = verify ] && [ $rc -eq 5 ]; }; then
        FAILED[$name]=1; echo "verify-bench: $name failed (exit $rc): $*" >&2
        tail -n 5 "$TMP/$name.$r.err" | sed 's/^/    /' >&2; return
    fi
    [ "$r" -gt 0 ] || return 0
    local wall rss usr sys
    read -r wall rss usr sys < <(tail -n 1 "$TMP/$name.$r.time")
    TIMES[$name]+="$wall "; RSS[$name]+="$rss "; CPUS[$name]+="$(awk -v u="$usr" -v s="$sys" 'BEGIN {print u + s}') "
}
cat "$MODEL" > /dev/null
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for ((r = 1 - WARMUP; r <= RUNS; r++)); do
    for name in bare verify; do [ -n "${FAILED[$name]:-}" ] || run_one "$name" "$r"; done
done

median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{v[NR]=$1} END {if (NR % 2) print v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2}'; }
minimum() { tr ' ' '\n' | sed '/^$/d' | sort -g | head -n 1; }
maximum() { tr ' ' '\n' | sed '/^$/d' | sort -g | tail -n 1; }

echo
echo "### Signal-check overhead: $(basename "$MODEL")"
echo
echo "- model: $MODEL, $(awk -v b="$(wc -c < "$MODEL")" 'BEGIN {printf "%.1f MB", b / 1e6}'); batch $BATCH, $THREADS ORT threads, CPU provider"
echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: *//'); $(java -version 2>&1 | head -n 1)"
echo "- $RUNS timed runs each after $WARMUP warm-up round(s), interleaved; whole processes, JVM start included"
echo
echo "- load average before: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| command | median wall s | min wall s | median CPU s | peak RSS MB | wall ratio to bare | CPU ratio to bare |"
echo "|---|---:|---:|---:|---:|---:|---:|"
BARE_MED=""; BARE_CPU=""
[ -z "${FAILED[bare]:-}" ] && BARE_MED=$(echo "${TIMES[bare]}" | median) && BARE_CPU=$(echo "${CPUS[bare]}" | median)
for name in bare verify; do
    label=$([ $name = bare ] && echo "bare ORT inference" || echo "zero-init verify")
    if [ -n "${FAILED[$name]:-}" ]; then echo "| $label | failed | | | | | |"; continue; fi
    med=$(echo "${TIMES[$name]}" | median); mn=$(echo "${TIMES[$name]}" | minimum); rss=$(echo "${RSS[$name]}" | maximum)
    cpu=$(echo "${CPUS[$name]}" | median)
    ratio=$(awk -v a="$med" -v b="$BARE_MED" 'BEGIN {if (b > 0) printf "%.2fx", a / b; else print "n/a"}')
    cratio=$(awk -v a="$cpu" -v b="$BARE_CPU" 'BEGIN {if (b > 0) printf "%.2fx", a / b; else print "n/a"}')
    printf '| %s | %.2f | %.2f | %.2f | %.1f | %s | %s |\n' "$label" "$med" "$mn" "$cpu" \
        "$(awk -v k="$rss" 'BEGIN {print k * 1024 / 1e6}')" "$ratio" "$cratio"
done
echo
[ -z "${FAILED[bare]:-}" ] && echo "last round, in process: $(tail -n 1 "$TMP/bare.$RUNS.out")"
if [ -z "${FAILED[verify]:-}" ]; then
    echo "last round, in process: verify: $(grep '^time: ' "$TMP/verify.$RUNS.out" | sed 's/^time: //'); $(tail -n 1 "$TMP/verify.$RUNS.out")"
fi
