#!/usr/bin/env bash
# Packs the npm packages as `npm publish` ships them, into target/npm/:
# - apigw-management (JavaScript and types, no addon) with `optionalDependencies` on every
#   platform package of npm/ at the same version (added here, as napi-rs's `prepublish`
#   does: the checkout's package.json has none, so `npm ci` never looks them up);
# - apigw-management-<platform> for each npm/<platform>/ whose addon is built
#   (scripts/build-node-addon.sh TARGET).
# Usage: scripts/pack-npm.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out="$PWD/target/npm"
rm -rf "$out" && mkdir -p "$out/main"

# The main package: the files `npm pack` would take, copied, then package.json completed.
npm pack --dry-run --json 2>/dev/null \
  | node -e 'for (const f of JSON.parse(require("fs").readFileSync(0, "utf8"))[0].files) console.log(f.path)' \
  | while read -r f; do mkdir -p "$out/main/$(dirname "$f")" && cp "$f" "$out/main/$f"; done
node - "$out/main/package.json" <<'JS'
const fs = require('node:fs')
const path = require('node:path')
const file = process.argv[2]
const pkg = JSON.parse(fs.readFileSync(file, 'utf8'))
pkg.optionalDependencies = {}
for (const dir of fs.readdirSync('npm').sort()) {
  const sub = JSON.parse(fs.readFileSync(path.join('npm', dir, 'package.json'), 'utf8'))
  if (sub.version !== pkg.version) throw new Error(`npm/${dir}: version ${sub.version}, main ${pkg.version}`)
  pkg.optionalDependencies[sub.name] = sub.version
}
fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + '\n')
JS
(cd "$out/main" && npm pack --silent --pack-destination "$out" >/dev/null)

# The platform packages whose addon is built.
for dir in npm/*/; do
  p=$(basename "$dir")
  [[ -f "$dir/apigw-management.$p.node" ]] || continue
  cp LICENSE "$dir/LICENSE"
  npm pack --silent --pack-destination "$out" "./$dir" >/dev/null
  rm "$dir/LICENSE"
done
rm -rf "$out/main"
ls -l "$out"
