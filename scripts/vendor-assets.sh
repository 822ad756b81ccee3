#!/usr/bin/env bash
# Vendor the browser libraries the app serves itself (never from a CDN).
#
# `npm ci` installs the exact versions of web/package-lock.json, then the dist files
# the app needs are copied into api/static/vendor/ (and axe-core, which only the
# browser tests inject, into tests/browser/vendor/). The copies are committed, so
# neither a deployment nor CI needs npm; run this script only to change a version:
# edit web/package.json, `npm install --ignore-scripts` in web/, run this, commit.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WEB="$ROOT/web"
STATIC="$ROOT/api/static/vendor"
TESTS="$ROOT/tests/browser/vendor"

(cd "$WEB" && npm ci --ignore-scripts --no-audit --no-fund)
NODE_MODULES="$WEB/node_modules"

# source (under node_modules) -> destination
copies=(
    "@tabler/core/dist/css/tabler.min.css|$STATIC/tabler/tabler.min.css"
    "echarts/dist/echarts.min.js|$STATIC/echarts/echarts.min.js"
    "echarts/LICENSE|$STATIC/echarts/LICENSE"
    "echarts/NOTICE|$STATIC/echarts/NOTICE"
    "swagger-ui-dist/swagger-ui-bundle.js|$STATIC/swagger-ui/swagger-ui-bundle.js"
    "swagger-ui-dist/swagger-ui.css|$STATIC/swagger-ui/swagger-ui.css"
    "swagger-ui-dist/LICENSE|$STATIC/swagger-ui/LICENSE"
    "swagger-ui-dist/NOTICE|$STATIC/swagger-ui/NOTICE"
    "swagger-ui-dist/swagger-ui-bundle.js.LICENSE.txt|$STATIC/swagger-ui/swagger-ui-bundle.js.LICENSE.txt"
    "redoc/bundles/redoc.standalone.js|$STATIC/redoc/redoc.standalone.js"
    "redoc/bundles/redoc.standalone.js.LICENSE.txt|$STATIC/redoc/redoc.standalone.js.LICENSE.txt"
    "redoc/LICENSE|$STATIC/redoc/LICENSE"
    "axe-core/axe.min.js|$TESTS/axe-core/axe.min.js"
    "axe-core/LICENSE|$TESTS/axe-core/LICENSE"
    "axe-core/LICENSE-3RD-PARTY.txt|$TESTS/axe-core/LICENSE-3RD-PARTY.txt"
)
rm -rf "$STATIC" "$TESTS"
for pair in "${copies[@]}"; do
    source="$NODE_MODULES/${pair%%|*}"
    target="${pair#*|}"
    mkdir -p "$(dirname "$target")"
    # The minified files end in a sourceMappingURL comment; the maps are not shipped,
    # so the comment goes (a browser's developer tools would otherwise ask for them).
    case "$target" in
        *.js | *.css) sed -E '$ s@(/[/*])# sourceMappingURL=[^ *]*( ?\*/)?$@@' "$source" >"$target" ;;
        *) cp "$source" "$target" ;;
    esac
done
# ReDoc's sidebar footer shows a logo from Redocly's CDN; point it at an empty data:
# URI instead (the image then fails to load and ReDoc hides it): nothing may leave.
sed -i 's@https://cdn\.redoc\.ly/redoc/logo-mini\.svg@data:,@' "$STATIC/redoc/redoc.standalone.js"
if grep -qE 'https://cdn\.' "$STATIC/redoc/redoc.standalone.js"; then
    echo "redoc.standalone.js still names a CDN" >&2
    exit 1
fi

(cd "$WEB" && node -e '
const lock = require("./package-lock.json");
for (const name of Object.keys(require("./package.json").dependencies)) {
  const entry = lock.packages["node_modules/" + name];
  console.log(`${name} ${entry.version} ${entry.license || ""}`);
}')
echo "vendored into $STATIC and $TESTS"
