#!/usr/bin/env bash
# bench/swap.sh [BUILD_DIR]: sbx swap next to the naive stop-then-start
# (sbx down && sbx up) of the same container, in one hyperfine run, then the
# exec failures and the longest exec latency seen by a loop of concurrent
# `sbx exec` calls during each kind of replacement.
#   unchanged : sbx swap, image unchanged (no-op)
#   forced    : sbx swap --force, same image (a real replacement)
#   changed   : sbx swap --image, alternating two images
#   naive     : sbx down && sbx up --image, alternating the same two images
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SBX=$(realpath "$BUILD/sbx")
RUNS=${SBX_BENCH_RUNS:-10}
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
    for _ in 1 2 3 4 5; do "$@" >/dev/null 2>&1 || true; done
    sleep 0.5
    touch "$stop"; wait
    awk -v n="$name" '{c++; f+=$1; if ($2>m) m=$2} END {printf "%-10s execs %4d  failures %3d  max exec latency %5d ms\n", n, c, f, m}' "$log"
}

cd "$OLDPWD"
python3 - "$OUT/swap.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
naive = r["naive"]["median"]
print(f"{'replacement':<10} {'median':>9} {'vs naive':>9}")
for k in ("unchanged", "forced", "changed", "naive"):
    m = r[k]["median"]
    print(f"{k:<10} {m*1000:7.1f} ms {m/naive:8.2f}x")
PY
cd "$proj"
under_load forced "$SBX" swap --force
under_load changed "$proj/changed.sh"
under_load naive "$proj/naive.sh"
