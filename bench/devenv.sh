#!/usr/bin/env bash
# bench/devenv.sh [BUILD_DIR]: `sbx devenv build` on an unchanged project
# next to `docker build` fully cached (classic builder, as sbx uses) on the
# same Dockerfile and context, in one hyperfine run:
#   sbx-tiny / docker-tiny : a 3-file context, COPY app/
#   sbx-10k  / docker-10k  : 10,000 small files in 100 directories, COPY .
# then the ratios.  Targets: tiny <= 0.1x docker (P2, appended to
# $SBX_BENCH_TARGETS when set), 10k <= 0.03x docker.
# SBX_BENCH_SMOKE=1: a few runs only.
# The docker CLI is used here only, for comparison; sbx never runs it.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
sbx=${SBX:-$build/sbx}
[ -x "$sbx" ] || { echo "bench/devenv.sh: $sbx not found; build first or pass BUILD_DIR" >&2; exit 125; }
command -v hyperfine >/dev/null || { echo "bench/devenv.sh: hyperfine not installed" >&2; exit 125; }
command -v docker >/dev/null || { echo "bench/devenv.sh: the docker CLI is needed for the comparison" >&2; exit 125; }
IMG=sbx-test/busybox:latest
RUNS=${SBX_BENCH_RUNS:-$([ -n "${SBX_BENCH_SMOKE:-}" ] && echo 3 || echo 10)}

work=$(mktemp -d /tmp/sbx-bench-devenv-XXXXXX)
json=$(mktemp /tmp/sbx-bench-devenv-XXXXXX.json)
cleanup() {
    for p in "$work/tiny" "$work/big"; do
        docker image ls -q --filter "label=dev.sbx.project=$p" 2>/dev/null | sort -u \
            | xargs -r docker image rm -f >/dev/null 2>&1 || true
    done
    docker image rm -f sbx-bench-devenv:tiny sbx-bench-devenv:big >/dev/null 2>&1 || true
    rm -rf "$work" "$json"
}
trap cleanup EXIT
export SBX_CACHE_DIR="$work/cache"
export DOCKER_BUILDKIT=0

mkdir -p "$work/tiny/app" "$work/big/src"
printf 'FROM %s\nCOPY app/ /app/\n' "$IMG" >"$work/tiny/Dockerfile"
for f in a b c; do echo "$f" >"$work/tiny/app/$f.txt"; done
printf 'FROM %s\nCOPY . /app/\n' "$IMG" >"$work/big/Dockerfile"
python3 - "$work/big/src" <<'PY'
import os, sys
root = sys.argv[1]
for d in range(100):
    os.makedirs(f"{root}/d{d:02d}", exist_ok=True)
    for f in range(100):
        with open(f"{root}/d{d:02d}/f{f:02d}.txt", "w") as fh:
            fh.write(f"file {d} {f}\n")
PY
# Files older than the stat cache's safety window, as in a real checkout.
find "$work" -type f -exec touch -d '-1 min' {} +

echo "priming: first builds (sbx and docker) ..." >&2
for p in tiny big; do
    "$sbx" --project "$work/$p" -q devenv build >/dev/null
    "$sbx" --project "$work/$p" -q devenv build >/dev/null # fills the stat cache
    docker build -q -t "sbx-bench-devenv:$p" "$work/$p" >/dev/null 2>&1
done

hyperfine -N --warmup 2 --min-runs "$RUNS" --export-json "$json" \
    -n sbx-tiny "$sbx --project $work/tiny -q devenv build" \
    -n docker-tiny "docker build -q -t sbx-bench-devenv:tiny $work/tiny" \
    -n sbx-10k "$sbx --project $work/big -q devenv build" \
    -n docker-10k "docker build -q -t sbx-bench-devenv:big $work/big"

python3 - "$json" "${SBX_BENCH_TARGETS:-}" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
print()
for name, target in (("tiny", 0.1), ("10k", 0.03)):
    s, d = r[f"sbx-{name}"], r[f"docker-{name}"]
    ratio = s / d
    print(f"{name:5s} sbx {s*1e3:8.2f} ms   docker {d*1e3:8.2f} ms (medians)  {ratio:6.3f}x   "
          f"target <= {target}x: {'met' if ratio <= target else 'NOT met'}")
    if name == "tiny" and sys.argv[2]:
        with open(sys.argv[2], "a") as t:
            t.write(f"P2  sbx devenv build (tiny, unchanged) / docker build  {ratio:6.3f}x  target <= 0.1x  "
                    f"{'met' if ratio <= target else 'NOT met'}\n")
PY
