#!/usr/bin/env bash
# Refresh the vendored front-end files from the npm registry (never hot-linked at run time).
# Versions are pinned here; run this, check the pages, commit the result.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent chart.js@4.6.1 @picocss/pico@2.1.1 >/dev/null)
for f in "$work"/*.tgz; do tar xzf "$f" -C "$work" && mv "$work/package" "$work/$(basename "$f" .tgz)"; done
cp "$work"/chart.js-4.6.1/dist/chart.umd.min.js chart.umd.min.js
cp "$work"/chart.js-4.6.1/LICENSE.md chart.js.LICENSE.md
cp "$work"/picocss-pico-2.1.1/css/pico.min.css pico.min.css
cp "$work"/picocss-pico-2.1.1/LICENSE.md pico.LICENSE.md
