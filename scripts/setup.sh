#!/usr/bin/env bash
# Everything Objective Monitor needs on a fresh Debian 12 machine, idempotent and quick when nothing is
# missing: Debian packages (Chromium for the browser tests, Neovim for the LSP test, xmllint for the
# JUnit report's schema test), Python packages (Gymnasium, NumPy, PyTorch, Ray), npm packages, the VS Code
# server (scripts/installVscodeServer.sh) and the build.
# It prints one line per step it has to take; the tools' own output goes to .cache/setup.log and is
# shown only when a step fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/quiet.sh
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

apt_need=()
for p in chromium neovim libxml2-utils; do dpkg -s "$p" >/dev/null 2>&1 || apt_need+=("$p"); done
if ((${#apt_need[@]})); then
  quiet "setup: installing Debian packages: ${apt_need[*]}" \
    bash -c "$SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq ${apt_need[*]}"
fi

# find_spec, not import: importing Gymnasium takes seconds, finding it does not.
if ! python3 -c 'import importlib.util as u, sys; sys.exit(0 if u.find_spec("gymnasium") and u.find_spec("numpy") else 1)'; then
  quiet "setup: installing Python packages: gymnasium numpy" python3 -m pip install -q gymnasium numpy
fi
# Ray: the sharded-calibration driver's engine test (test/engine/rayShards.test.ts) runs on a local
# Ray instance; the product itself does not need it.
if ! python3 -c 'import importlib.util as u, sys; sys.exit(0 if u.find_spec("ray") else 1)'; then
  quiet "setup: installing Python packages: ray" python3 -m pip install -q ray
fi

# PyTorch agents in Python scenarios (test/engine/torchAgent.test.ts); about 200 MB for the CPU build.
if ! python3 -c 'import importlib.util as u, sys; sys.exit(0 if u.find_spec("torch") else 1)'; then
  quiet "setup: installing Python packages: torch" python3 -m pip install -q torch
fi

if [ ! -d node_modules ] || ! why="$(node scripts/nodeModulesCurrent.mjs)"; then
  # npm ci replaces node_modules; through a link it would replace another checkout's packages.
  if [ -L node_modules ]; then
    echo "setup: node_modules links to $(readlink -f node_modules), which does not match package-lock.json (${why:-}); run npm ci there" >&2
    exit 1
  fi
  # onnxruntime-node's install script only downloads optional CUDA binaries (the CPU ones ship in
  # the package); skip it so an offline machine installs.
  export ONNXRUNTIME_NODE_INSTALL=skip
  quiet "setup: installing npm packages (npm ci)" npm ci --no-audit --no-fund --loglevel=error
fi

bash scripts/installVscodeServer.sh

# Rebuild only when a source is newer than the oldest bundle: a rebuild rewrites dist/ under a VS Code
# that may be running from it.
build_stale() {
  local o oldest=""
  for o in dist/cli.js dist/runner.js dist/extension.js dist/server.js dist/webview/main.js; do
    [ -f "$o" ] || return 0
    if [ -z "$oldest" ] || [ "$o" -ot "$oldest" ]; then oldest="$o"; fi
  done
  [ -n "$(find src webview esbuild.mjs tsconfig.json package-lock.json -type f -newer "$oldest" -print -quit)" ]
}
if build_stale; then
  quiet "setup: building (node esbuild.mjs)" node esbuild.mjs
fi
echo "setup: ready"
