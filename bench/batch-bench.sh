#!/usr/bin/env bash
# Batch and any-size benchmarks (a measurement, not a test).
#
#   bench/batch-bench.sh [large|zoo|all]      (default all; run from the repository root after
#                                               `mvn -q -o install -DskipTests`, which builds the jar)
#
# large  A synthetic external-data model of LAYERS MatMul layers of WIDTH x WIDTH float32 (default
#        32 x 8192^2 = 8 GB), built by streaming its data file (dev.zeroinit.models.LargeMatMulModel),
#        then, in one run, one after the other:
#          cp         cp m.onnx m.onnx.data OUT/                      (the floor)
#          main       zero-init m.onnx -o OUT/m.onnx --no-sync        (the main job)
#          batch      zero-init batch DIR -o OUT --no-sync            (adds the input's SHA-256)
#        and the same three forced to disk: cp followed by `sync FILES` (fsync of the two files), and
#        the tool's default durable write (fsync before the rename). Each is reported with its wall time,
#        its ratio to cp of the same kind, and peak RSS. Needs twice the model plus 2 GB free in WORK;
#        with less, LAYERS is scaled down and the output says so.
# zoo    50 mixed models built with the project's builders (bench/MakeZoo.java: sample ResNets, MLPs
#        inline and external, MatMul stacks, two ResNet-50; 0.8 GB), rewritten by `zero-init batch` with
#        --jobs 1 and --jobs 2 (RUNS times each, interleaved): models per second.
#
# Environment: JAR    the tool (default cli/target/zero-init.jar)
#              JAVA   the java command (default java); JAVA_OPTS are passed to it
#              WORK   scratch folder (default ${TMPDIR:-/tmp}); everything made is deleted at the end
#              LAYERS, WIDTH   the large model (default 32, 8192)
#              RUNS   rounds of the zoo benchmark (default 3)
# Wall time and peak RSS come from GNU time (/usr/bin/time -f '%e %M'; 10 ms, KiB).
set -u -o pipefail

die() { echo "batch-bench: $*" >&2; exit 2; }
WHAT=${1:-all}
case $WHAT in large|zoo|all) ;; *) die "usage: bench/batch-bench.sh [large|zoo|all]";; esac
JAR=${JAR:-cli/target/zero-init.jar}
JAVA=${JAVA:-java}
[ -f "$JAR" ] || die "$JAR is missing: build it with mvn -q -o install -DskipTests"
TIME=/usr/bin/time
"$TIME" -f '%e %M' -o /dev/null true 2>/dev/null || die "GNU time is missing (apt-get install time)"
LAYERS=${LAYERS:-32}
WIDTH=${WIDTH:-8192}
RUNS=${RUNS:-3}
WORK=$(mktemp -d "${WORK:-${TMPDIR:-/tmp}}/zero-init-batch-bench.XXXXXX") || die "cannot make a scratch folder"
trap 'rm -rf "$WORK"' EXIT
read -r -a JOPTS <<< "${JAVA_OPTS:-}"
TOOL=("$JAVA" "${JOPTS[@]}" -jar "$JAR")

timed() {  # label command...: runs it, prints "label seconds rss_kib"
    local label=$1; shift
    if ! "$TIME" -f '%e %M' -o "$WORK/time" "$@" > "$WORK/$label.out" 2> "$WORK/$label.err"; then
        echo "batch-bench: $label failed: $*" >&2; tail -n 5 "$WORK/$label.err" >&2; return 1
    fi
    echo "$label $(tail -n 1 "$WORK/time")"
}

echo "# zero-init batch benchmarks"
echo
echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: *//'), $(awk '/MemTotal/ {printf "%.1f GB", $2*1024/1e9}' /proc/meminfo) RAM; $(uname -sr)"
echo "- $("$JAVA" -version 2>&1 | head -n 1); tool: ${TOOL[*]}"
echo "- scratch: $WORK ($(df -h --output=avail "$WORK" | tail -n 1 | tr -d ' ') free)"

if [ "$WHAT" != zoo ]; then
    bytes=$(( LAYERS * WIDTH * WIDTH * 4 ))
    avail=$(df -B1 --output=avail "$WORK" | tail -n 1 | tr -d ' ')
    scaled=""
    while [ $(( 2 * bytes + (2 << 30) )) -gt "$avail" ] && [ "$LAYERS" -gt 1 ]; do
        LAYERS=$(( LAYERS / 2 )); bytes=$(( LAYERS * WIDTH * WIDTH * 4 )); scaled=yes
    done
    echo
    echo "## Large model: $LAYERS MatMul layers of ${WIDTH}x${WIDTH} float32, external data ($(awk -v b=$bytes 'BEGIN {printf "%.2f GB", b/1e9}'))"
    [ -n "$scaled" ] && echo "(scaled down to fit the free disk space: $(awk -v b=$avail 'BEGIN {printf "%.1f GB", b/1e9}'))"
    mkdir -p "$WORK/in" "$WORK/out"
    "$JAVA" -cp "$JAR" dev.zeroinit.models.LargeMatMulModel "$WORK/in/m.onnx" "$LAYERS" "$WIDTH" \
        || die "building the model failed"
    sync -f "$WORK/in/m.onnx.data" 2>/dev/null || sync
    cat "$WORK/in/m.onnx" "$WORK/in/m.onnx.data" > /dev/null  # read once: every command finds it cached alike
    results=()
    for mode in nosync sync; do
        for what in cp main batch; do
            rm -rf "$WORK/out"; mkdir -p "$WORK/out"
            case $what/$mode in
                cp/nosync)    cmd=(cp "$WORK/in/m.onnx" "$WORK/in/m.onnx.data" "$WORK/out/") ;;
                cp/sync)      cmd=(sh -c 'cp "$1"/m.onnx "$1"/m.onnx.data "$2"/ && sync "$2"/m.onnx "$2"/m.onnx.data' sh "$WORK/in" "$WORK/out") ;;
                main/nosync)  cmd=("${TOOL[@]}" "$WORK/in/m.onnx" -o "$WORK/out/m.onnx" --no-sync) ;;
                main/sync)    cmd=("${TOOL[@]}" "$WORK/in/m.onnx" -o "$WORK/out/m.onnx") ;;
                batch/nosync) cmd=("${TOOL[@]}" batch "$WORK/in" -o "$WORK/out" --no-sync) ;;
                batch/sync)   cmd=("${TOOL[@]}" batch "$WORK/in" -o "$WORK/out") ;;
            esac
            sync -f "$WORK/in/m.onnx" 2>/dev/null || true
            line=$(timed "$what-$mode" "${cmd[@]}") || exit 1
            results+=("$line")
        done
    done
    rm -rf "$WORK/out"
    echo
    echo "| command | to disk | wall s | vs cp | peak RSS MB |"
    echo "|---|---|---:|---:|---:|"
    for r in "${results[@]}"; do
        read -r label secs kib <<< "$r"
        what=${label%-*}; mode=${label#*-}
        cpsecs=$(printf '%s\n' "${results[@]}" | awk -v l="cp-$mode" '$1 == l {print $2}')
        name=$what; [ "$what" = main ] && name="zero-init (main job)"; [ "$what" = batch ] && name="zero-init batch"
        printf '| %s | %s | %.2f | %s | %.0f |\n' "$name" "$([ "$mode" = sync ] && echo fsync || echo 'page cache')" \
            "$secs" "$(awk -v a="$secs" -v b="$cpsecs" 'BEGIN {printf "%.2fx", a / b}')" "$(awk -v k="$kib" 'BEGIN {print k*1024/1e6}')"
    done
    echo
    grep -h 'tensors rewritten\|wrote' "$WORK"/main-*.out | sed 's/^ */    /' | head -n 2
    rm -rf "$WORK/in"
fi

if [ "$WHAT" != large ]; then
    echo
    echo "## Zoo: 50 mixed models, batch --jobs 1 and --jobs 2"
    "$JAVA" -cp "$JAR" bench/MakeZoo.java "$WORK/zoo" > /dev/null || die "building the zoo failed"
    echo "- $(find "$WORK/zoo" -name '*.onnx' | wc -l) models, $(du -sh "$WORK/zoo" | cut -f1) in all; $RUNS rounds, interleaved; results written with fsync (the default)"
    declare -A T
    for ((r = 1; r <= RUNS; r++)); do
        for j in 1 2; do
            rm -rf "$WORK/zout"
            line=$(timed "zoo-j$j" "${TOOL[@]}" batch "$WORK/zoo" -o "$WORK/zout" --jobs "$j") || exit 1
            read -r _ secs kib <<< "$line"
            T[$j]+="$secs "
            RSS[$j]=$kib
        done
    done
    rm -rf "$WORK/zout"
    echo
    echo "| --jobs | median s | models/s | peak RSS MB (last round) |"
    echo "|---:|---:|---:|---:|"
    for j in 1 2; do
        med=$(echo "${T[$j]}" | tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}')
        printf '| %d | %.2f | %.1f | %.0f |\n' "$j" "$med" "$(awk -v m="$med" 'BEGIN {print 50 / m}')" "$(awk -v k="${RSS[$j]}" 'BEGIN {print k*1024/1e6}')"
    done
    echo
    tail -n 1 "$WORK/zoo-j2.out" | sed 's/^/    /'
fi
