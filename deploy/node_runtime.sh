#!/bin/sh
# The runtime switch: picks the Node.js that runs beckon, then runs it.
#   deploy/node_runtime.sh ARGS...   runs `node ARGS...` on the chosen Node
#   deploy/node_runtime.sh --which   prints the chosen Node's path
# uWebSockets.js (the @trufflesuite build) ships native binaries for a few Node ABIs only
# (93, 108, 115 = Node 16, 18, 20). The choice, in order:
#   1. BECKON_NODE, if set: used as is; if uWebSockets.js has no binary for it, a clear error
#      (exit 3) rather than a silent switch to another Node.
#   2. `node` on PATH, if uWebSockets.js has a binary for its ABI.
#   3. The project-local Node 20: node_modules/node-runtime-<platform>-<arch>, an optional
#      dependency pinned in package-lock.json; says so in one line on stderr.
# Native addons (lmdb, msgpackr-extract) pick their prebuild by ABI (or N-API) when loaded,
# so they follow whichever Node this picks.
set -eu

ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
UWS="$ROOT/node_modules/uWebSockets.js"

# Prints "VERSION ABI PLATFORM ARCH NATIVE" for a Node binary (NATIVE: yes when it loads
# uWebSockets.js natively, not through its ws fallback); fails if it is not a runnable Node.
probe() {
  env -u UWS_USE_FALLBACK "$1" -e '
    const r = require("node:module").createRequire(process.argv[1] + "/")
    let native = "no"
    console.warn = () => {}
    try {
      r("uWebSockets.js")
      let fallback
      try { fallback = r.resolve("uWebSockets.js/dist/index.js") } catch {}
      if (!fallback || !r.cache[fallback]) native = "yes"
    } catch {}
    const v = process.versions
    console.log([process.version, v.modules, process.platform, process.arch, native].join(" "))
  ' "$ROOT" 2>/dev/null
}

# The ABIs uWebSockets.js has binaries for on this platform, e.g. "93, 108, 115" (in binaries/
# for the @trufflesuite build, at the top for official releases).
binary_abis() {
  ls "$UWS" "$UWS/binaries" 2>/dev/null |
    sed -n "s/^uws_$1_$2_\([0-9]*\)\.node$/\1/p" | sort -n | paste -sd, - | sed 's/,/, /g'
}

unsupported() { # VERSION ABI PLATFORM ARCH
  abis=$(binary_abis "$3" "$4")
  echo "uWebSockets.js has no $3-$4 binary for Node $1 (ABI $2), only for ABIs ${abis:-none}"
}

pick() {
  if [ ! -d "$UWS" ]; then
    echo "beckon: uWebSockets.js is not installed in $ROOT/node_modules: run \`npm ci\` (make install) first" >&2
    exit 3
  fi
  if [ -n "${BECKON_NODE:-}" ]; then
    if ! info=$(probe "$BECKON_NODE"); then
      echo "beckon: BECKON_NODE=$BECKON_NODE is not a runnable Node.js" >&2
      exit 3
    fi
    set -- $info
    if [ "$5" != yes ]; then
      echo "beckon: BECKON_NODE=$BECKON_NODE: $(unsupported "$@"). Unset BECKON_NODE to use the project-local Node 20, point it at a Node 20, or install an official uWebSockets.js release built for ABI $2 (README, \"Node.js versions\")." >&2
      exit 3
    fi
    echo "$BECKON_NODE"
    return
  fi
  system=$(command -v node || true)
  if [ -n "$system" ] && info=$(probe "$system"); then
    set -- $info
    if [ "$5" = yes ]; then
      echo "$system"
      return
    fi
    why=$(unsupported "$@")
    platform=$3 arch=$4
  else
    why="no node on PATH"
    case $(uname -s) in Linux) platform=linux ;; Darwin) platform=darwin ;; *) platform=unknown ;; esac
    case $(uname -m) in x86_64 | amd64) arch=x64 ;; aarch64 | arm64) arch=arm64 ;; *) arch=unknown ;; esac
  fi
  local_node="$ROOT/node_modules/node-runtime-$platform-$arch/bin/node"
  if [ -x "$local_node" ] && info=$(probe "$local_node"); then
    set -- $info
    if [ "$5" = yes ]; then
      echo "beckon: $why; running on the project-local Node $1 (${local_node#"$ROOT"/})" >&2
      echo "$local_node"
      return
    fi
  fi
  echo "beckon: $why, and there is no usable project-local Node 20 at $local_node (run \`npm ci\`; the package exists for linux-x64, linux-arm64 and darwin-x64). Set BECKON_NODE to a Node 20 binary." >&2
  exit 3
}

if [ "${1:-}" = --which ]; then
  pick
  exit 0
fi
node=$(pick)
exec "$node" "$@"
