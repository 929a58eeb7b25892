#!/usr/bin/env bash
# Vendor the browser assets (bpmn-js) from npm into admin/static/vendor/. No CDN is used at runtime.
# Idempotent: a stamp records the package-lock.json and this script; when both are unchanged this is a no-op.
set -euo pipefail

SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
cd "$(dirname "$0")/.."

LOCK=package-lock.json
CI_MARK=node_modules/.onewindow-npm-ci
SRC=node_modules/bpmn-js/dist
DEST=admin/static/vendor/bpmn-js
STAMP=$DEST/.stamp

want=$(cat "$LOCK" "$SELF" | sha256sum | cut -c1-16)
if [[ -f $STAMP && $(cat "$STAMP") == "$want" && -f $CI_MARK && ! $LOCK -nt $CI_MARK ]]; then
    exit 0
fi

if [[ ! -f $CI_MARK || $LOCK -nt $CI_MARK ]]; then
    command -v npm >/dev/null || { echo "assets.sh: npm (Node.js) is needed to fetch bpmn-js" >&2; exit 1; }
    echo "assets: npm ci"
    npm ci --no-audit --no-fund
    touch "$CI_MARK"
fi

version=$(node -p 'require("./node_modules/bpmn-js/package.json").version')
mkdir -p "${DEST%/*}"
tmp=$(mktemp -d "${DEST%/*}/.bpmn-js.XXXXXX")
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
cp "$SRC/bpmn-navigated-viewer.production.min.js" "$SRC/bpmn-modeler.production.min.js" "$tmp/"
cp -R "$SRC/assets" "$tmp/assets"
cp node_modules/bpmn-js/LICENSE "$tmp/LICENSE"
echo "$want" >"$tmp/.stamp"
rm -rf "$DEST"
mv "$tmp" "$DEST"
trap - EXIT
echo "assets: bpmn-js $version -> $DEST"
