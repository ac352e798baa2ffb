#!/usr/bin/env bash
# The quick start's first command: set everything up, build, and open the extension in VS Code on the
# examples folder — desktop VS Code when `code` is on PATH, otherwise the browser-based VS Code server
# (scripts/startVscodeServer.sh: its last line is the URL to open; Ctrl-C stops it).
# Environment: OM_PORT (default 8123, 0 for any free port), OM_STATE_DIR (the server's folders),
# OM_USE_SERVER=1 (the browser path even when `code` is on PATH).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup.sh"
if command -v code >/dev/null 2>&1 && [ -z "${OM_USE_SERVER:-}" ]; then
  echo "opening desktop VS Code with the extension on $ROOT/examples"
  exec code --extensionDevelopmentPath="$ROOT" "$ROOT/examples"
fi
exec bash "$ROOT/scripts/startVscodeServer.sh" "$ROOT/examples" "${OM_PORT:-8123}"
