#!/usr/bin/env bash
# Installs Debian's prometheus package (bookworm: 2.42) into ~/.cache/kv-operator/prometheus/<version>/ without
# installing it system-wide: `apt-get install prometheus` would start a daemon listening on every interface. The
# package is downloaded and unpacked; only the binary is used (it links only libc). Prints the binary's path.
# Idempotent: a cached binary is reused.
set -euo pipefail
cache="${KV_OPERATOR_CACHE:-$HOME/.cache/kv-operator}/prometheus"
existing=$(ls -d "$cache"/*/usr/bin/prometheus 2>/dev/null | head -1 || true)
if [ -n "$existing" ] && "$existing" --version >/dev/null 2>&1; then
  echo "$existing"
  exit 0
fi
command -v apt-get >/dev/null || { echo "install_prometheus: needs apt-get (Debian)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
# apt-get download needs the package lists; a fresh machine may have none yet.
if ! apt-get download prometheus >/dev/null 2>"$tmp/err"; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null
    apt-get download prometheus >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
  else
    cat "$tmp/err" >&2
    exit 1
  fi
fi
deb=$(ls prometheus_*.deb)
version=$(dpkg-deb -f "$deb" Version)
dest="$cache/$version"
rm -rf "$dest.partial"
mkdir -p "$dest.partial"
dpkg-deb -x "$deb" "$dest.partial"
rm -rf "$dest"
mv "$dest.partial" "$dest"
"$dest/usr/bin/prometheus" --version >/dev/null
echo "$dest/usr/bin/prometheus"
