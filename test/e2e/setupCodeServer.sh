#!/usr/bin/env bash
# Installs code-server 4.100.3 (VS Code 1.100.3) for the end-to-end tests, by hand as
# ../shared/reference/environment.md describes (its npm install script cannot run here).
# Idempotent: a finished install is marked and reused. Needs Debian's chromium, libkrb5-dev, ripgrep.
set -euo pipefail
VERSION=4.100.3
CACHE="${MECHLENS_E2E_CACHE:-$HOME/.cache/mechlens-e2e}"
ROOT="$CACHE/code-server-$VERSION"
if [ -f "$ROOT/.installed" ]; then echo "$ROOT"; exit 0; fi
rm -rf "$ROOT" && mkdir -p "$ROOT"
cd "$ROOT"
npm pack "code-server@$VERSION" --silent >/dev/null
tar xzf "code-server-$VERSION.tgz"
cd package
npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
(cd lib/vscode && npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
(cd lib/vscode/extensions && npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
# node-pty is left out: it fails to build here and only terminals need it.
(cd lib/vscode && npm rebuild @vscode/spdlog @parcel/watcher native-watchdog kerberos @vscode/deviceid --loglevel=error >/dev/null && ln -sf node_modules node_modules.asar)
npm rebuild argon2 --loglevel=error >/dev/null
mkdir -p lib/vscode/node_modules/@vscode/ripgrep/bin
ln -sf "$(command -v rg)" lib/vscode/node_modules/@vscode/ripgrep/bin/rg
touch "$ROOT/.installed"
echo "$ROOT"
