#!/usr/bin/env bash
# The manual check of the recipes against the real repositories (not a CI test: it needs them).
#
#   examples/check-against-mirrors.sh FLUXOS_REPO WATCHDOG_REPO [--write]
#
# FLUXOS_REPO / WATCHDOG_REPO: a clone, a bare mirror or a URL of RunOnFlux/flux and
# RunOnFlux/fluxnode-watchdog. Revisions: FLUXOS_REV (default master, v8.17.0 when written) and
# WATCHDOG_REV (default master). For each repository, in a temp dir:
#   1. `git apply --unidiff-zero --check`, then `git apply --unidiff-zero`, of the committed .patch;
#   2. apply-recipe.js on a second checkout, and the two trees must be identical;
#   3. `node --check` on every changed .js file; for FluxOS, every added require() resolves
#      (check-requires.js, with `npm pack` of this package unpacked into node_modules/fluxos-preprod).
# --write first regenerates the .patch files from the recipes (`git diff -U0`).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
[ $# -ge 2 ] || { echo "usage: $0 FLUXOS_REPO WATCHDOG_REPO [--write]" >&2; exit 2; }
fluxos_repo="$1" watchdog_repo="$2" write="${3:-}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null

checkout() { # repo rev dir
  git clone -q --no-checkout "$1" "$3"
  git -C "$3" -c advice.detachedHead=false checkout -q "$2"
}

check_one() { # name repo rev patch
  local name="$1" repo="$2" rev="$3" patch="$here/$4"
  checkout "$repo" "$rev" "$work/$name-recipe"
  echo "== $name at $(git -C "$work/$name-recipe" rev-parse HEAD) ($rev)"
  node "$here/apply-recipe.js" "$name" "$work/$name-recipe" >/dev/null
  git -C "$work/$name-recipe" add -A -N .
  if [ "$write" = "--write" ]; then
    git -C "$work/$name-recipe" diff -U0 >"$patch"
    echo "wrote $patch"
  fi
  checkout "$repo" "$rev" "$work/$name-patch"
  git -C "$work/$name-patch" apply --unidiff-zero --check "$patch"
  git -C "$work/$name-patch" apply --unidiff-zero "$patch"
  echo "git apply --unidiff-zero $(basename "$patch"): applies ($(grep -c '^+[^+]' "$patch") lines added, $(grep -c '^-[^-]' "$patch" || true) removed)"
  diff -r -q -x .git "$work/$name-recipe" "$work/$name-patch" && echo "apply-recipe.js and the patch give the same tree"
  for file in $(git -C "$work/$name-patch" status --porcelain | awk '{print $2}' | grep '\.js$'); do
    node --check "$work/$name-patch/$file"
  done
  echo "node --check: every changed .js file parses"
}

check_one fluxos "$fluxos_repo" "${FLUXOS_REV:-master}" fluxos/fluxos-v8.17.0.patch
mkdir -p "$work/pack" "$work/fluxos-patch/node_modules/fluxos-preprod"
(cd "$root" && npm pack --silent --pack-destination "$work/pack" >/dev/null)
tar -xzf "$work"/pack/*.tgz -C "$work/fluxos-patch/node_modules/fluxos-preprod" --strip-components=1
node "$here/check-requires.js" "$work/fluxos-patch"
check_one watchdog "$watchdog_repo" "${WATCHDOG_REV:-master}" watchdog/fluxnode-watchdog-master.patch
