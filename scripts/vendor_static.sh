#!/usr/bin/env bash
# Vendor the front-end libraries from the npm registry (never from a CDN).
#
# The copied files are committed, so this only needs re-running to change a
# version: edit the pins below, run `bash scripts/vendor_static.sh`, review the
# diff and commit. Needs node/npm; fetches with `npm pack` into a temp dir, so
# no node_modules/ is left behind.
set -euo pipefail

BOOTSTRAP_VERSION="5.3.9"
HTMX_VERSION="2.0.11"
AXE_VERSION="4.14.1"
ECHARTS_VERSION="6.1.0"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

cd "$TMP"
echo "npm pack bootstrap@$BOOTSTRAP_VERSION htmx.org@$HTMX_VERSION axe-core@$AXE_VERSION echarts@$ECHARTS_VERSION"
npm pack --silent \
    "bootstrap@$BOOTSTRAP_VERSION" \
    "htmx.org@$HTMX_VERSION" \
    "axe-core@$AXE_VERSION" \
    "echarts@$ECHARTS_VERSION" >/dev/null

unpack() {  # unpack <tarball> <dir>
    mkdir -p "$2"
    tar -xzf "$1" -C "$2" --strip-components=1
}
unpack "bootstrap-$BOOTSTRAP_VERSION.tgz" bootstrap
unpack "htmx.org-$HTMX_VERSION.tgz" htmx
unpack "axe-core-$AXE_VERSION.tgz" axe
unpack "echarts-$ECHARTS_VERSION.tgz" echarts

# copy <src> <dest>: fail loudly if a file moved inside a package.
copy() {
    if [[ ! -f "$1" ]]; then
        echo "vendor_static.sh: missing $1 in the npm package" >&2
        exit 1
    fi
    mkdir -p "$(dirname "$2")"
    cp "$1" "$2"
    echo "  $2"
}

# The license file's name differs between packages (LICENSE, LICENSE.txt, ...).
license_of() {
    local f
    for f in "$1"/LICENSE "$1"/LICENSE.txt "$1"/LICENSE.md "$1"/LICENCE; do
        if [[ -f "$f" ]]; then echo "$f"; return; fi
    done
    echo "vendor_static.sh: no license file in $1" >&2
    exit 1
}

# Drop the sourceMappingURL comment: the .map files are not vendored, and a
# dangling reference makes browsers' dev tools (and some collectstatic storages,
# e.g. ManifestStaticFilesStorage) look for a file that is not there.
strip_map() {
    sed -i -E '/^\/[*\/]# sourceMappingURL=.*$/d' "$1"
}

BS="$ROOT/static/vendor/bootstrap"
HX="$ROOT/static/vendor/htmx"
AX="$ROOT/tests/browser/assets"
EC="$ROOT/static/vendor/echarts"

copy bootstrap/dist/css/bootstrap.min.css "$BS/bootstrap.min.css"
copy bootstrap/dist/js/bootstrap.bundle.min.js "$BS/bootstrap.bundle.min.js"
copy "$(license_of bootstrap)" "$BS/LICENSE"
copy htmx/dist/htmx.min.js "$HX/htmx.min.js"
copy "$(license_of htmx)" "$HX/LICENSE"
copy axe/axe.min.js "$AX/axe.min.js"
copy "$(license_of axe)" "$AX/LICENSE-axe-core"
copy echarts/dist/echarts.min.js "$EC/echarts.min.js"
copy "$(license_of echarts)" "$EC/LICENSE"
copy echarts/NOTICE "$EC/NOTICE"  # Apache-2.0: the NOTICE goes with the code

strip_map "$BS/bootstrap.min.css"
strip_map "$BS/bootstrap.bundle.min.js"
strip_map "$HX/htmx.min.js"
strip_map "$EC/echarts.min.js"

cat >"$ROOT/static/vendor/VERSIONS.txt" <<EOF
# Written by scripts/vendor_static.sh; fetched with npm pack from the npm registry.
bootstrap $BOOTSTRAP_VERSION  static/vendor/bootstrap/
htmx.org $HTMX_VERSION  static/vendor/htmx/
axe-core $AXE_VERSION  tests/browser/assets/
echarts $ECHARTS_VERSION  static/vendor/echarts/
EOF
echo "  $ROOT/static/vendor/VERSIONS.txt"
echo "done: bootstrap $BOOTSTRAP_VERSION, htmx.org $HTMX_VERSION, axe-core $AXE_VERSION, echarts $ECHARTS_VERSION"
