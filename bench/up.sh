#!/usr/bin/env bash
# bench/up.sh [BUILD_DIR]: P7, a cold start: `sbx up` with no container and
# the image present, next to `docker run -d IMAGE sleep infinity`, in one
# hyperfine run (each run prepared by removing the container it made).
# Target: sbx <= 0.9x docker (appended to $SBX_BENCH_TARGETS when set).
# SBX_BENCH_SMOKE=1: a few runs only.  The docker CLI is used here only,
# for comparison; sbx never runs it.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
sbx=${SBX:-$build/sbx}
[ -x "$sbx" ] || { echo "bench/up.sh: $sbx not found; build first or pass BUILD_DIR" >&2; exit 125; }
for t in hyperfine docker python3; do
    command -v $t >/dev/null || { echo "bench/up.sh: $t not installed" >&2; exit 125; }
done
IMG=${SBX_BENCH_IMAGE:-sbx-test/busybox:latest}
RUNS=${SBX_BENCH_RUNS:-$([ -n "${SBX_BENCH_SMOKE:-}" ] && echo 3 || echo 20)}

proj=$(mktemp -d /tmp/sbx-bench-up-XXXXXX)
json=$(mktemp /tmp/sbx-bench-up-XXXXXX.json)
name=sbx-bench-up-$$
cleanup() {
    "$sbx" --project "$proj" down >/dev/null 2>&1 || true
    docker rm -f "$name" >/dev/null 2>&1 || true
    rm -rf "$proj" "$json"
}
trap cleanup EXIT
export XDG_CONFIG_HOME="$proj/.xdg"
unset SBX_CONFIG || true

# Both once, so that neither pays a first-time cost in the measure.
"$sbx" --project "$proj" -q up --image "$IMG" >/dev/null
"$sbx" --project "$proj" down >/dev/null
docker run -d --name "$name" "$IMG" sleep infinity >/dev/null
docker rm -f "$name" >/dev/null

hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$json" \
    --prepare "$sbx --project $proj down" \
    --prepare "docker rm -f $name" \
    -n sbx-up "$sbx --project $proj -q up --image $IMG" \
    -n docker-run "docker run -d --name $name $IMG sleep infinity"

python3 - "$json" "${SBX_BENCH_TARGETS:-}" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
s, d = r["sbx-up"], r["docker-run"]
ratio = s / d
ok = ratio <= 0.9
print()
print(f"sbx up (cold) {s*1e3:8.1f} ms   docker run -d {d*1e3:8.1f} ms (medians)  {ratio:5.2f}x   "
      f"target <= 0.9x: {'met' if ok else 'NOT met'}")
if sys.argv[2]:
    with open(sys.argv[2], "a") as t:
        t.write(f"P7  sbx up (no container) / docker run -d ... sleep infinity  {ratio:6.2f}x  "
                f"target <= 0.9x  {'met' if ok else 'NOT met'}\n")
PY
