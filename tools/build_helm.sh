#!/usr/bin/env bash
# Builds helm from the Go module proxy (no release downloads are reachable here) and caches it by version, so a
# machine that already has it skips the work (about 2 min on 2 cores the first time). Used by `deno task release`
# (helm package) and the chart tests (tests/packaging/). Prints the binary's path on its last line of stdout;
# progress goes to stderr.
set -euo pipefail

HELM_VERSION=${HELM_VERSION:-v3.22.0}
CACHE_ROOT=${XDG_CACHE_HOME:-$HOME/.cache}/kv-operator/helm
OUT="$CACHE_ROOT/$HELM_VERSION"

log() { printf '[helm] %s\n' "$*" >&2; }

if [ -x "$OUT/helm" ]; then
  log "cached: $OUT/helm"
  echo "$OUT/helm"
  exit 0
fi
command -v go >/dev/null || { log "error: go is not on PATH (needed to build helm)"; exit 1; }
mkdir -p "$OUT"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export CGO_ENABLED=0 GOFLAGS=-mod=mod

log "building helm $HELM_VERSION from the Go module proxy (first time only; about 2 min on 2 cores)"
start=$SECONDS
# `helm version` reports what the ldflag says; without it helm reports a development version.
GOBIN="$WORK" go install -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
  "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
  sleep 5
  if (( (SECONDS - start) % 30 < 5 )) && kill -0 "$pid" 2>/dev/null; then
    log "still building ($((SECONDS - start)) s)"
  fi
done
wait "$pid"
mv "$WORK/helm" "$OUT/helm"
log "done in $((SECONDS - start)) s: $("$OUT/helm" version --short)"
echo "$OUT/helm"
