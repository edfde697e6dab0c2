#!/bin/sh
# bench/host.sh: the cost of host confinement, in one hyperfine run:
#   sbx run --isolation default  -- true   (Landlock + seccomp)
#   sbx run --isolation enhanced -- true   (bwrap + seccomp)
#   true                                   (no sandbox)
#   bwrap --ro-bind / / --dev /dev --proc /proc true
# then the ratios to the bwrap baseline.  Target: default <= 0.5x bwrap.
#
# usage: bench/host.sh [BUILD_DIR]   (default: build); SBX=path overrides.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
sbx=${SBX:-$build/sbx}
[ -x "$sbx" ] || { echo "bench/host.sh: $sbx not found; build first or pass BUILD_DIR" >&2; exit 125; }
command -v hyperfine >/dev/null || { echo "bench/host.sh: hyperfine not installed" >&2; exit 125; }
command -v bwrap >/dev/null || { echo "bench/host.sh: bwrap not installed" >&2; exit 125; }

proj=$(mktemp -d /tmp/sbx-bench-XXXXXX)
json=$(mktemp /tmp/sbx-bench-XXXXXX.json)
trap 'rm -rf "$proj" "$json"' EXIT
true_bin=$(command -v true)
# No user configuration in the way.
export XDG_CONFIG_HOME="$proj/.xdg"
unset SBX_CONFIG || true

if [ -n "${SBX_BENCH_SMOKE:-}" ]; then runs="--warmup 1 --runs 3"; else runs="--warmup 20 --min-runs 200"; fi
hyperfine -N $runs --export-json "$json" \
  -n default "$sbx --project $proj run --isolation default -- $true_bin" \
  -n enhanced "$sbx --project $proj run --isolation enhanced -- $true_bin" \
  -n true "$true_bin" \
  -n bwrap "bwrap --ro-bind / / --dev /dev --proc /proc $true_bin"

python3 - "$json" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
b = r["bwrap"]
print()
for k in ("default", "enhanced", "true", "bwrap"):
    print(f"{k:9s} {r[k]*1e3:8.3f} ms  {r[k]/b:6.2f}x bwrap")
ok = r["default"] <= 0.5 * b
print(f"target default <= 0.5x bwrap: {'met' if ok else 'NOT met'}")
PY
