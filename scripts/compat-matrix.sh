#!/usr/bin/env bash
# The hook and SSR tests against every peer version the package declares at its ends: React 18 and
# 19; @tanstack/react-query at the lowest declared, at 5.74.x (whose result objects are frozen) and
# at the latest; zod at the lowest declared 4.x and the latest. Each cell is a scratch copy of the
# repository with the versions installed by `npm install --no-save`: the lock file is never touched.
# Usage: bash scripts/compat-matrix.sh [cell-name…]   (no argument: every cell)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scratch=${COMPAT_DIR:-/tmp/live-status-compat}
tests=(__tests__/react __tests__/core/cacheTruth.model.test.ts)

declare -A cells=(
  [react-18]="react@18 react-dom@18"
  [react-query-lowest]="@tanstack/react-query@5.0.0 @tanstack/query-core@5.0.0"
  [react-query-5.74]="@tanstack/react-query@5.74.4 @tanstack/query-core@5.74.4"
  [react-query-latest]="@tanstack/react-query@latest @tanstack/query-core@latest"
  [zod-lowest]="zod@4.0.0"
  [zod-latest]="zod@latest"
)
order=(react-18 react-query-lowest react-query-5.74 react-query-latest zod-lowest zod-latest)
[ $# -gt 0 ] && order=("$@")

failed=()
for cell in "${order[@]}"; do
  dir="$scratch/$cell"
  echo "== compat: $cell (${cells[$cell]})"
  rm -rf "$dir" && mkdir -p "$dir"
  git ls-files -z --cached --others --exclude-standard | grep -zv '^examples/nextjs/' | (cd "$root" && xargs -0 cp --parents -t "$dir")
  cp -a node_modules "$dir/node_modules"
  # `&&` throughout: `set -e` does not apply inside a subshell whose status `||` tests.
  (
    cd "$dir" &&
      # --legacy-peer-deps: these are deliberate off-lock combinations (react-query 5.0.0 still names React 18 as its peer).
      npm install --no-save --no-audit --no-fund --ignore-scripts --legacy-peer-deps --loglevel=error ${cells[$cell]} >/dev/null &&
      node -e '
        const want = process.argv.slice(1).map((s) => s.match(/^(@?[^@]+)@(.+)$/))
        for (const p of ["react", "@tanstack/react-query", "@tanstack/query-core", "zod"]) console.log("   ", p, require(p + "/package.json").version)
        for (const [, name, range] of want) {
          const got = require(name + "/package.json").version
          if (range !== "latest" && !got.startsWith(range)) { console.error(`    ${name} is ${got}, not ${range}`); process.exit(1) }
        }' ${cells[$cell]} &&
      MODEL_RUNS=${COMPAT_MODEL_RUNS:-200} npx vitest run --project unit "${tests[@]}" --reporter=dot
  ) || failed+=("$cell")
  rm -rf "$dir"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "compat matrix: failed in ${failed[*]}" >&2
  exit 1
fi
echo "compat matrix: every cell passed (${order[*]})"
