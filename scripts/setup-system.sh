#!/usr/bin/env bash
# The root-only part of the test setup: Debian's Chromium (drives the VS Code workbench headless),
# libkrb5-dev (gssapi.h, which code-server's kerberos addon needs to build) and nats-server (the cluster
# tests start their own JetStream servers on 127.0.0.1). Fast when all are there.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -f /usr/include/gssapi.h ] || [ -f /usr/include/gssapi/gssapi.h ] || missing+=(libkrb5-dev)
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || missing+=(nats-server)

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-system: chromium, libkrb5-dev and nats-server are present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-system: missing Debian packages: ${missing[*]}" >&2
  echo "setup-system: install them as root:  apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "setup-system: installing ${missing[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
# Bounded: a hung mirror must not stall CI for its whole budget.
timeout 600 apt-get -o DPkg::Lock::Timeout=600 update -q
# Another apt-get may hold the dpkg lock (a developer machine): wait for it rather than fail.
# Never with recommends: Chromium's pull in avahi-daemon (an mDNS responder on every interface) and
# cups. Its one recommend that the workbench needs, a font with real metrics, is named instead.
packages=("${missing[@]}")
for pkg in "${missing[@]}"; do
  if [ "$pkg" = chromium ]; then packages+=(fonts-liberation); fi
done
timeout 1200 apt-get install -o DPkg::Lock::Timeout=600 -y -q --no-install-recommends "${packages[@]}" </dev/null
for pkg in "${missing[@]}"; do
  # Debian starts a system-wide server on 127.0.0.1:4222 at boot; the tests start their own on free ports.
  if [ "$pkg" = nats-server ] && [ -d /run/systemd/system ]; then systemctl disable --now nats-server >/dev/null 2>&1 || true; fi
done

for pkg in "${missing[@]}"; do
  case "$pkg" in
    chromium) [ -x /usr/bin/chromium ] || { echo "setup-system: /usr/bin/chromium still missing" >&2; exit 1; } ;;
    libkrb5-dev) [ -f /usr/include/gssapi.h ] || [ -f /usr/include/gssapi/gssapi.h ] \
      || { echo "setup-system: gssapi.h still missing" >&2; exit 1; } ;;
    nats-server) command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] \
      || { echo "setup-system: nats-server still missing" >&2; exit 1; } ;;
  esac
done
echo "setup-system: done"
