#!/usr/bin/env bash
# Installs code-server 4.100.3 from the npm registry into $1 without its download steps
# (the recipe of shared/reference/vscode-e2e.md). Needs Debian packages: see make e2e-deps.
set -euo pipefail
dest="$1"
mkdir -p "$dest" && cd "$dest"
# A package.json of its own, or npm would install into the nearest enclosing package.
[ -f package.json ] || echo '{"name": "code-server-install", "private": true}' > package.json
export npm_config_nodedir=/usr npm_config_build_from_source=true npm_config_yes=true
npm install --no-audit --no-fund --ignore-scripts code-server@4.100.3
npm rebuild argon2
cd node_modules/code-server/lib/vscode
npm install --no-audit --no-fund --omit=dev --ignore-scripts
mkdir -p node_modules/@vscode/ripgrep/bin && cp /usr/bin/rg node_modules/@vscode/ripgrep/bin/rg
npm rebuild
ln -sfn node_modules node_modules.asar
(cd bin/remote-cli && ln -sfn code-linux.sh code-server)
(cd bin/helpers && ln -sfn browser-linux.sh browser.sh)
(cd extensions && npm install --no-audit --no-fund --omit=dev)
