# Sourced by the set-up scripts. `quiet LABEL COMMAND...` prints LABEL, runs COMMAND with its output
# appended to the set-up log, and shows the log's end only when COMMAND fails (then exits with its
# code): a user reads one line per step, not apt's, pip's and npm's chatter.
OM_SETUP_LOG="${OM_SETUP_LOG:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.cache/setup.log}"
mkdir -p "$(dirname "$OM_SETUP_LOG")"

quiet() {
  local label="$1" code=0
  shift
  echo "$label"
  echo "=== $(date -Is) $label: $*" >>"$OM_SETUP_LOG"
  "$@" >>"$OM_SETUP_LOG" 2>&1 </dev/null || code=$?
  if [ "$code" != 0 ]; then
    echo "FAILED (exit $code): $label. The end of $OM_SETUP_LOG:" >&2
    tail -n 40 "$OM_SETUP_LOG" >&2
    exit "$code"
  fi
}
