#!/usr/bin/env bash
# `npm run test:vscode`: the extension in a real VS Code (code-server 4.100.3, installed once into
# ~/.cache/exbert-ls by install-code-server.sh), driven by headless chromium (drive.mjs).
# A throwaway profile and workspace in a temp dir; screenshots in test/vscode/screenshots/.
# Then Restricted Mode (restricted.mjs) in a second code-server with workspace trust on.
# Kills code-server's whole process group (server, extension host, exbert-ls) on every exit.
set -euo pipefail
EXT=$(cd "$(dirname "$0")/../.." && pwd)
REPO=$(dirname "$EXT")
PYTHON=${EXBERT_PYTHON:-$REPO/.venv/bin/python}
[ -x "$PYTHON" ] || { echo "test:vscode skipped: no $PYTHON (make setup)"; exit 0; }
T0=$(date +%s)
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"   # this checkout's exbert_ls, inherited by exbert-ls
CS=$(bash "$EXT/test/vscode/install-code-server.sh" | tail -1)
echo "[test:vscode] code-server ready in $(( $(date +%s) - T0 )) s: $CS"
cd "$EXT" && npm run --silent build && npx vsce package --no-dependencies --out "${TMPDIR:-/tmp}/exbert-ls-e2e.vsix" >/dev/null

RUN=$(mktemp -d "${TMPDIR:-/tmp}/exbert-vscode.XXXX")
SHOTS="$EXT/test/vscode/screenshots"
rm -rf "$SHOTS" && mkdir -p "$SHOTS" "$RUN/data/Machine" "$RUN/data/User" "$RUN/ext" "$RUN/ws/corpus" "$RUN/home"
export XDG_CONFIG_HOME="$RUN/home" XDG_DATA_HOME="$RUN/home"
PORT=${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
cat > "$RUN/config.yaml" <<YAML
bind-addr: 127.0.0.1:$PORT
auth: none
cert: false
disable-telemetry: true
disable-update-check: true
disable-workspace-trust: true
disable-getting-started-override: true
YAML
# exbert.pythonPath is machine-scoped: it goes into the machine settings
printf '{ "exbert.pythonPath": "%s" }\n' "$PYTHON" > "$RUN/data/Machine/settings.json"
cat > "$RUN/data/User/settings.json" <<JSON
{ "telemetry.telemetryLevel": "off", "update.mode": "none", "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false, "extensions.ignoreRecommendations": true, "workbench.startupEditor": "none",
  "workbench.tips.enabled": false, "security.workspace.trust.enabled": false, "window.restoreWindows": "none",
  "exbert.corpusFolders": ["corpus"], "workbench.colorTheme": "Default Dark Modern" }
JSON
cp "$EXT/test/vscode/workspace/notes.txt" "$RUN/ws/notes.txt"
cp "$EXT/test/vscode/workspace/corpus/"*.txt "$RUN/ws/corpus/"
CODE=(node "$CS/out/node/entry.js" --config "$RUN/config.yaml" --user-data-dir "$RUN/data" --extensions-dir "$RUN/ext")
"${CODE[@]}" --install-extension "${TMPDIR:-/tmp}/exbert-ls-e2e.vsix" >/dev/null

setsid "${CODE[@]}" "$RUN/ws" >"$RUN/code-server.log" 2>&1 &
PID=$!
halt() {  # code-server's whole process group: server, extension host, exbert-ls
  kill -TERM -- "-$PID" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 -- "-$PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$PID" 2>/dev/null || true
}
stop() {
  halt
  cp -r "$RUN/data/logs" "$SHOTS/logs" 2>/dev/null || true
  cp -r "$RUN/data2/logs" "$SHOTS/logs-restricted" 2>/dev/null || true
  rm -rf "$RUN"
}
trap stop EXIT
healthy() { for _ in $(seq 150); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done; }
healthy
T1=$(date +%s)
WS="$RUN/ws" SHOTS="$SHOTS" LOGS="$RUN/data/logs" CS_URL="http://127.0.0.1:$PORT/?folder=$RUN/ws" \
  PLAYWRIGHT_CORE="$EXT/node_modules/playwright-core" timeout 300 node "$EXT/test/vscode/drive.mjs"
echo "[test:vscode] drive $(( $(date +%s) - T1 )) s"

# Restricted Mode: workspace trust on, a fresh profile and an untrusted workspace
halt
T2=$(date +%s)
mkdir -p "$RUN/data2/Machine" "$RUN/data2/User" "$RUN/ws2"
grep -v disable-workspace-trust "$RUN/config.yaml" > "$RUN/config2.yaml"
cp "$RUN/data/Machine/settings.json" "$RUN/data2/Machine/settings.json"
sed -e 's/"security.workspace.trust.enabled": false/"security.workspace.trust.enabled": true, "security.workspace.trust.startupPrompt": "never"/' \
  "$RUN/data/User/settings.json" > "$RUN/data2/User/settings.json"
cp "$EXT/test/vscode/workspace/notes.txt" "$RUN/ws2/notes.txt"
setsid node "$CS/out/node/entry.js" --config "$RUN/config2.yaml" --user-data-dir "$RUN/data2" --extensions-dir "$RUN/ext" \
  "$RUN/ws2" >"$RUN/code-server2.log" 2>&1 &
PID=$!
healthy
SHOTS="$SHOTS" LOGS="$RUN/data2/logs" CS_URL="http://127.0.0.1:$PORT/?folder=$RUN/ws2" \
  PLAYWRIGHT_CORE="$EXT/node_modules/playwright-core" timeout 120 node "$EXT/test/vscode/restricted.mjs"
echo "[test:vscode] restricted mode $(( $(date +%s) - T2 )) s, total $(( $(date +%s) - T0 )) s; screenshots in $SHOTS"
