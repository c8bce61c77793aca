#!/usr/bin/env bash
# Builds the embedded-FerretDB test server once and caches it in .cache/ferretdb
# (git-ignored). Prints the binary's absolute path on stdout. Rebuilds only when
# the program, its go.mod/go.sum or the Go version change.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache="$here/../../.cache/ferretdb"
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
out="$cache/ferretdb-test"
stamp=$( (cat "$here/main.go" "$here/go.mod" "$here/go.sum"; go version) | sha256sum | cut -d' ' -f1)
if [ -x "$out" ] && [ -f "$out.stamp" ] && [ "$(cat "$out.stamp")" = "$stamp" ]; then
  echo "$out"
  exit 0
fi
echo "building the FerretDB test server (first run only; a few minutes)..." >&2
cd "$here"
go build -trimpath -o "$out.tmp" . >&2
mv "$out.tmp" "$out"
echo "$stamp" > "$out.stamp"
echo "$out"
