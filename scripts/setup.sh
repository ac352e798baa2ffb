#!/usr/bin/env bash
# Everything Objective Monitor needs on a fresh Debian 12 machine, idempotent: Debian packages
# (Chromium for the browser tests, Neovim for the LSP test, xmllint for the JUnit report's schema test), Python packages (Gymnasium, NumPy, PyTorch),
# npm packages, and the build. Extra set-up steps for the VS Code tests live in
# scripts/installVscodeServer.sh, which this calls when present.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_need=()
for p in chromium neovim libxml2-utils; do dpkg -s "$p" >/dev/null 2>&1 || apt_need+=("$p"); done
if ((${#apt_need[@]})); then
  echo "setup: apt-get install ${apt_need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${apt_need[@]}" >/dev/null
fi

if ! python3 -c 'import gymnasium, numpy' 2>/dev/null; then
  echo "setup: pip install gymnasium numpy"
  python3 -m pip install -q gymnasium numpy
fi

# PyTorch agents in Python scenarios (test/engine/torchAgent.test.ts); about 200 MB for the CPU build.
if ! python3 -c 'import torch' 2>/dev/null; then
  echo "setup: pip install torch"
  python3 -m pip install -q torch
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  # onnxruntime-node's install script only downloads optional CUDA binaries (the CPU ones ship in
  # the package); skip it so an offline machine installs.
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error
fi

if [ -x scripts/installVscodeServer.sh ]; then scripts/installVscodeServer.sh; fi

npm run --silent build
echo "setup: done"
