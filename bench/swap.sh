#!/usr/bin/env bash
# bench/swap.sh [BUILD_DIR]: sbx swap next to the naive stop-then-start
# (sbx down && sbx up) of the same container, in one hyperfine run, then the
# exec failures and the longest exec latency seen by a loop of concurrent
# `sbx exec` calls during each kind of replacement.
#   unchanged : sbx swap, image unchanged (no-op)
#   forced    : sbx swap --force, same image (a real replacement)
#   changed   : sbx swap --image, alternating two images
#   naive     : sbx down && sbx up --image, alternating the same two images
# The P3 target (appended to $SBX_BENCH_TARGETS when set): changed <= 1.0x
# naive, with 0 failed execs while it replaces the container.
# SBX_BENCH_SMOKE=1: two runs, one replacement under load.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SBX=$(realpath "$BUILD/sbx")
RUNS=${SBX_BENCH_RUNS:-$([ -n "${SBX_BENCH_SMOKE:-}" ] && echo 2 || echo 10)}
REPLACE=$([ -n "${SBX_BENCH_SMOKE:-}" ] && echo 1 || echo 5)
OUT=bench/results
mkdir -p "$OUT"
IMG1=sbx-test/busybox:latest
IMG2=sbx-test/busybox-bench:v2

api() { curl -s --unix-socket /var/run/docker.sock "$@"; }
if [ "$(api -o /dev/null -w '%{http_code}' "http://localhost/v1.41/images/$IMG2/json")" != 200 ]; then
    id=$(api -X POST -H 'Content-Type: application/json' \
        -d "{\"Image\":\"$IMG1\",\"Cmd\":[\"sh\",\"-c\",\"echo v2 >/version\"]}" \
        http://localhost/v1.41/containers/create | sed 's/.*"Id":"\([0-9a-f]*\)".*/\1/')
    api -X POST "http://localhost/v1.41/containers/$id/start" >/dev/null
    api -X POST "http://localhost/v1.41/containers/$id/wait" >/dev/null
    api -X POST "http://localhost/v1.41/commit?container=$id&repo=sbx-test/busybox-bench&tag=v2" >/dev/null
    api -X DELETE "http://localhost/v1.41/containers/$id?force=true" >/dev/null
fi

proj=$(mktemp -d /tmp/sbx-bench-swap.XXXXXX)
trap '"$SBX" --project "$proj" down >/dev/null 2>&1 || true; rm -rf "$proj"' EXIT
cd "$proj"
"$SBX" up --image "$IMG1" >/dev/null

# Alternating commands: each run flips the image.
cat >"$proj/changed.sh" <<SH
#!/bin/sh
if [ -e "$proj/.v2" ]; then rm "$proj/.v2"; exec "$SBX" -q swap --image $IMG1; else touch "$proj/.v2"; exec "$SBX" -q swap --image $IMG2; fi
SH
cat >"$proj/naive.sh" <<SH
#!/bin/sh
"$SBX" down >/dev/null
if [ -e "$proj/.n2" ]; then rm "$proj/.n2"; exec "$SBX" -q up --image $IMG1; else touch "$proj/.n2"; exec "$SBX" -q up --image $IMG2; fi
SH
chmod +x "$proj/changed.sh" "$proj/naive.sh"

hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$OLDPWD/$OUT/swap.json" \
    -n unchanged "$SBX swap" \
    -n forced "$SBX swap --force" \
    -n changed "$proj/changed.sh" \
    -n naive "$proj/naive.sh" >/dev/null

# Exec failures and worst latency while replacing the container 5 times.
under_load() { # name command...
    local name=$1; shift
    local log=$proj/load.$name stop=$proj/stop.$name
    : >"$log"
    for w in 1 2; do
        ( while [ ! -e "$stop" ]; do
              s=$(date +%s%N)
              if "$SBX" exec -- true >/dev/null 2>&1; then r=0; else r=1; fi
              echo "$r $(( ($(date +%s%N) - s) / 1000000 ))" >>"$log"
          done ) &
    done
    sleep 0.5
    for _ in $(seq "$REPLACE"); do "$@" >/dev/null 2>&1 || true; done
    sleep 0.5
    touch "$stop"; wait
    awk -v n="$name" '{c++; f+=$1; if ($2>m) m=$2} END {printf "%-10s execs %4d  failures %3d  max exec latency %5d ms\n", n, c, f, m}' "$log" \
        | tee "$proj/summary.$name"
}

cd "$OLDPWD"
python3 - "$OUT/swap.json" >"$proj/ratio" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
naive = r["naive"]["median"]
print(f"{'replacement':<10} {'median':>9} {'vs naive':>9}")
for k in ("unchanged", "forced", "changed", "naive"):
    m = r[k]["median"]
    print(f"{k:<10} {m*1000:7.1f} ms {m/naive:8.2f}x")
PY
cat "$proj/ratio"
cd "$proj"
under_load forced "$SBX" swap --force
under_load changed "$proj/changed.sh"
under_load naive "$proj/naive.sh"
if [ -n "${SBX_BENCH_TARGETS:-}" ]; then
    ratio=$(awk '$1 == "changed" {print $4}' "$proj/ratio")
    fails=$(awk '{print $5}' "$proj/summary.changed")
    ok=$(awk -v r="${ratio%x}" -v f="$fails" 'BEGIN {print (r <= 1.0 && f == 0) ? "met" : "NOT met"}')
    printf 'P3  sbx swap (changed image) / sbx down && sbx up  %6s  %s failed execs  target <= 1.0x, 0 failed  %s\n' \
        "$ratio" "$fails" "$ok" >>"$SBX_BENCH_TARGETS"
fi
