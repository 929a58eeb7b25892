#!/usr/bin/env bash
# Vendor the browser assets from npm into admin/static/vendor/ (no CDN is used at runtime):
#   bpmn-js/            bpmn-js' own bundles and styles, copied as published
#   dmn-js/             dmn-js' modeler bundle and styles (the 决策表 editor), copied as published
#   echarts/            Apache ECharts' minified bundle (the 统计分析 dashboard), copied as published
#   onewindow-modeler/  the modeler's properties panel: admin/static/src/modeler/ (our ES modules) with
#                       bpmn-js-properties-panel and @bpmn-io/properties-panel, bundled by esbuild
# Idempotent: stamps record package-lock.json, this script and (for the bundle) the sources; when they are
# unchanged this is a no-op.
set -euo pipefail

SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
cd "$(dirname "$0")/.."

LOCK=package-lock.json
CI_MARK=node_modules/.onewindow-npm-ci
SRC=node_modules/bpmn-js/dist
DEST=admin/static/vendor/bpmn-js
STAMP=$DEST/.stamp
DMN_SRC=node_modules/dmn-js/dist
DMN_DEST=admin/static/vendor/dmn-js
DMN_STAMP=$DMN_DEST/.stamp
CHARTS_DEST=admin/static/vendor/echarts
CHARTS_STAMP=$CHARTS_DEST/.stamp
MODELER_SRC=admin/static/src/modeler
BUNDLE=admin/static/vendor/onewindow-modeler
BUNDLE_STAMP=$BUNDLE/.stamp

want=$(cat "$LOCK" "$SELF" | sha256sum | cut -c1-16)
# The bundle's stamp also covers every source file, by name and content.
want_bundle=$(
    {
        echo "$want"
        find "$MODELER_SRC" -type f -print0 | LC_ALL=C sort -z | while IFS= read -r -d '' f; do
            printf '%s\n' "$f"
            cat "$f"
        done
    } | sha256sum | cut -c1-16
)
stamped() { [[ -f $1 && $(cat "$1") == "$2" ]]; }
if stamped "$STAMP" "$want" && stamped "$DMN_STAMP" "$want" && stamped "$CHARTS_STAMP" "$want" \
    && stamped "$BUNDLE_STAMP" "$want_bundle" \
    && [[ -f $CI_MARK && ! $LOCK -nt $CI_MARK ]]; then
    exit 0
fi

if [[ ! -f $CI_MARK || $LOCK -nt $CI_MARK ]]; then
    command -v npm >/dev/null || { echo "assets.sh: npm (Node.js) is needed to fetch bpmn-js" >&2; exit 1; }
    echo "assets: npm ci"
    npm ci --no-audit --no-fund --loglevel=error
    touch "$CI_MARK"
fi

mkdir -p "${DEST%/*}"
tmp=""
trap 'rm -rf "$tmp"' EXIT

# Build into a private folder, then swap it in whole: a page never sees half a folder.
swap_in() {
    rm -rf "$2"
    mv "$1" "$2"
}

if ! stamped "$STAMP" "$want"; then
    version=$(node -p 'require("./node_modules/bpmn-js/package.json").version')
    tmp=$(mktemp -d "${DEST%/*}/.bpmn-js.XXXXXX")
    chmod 755 "$tmp"
    cp "$SRC/bpmn-navigated-viewer.production.min.js" "$SRC/bpmn-modeler.production.min.js" "$tmp/"
    cp -R "$SRC/assets" "$tmp/assets"
    cp node_modules/bpmn-js/LICENSE "$tmp/LICENSE"
    echo "$want" >"$tmp/.stamp"
    swap_in "$tmp" "$DEST"
    echo "assets: bpmn-js $version -> $DEST"
fi

if ! stamped "$DMN_STAMP" "$want"; then
    version=$(node -p 'require("./node_modules/dmn-js/package.json").version')
    tmp=$(mktemp -d "${DEST%/*}/.dmn-js.XXXXXX")
    chmod 755 "$tmp"
    cp "$DMN_SRC/dmn-modeler.production.min.js" "$tmp/"
    cp -R "$DMN_SRC/assets" "$tmp/assets"
    cp node_modules/dmn-js/LICENSE "$tmp/LICENSE"
    echo "$want" >"$tmp/.stamp"
    swap_in "$tmp" "$DMN_DEST"
    echo "assets: dmn-js $version -> $DMN_DEST"
fi

if ! stamped "$CHARTS_STAMP" "$want"; then
    version=$(node -p 'require("./node_modules/echarts/package.json").version')
    tmp=$(mktemp -d "${DEST%/*}/.echarts.XXXXXX")
    chmod 755 "$tmp"
    cp node_modules/echarts/dist/echarts.min.js node_modules/echarts/LICENSE "$tmp/"
    echo "$want" >"$tmp/.stamp"
    swap_in "$tmp" "$CHARTS_DEST"
    echo "assets: echarts $version -> $CHARTS_DEST"
fi

if ! stamped "$BUNDLE_STAMP" "$want_bundle"; then
    tmp=$(mktemp -d "${DEST%/*}/.onewindow-modeler.XXXXXX")
    chmod 755 "$tmp"
    # The page loads bpmn-js' own Modeler bundle first (global BpmnJS); this bundle adds the panel to it.
    node_modules/.bin/esbuild "$MODELER_SRC/index.js" --bundle --format=iife --minify --target=es2020 \
        --loader:.js=jsx --jsx=automatic --jsx-import-source=@bpmn-io/properties-panel/preact \
        '--define:process.env.NODE_ENV="production"' --legal-comments=linked --log-level=warning \
        --outfile="$tmp/modeler.js"
    node_modules/.bin/esbuild "$MODELER_SRC/modeler.css" --bundle --minify --log-level=warning \
        --outfile="$tmp/modeler.css"
    for pkg in bpmn-js-properties-panel @bpmn-io/properties-panel; do
        name=${pkg#@}
        cp "node_modules/$pkg/LICENSE" "$tmp/LICENSE.${name//\//-}"
    done
    echo "$want_bundle" >"$tmp/.stamp"
    swap_in "$tmp" "$BUNDLE"
    panel=$(node -p 'require("./node_modules/bpmn-js-properties-panel/package.json").version')
    echo "assets: onewindow-modeler (bpmn-js-properties-panel $panel) -> $BUNDLE"
fi
trap - EXIT
