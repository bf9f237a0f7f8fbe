#!/usr/bin/env bash
# Install the Debian packages the lab and the tests need, once. Idempotent and quiet when
# everything is there already.
set -euo pipefail
packages=(docker.io debootstrap pebble docker-registry busybox-static curl openssl jq
          prometheus git ca-certificates nginx-light bind9 bind9-dnsutils openssh-client testssl.sh)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "lab: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
