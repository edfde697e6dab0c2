#!/bin/sh
# bench/levels.sh: what each host level costs, next to plain bubblewrap and
# (optionally) another sbx build, in one hyperfine run:
#   sbx run --isolation off|default|enhanced -- true
#   bwrap --unshare-all --ro-bind / / --dev /dev --proc /proc true
#   and, with BASE=path/to/other/sbx, the same levels under that build
# then each mean and its ratio to bwrap, and the P4 target: enhanced <= 1.1x
# bwrap (appended to $SBX_BENCH_TARGETS when set, as bench/run does).
# SBX_BENCH_SMOKE=1: a few runs only.
#
# usage: bench/levels.sh [BUILD_DIR]; BASE=/path/sbx compares two builds.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
sbx=${SBX:-$build/sbx}
[ -x "$sbx" ] || { echo "bench/levels.sh: $sbx not found; build first or pass BUILD_DIR" >&2; exit 125; }
command -v hyperfine >/dev/null || { echo "bench/levels.sh: hyperfine not installed" >&2; exit 125; }
command -v bwrap >/dev/null || { echo "bench/levels.sh: bwrap not installed" >&2; exit 125; }

proj=$(mktemp -d /tmp/sbx-bench-XXXXXX)
json=$(mktemp /tmp/sbx-bench-XXXXXX.json)
trap 'rm -rf "$proj" "$json"' EXIT
mkdir -p "$proj/.git/hooks" && : >"$proj/.git/config"
true_bin=$(command -v true)
export XDG_CONFIG_HOME="$proj/.xdg"
unset SBX_CONFIG || true

set -- -n bwrap "bwrap --unshare-all --ro-bind / / --dev /dev --proc /proc $true_bin"
for l in off default enhanced; do
    set -- "$@" -n "$l" "$sbx --project $proj run --isolation $l -- $true_bin"
    if [ -n "${BASE:-}" ]; then
        set -- "$@" -n "base-$l" "$BASE --project $proj run --isolation $l -- $true_bin"
    fi
done
if [ -n "${SBX_BENCH_SMOKE:-}" ]; then runs="--warmup 1 --runs 3"; else runs="--warmup 20 --min-runs 100"; fi
hyperfine -N $runs --export-json "$json" "$@" >&2

python3 - "$json" "${SBX_BENCH_TARGETS:-}" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
r = {x["command"]: x for x in res}
b = r["bwrap"]["median"]
print(f"{'':14s} {'median':>9s} {'mean':>9s}  ratio to bwrap")
for name, x in r.items():
    print(f"{name:14s} {x['median']*1e3:7.2f} ms {x['mean']*1e3:7.2f} ms  {x['median']/b:5.2f}x")
e = r["enhanced"]["median"] / b
ok = e <= 1.1
print(f"target enhanced <= 1.1x bwrap --unshare-all: {e:.2f}x {'met' if ok else 'NOT met'}")
if sys.argv[2]:
    with open(sys.argv[2], "a") as t:
        t.write(f"P4  sbx run --isolation enhanced / bwrap --unshare-all  {e:6.2f}x  target <= 1.1x  {'met' if ok else 'NOT met'}\n")
PY
