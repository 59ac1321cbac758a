#!/usr/bin/env bash
# Builds kube-apiserver and etcd from the Go module proxy (no release downloads are reachable here) and caches them
# by version, so a machine that already has them skips the work. Recipe: ../shared/docs/control-plane.md §1–2.
# Prints the directory holding the binaries on its last line of stdout; progress goes to stderr.
set -euo pipefail

K8S_VERSION=${K8S_VERSION:-v1.34.4}
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
CACHE_ROOT=${KUBE_TEST_BIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kv-operator/control-plane}
OUT="$CACHE_ROOT/k8s-$K8S_VERSION-etcd-$ETCD_VERSION"

log() { printf '[control-plane] %s\n' "$*" >&2; }

if [ -x "$OUT/kube-apiserver" ] && [ -x "$OUT/etcd" ]; then
  log "cached: $OUT"
  echo "$OUT"
  exit 0
fi
command -v go >/dev/null || { log "error: go is not on PATH (needed to build kube-apiserver and etcd)"; exit 1; }
mkdir -p "$OUT"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export CGO_ENABLED=0 GOFLAGS=-mod=mod

# Shows the build is alive: elapsed time every 30 s while the (minutes-long) go build runs.
run_with_progress() {
  local what=$1; shift
  local start=$SECONDS
  "$@" &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    if (( (SECONDS - start) % 30 < 5 )) && kill -0 "$pid" 2>/dev/null; then
      log "$what: still building ($((SECONDS - start)) s)"
    fi
  done
  wait "$pid"
  log "$what: done in $((SECONDS - start)) s"
}

if [ ! -x "$OUT/etcd" ]; then
  log "building etcd $ETCD_VERSION (first time only; about 1 min)"
  mkdir -p "$WORK/etcd" && cd "$WORK/etcd"
  printf 'module local/etcd-build\n\ngo 1.24.0\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" >go.mod
  run_with_progress etcd go build -trimpath -ldflags "-s -w" -o "$OUT/etcd.tmp" go.etcd.io/etcd/server/v3
  mv "$OUT/etcd.tmp" "$OUT/etcd"
fi

if [ ! -x "$OUT/kube-apiserver" ]; then
  log "building kube-apiserver $K8S_VERSION (first time only; about 3-5 min on 2 cores, downloads included)"
  STAGING=v0.${K8S_VERSION#v1.}
  MINOR=${K8S_VERSION#v1.}
  MINOR=${MINOR%%.*}
  mkdir -p "$WORK/k8s" && cd "$WORK/k8s"
  log "fetching k8s.io/kubernetes@$K8S_VERSION go.mod"
  # `go list -m` fetches only the go.mod (the module zip comes with the build, under its progress lines).
  UPSTREAM_MOD=$(go list -m -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
  [ -f "$UPSTREAM_MOD" ] || { log "error: could not download k8s.io/kubernetes@$K8S_VERSION from the module proxy"; exit 1; }
  {
    echo 'module local/kube-apiserver-build'
    echo
    grep -E '^(go|godebug) ' "$UPSTREAM_MOD"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    echo 'replace ('
    # Every staging module is required at v0.0.0 upstream; point each at its published tag instead.
    sed -n 's#^[[:space:]]*\(k8s\.io/[A-Za-z0-9._-]*\) => \./staging/src/.*#\1#p' "$UPSTREAM_MOD" |
      while read -r m; do echo "	$m => $m $STAGING"; done
    echo ')'
  } >go.mod
  run_with_progress kube-apiserver go build -trimpath -tags selinux,notest,grpcnotrace \
    -ldflags "-s -w \
      -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 \
      -X k8s.io/component-base/version.gitMinor=$MINOR -X k8s.io/component-base/version.gitTreeState=clean \
      -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION" \
    -o "$OUT/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver
  mv "$OUT/kube-apiserver.tmp" "$OUT/kube-apiserver"
fi

# Not `| head -1`: under pipefail, etcd dying of SIGPIPE when head exits early failed a finished build (exit 141).
"$OUT/etcd" --version 2>&1 | sed -n 1p >&2 || true
"$OUT/kube-apiserver" --version >&2
echo "$OUT"
