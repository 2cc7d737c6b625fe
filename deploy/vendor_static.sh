#!/usr/bin/env bash
# The boards' two front-end libraries, taken from the npm registry (`npm pack`: the published tarball, no
# install, no build) into the gateway's static folder, with their licences. The files are committed; run this
# only to change a version (and commit the result with VERSIONS).
#   bash deploy/vendor_static.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=services/gateway/src/gateway/boards/static/vendor
HTMX=2.0.11      # htmx.org: the page fragments' requests (hx-get, hx-post, hx-trigger)
CHARTJS=4.5.1    # chart.js: the figures page's charts (UMD build, one file)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "htmx.org@$HTMX" "chart.js@$CHARTJS" >/dev/null)
mkdir -p "$OUT"
tar -xzf "$tmp/htmx.org-$HTMX.tgz" -C "$tmp" && mv "$tmp/package" "$tmp/htmx"
tar -xzf "$tmp/chart.js-$CHARTJS.tgz" -C "$tmp" && mv "$tmp/package" "$tmp/chartjs"
cp "$tmp/htmx/dist/htmx.min.js" "$OUT/htmx.min.js"
cp "$tmp/htmx/LICENSE" "$OUT/htmx.LICENSE"
cp "$tmp/chartjs/dist/chart.umd.min.js" "$OUT/chart.umd.min.js"
cp "$tmp/chartjs/LICENSE.md" "$OUT/chart.js.LICENSE.md"
cat > "$OUT/VERSIONS" <<V
htmx.org $HTMX (BSD Zero Clause; htmx.LICENSE) from the npm registry: dist/htmx.min.js
chart.js $CHARTJS (MIT; chart.js.LICENSE.md) from the npm registry: dist/chart.umd.min.js
sha256:
$(cd "$OUT" && sha256sum htmx.min.js chart.umd.min.js)
V
echo "vendored into $OUT:"; cat "$OUT/VERSIONS"
