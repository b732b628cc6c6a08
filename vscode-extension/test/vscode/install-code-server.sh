#!/usr/bin/env bash
# Installs npm code-server (VS Code 1.100.3 in the browser, extension host on Node 20) offline into
# a cache folder outside the repo, once: a second run only checks the stamp file.
# code-server's postinstall downloads prebuilt binaries and ripgrep from GitHub, which fails here;
# these are the same steps without the downloads (native modules built against /usr/include/node,
# ripgrep from Debian). Prints the install directory on its last line.
set -euo pipefail
CS_VERSION=${CS_VERSION:-4.100.3}   # the last release whose engines accept Node 20
CACHE=${EXBERT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/exbert-ls}
CS="$CACHE/code-server-$CS_VERSION"
if [ -f "$CS/.installed" ]; then echo "$CS"; exit 0; fi

NICE="nice -n 15"
export npm_config_nodedir=/usr      # node headers from Debian's nodejs package, no download
missing=()
command -v rg >/dev/null || missing+=(ripgrep)
command -v krb5-config >/dev/null || missing+=(libkrb5-dev)
command -v g++ >/dev/null || missing+=(g++)
command -v make >/dev/null || missing+=(make)
command -v chromium >/dev/null || missing+=(chromium)
[ -f /usr/include/node/node_version.h ] || missing+=(libnode-dev)
if [ ${#missing[@]} -gt 0 ]; then
  echo "apt-get install ${missing[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

mkdir -p "$CACHE"
TMP=$(mktemp -d "$CACHE/install.XXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
$NICE npm pack "code-server@$CS_VERSION" --silent >/dev/null
tar xzf "code-server-$CS_VERSION.tgz"
cd package
$NICE npm install --omit=dev --ignore-scripts --no-audit --no-fund --silent
$NICE npm rebuild argon2 --build-from-source --silent
cd lib/vscode
$NICE npm install --omit=dev --ignore-scripts --no-audit --no-fund --silent
$NICE npm rebuild @vscode/spdlog @vscode/deviceid kerberos native-watchdog @vscode/windows-process-tree @vscode/windows-registry --silent
# node-pty's postinstall runs `npx node-gyp` (a download): build it with npm's bundled node-gyp
GYP="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
(cd node_modules/node-pty && $NICE node "$GYP" rebuild >"$TMP/node-pty.log" 2>&1) || { cat "$TMP/node-pty.log" >&2; exit 3; }
mkdir -p node_modules/@vscode/ripgrep/bin && cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
ln -sfn node_modules node_modules.asar
ln -sfn code-linux.sh bin/remote-cli/code-server
ln -sfn browser-linux.sh bin/helpers/browser.sh
(cd extensions && $NICE npm install --omit=dev --no-audit --no-fund --silent >/dev/null)
for f in node_modules/@vscode/spdlog/build/Release/spdlog.node node_modules/node-pty/build/Release/pty.node \
         node_modules/native-watchdog/build/Release/watchdog.node node_modules/kerberos/build/Release/kerberos.node; do
  [ -f "$f" ] || { echo "native module not built: $f" >&2; exit 3; }
done
cd "$TMP"
rm -rf "$CS" && mv package "$CS"    # atomic enough: a half install never carries the stamp
touch "$CS/.installed"
echo "$CS"
