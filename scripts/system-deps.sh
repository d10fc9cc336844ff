#!/usr/bin/env bash
# What the tests need from the system, on Debian 12: installs the missing packages (as root) and
# starts a Redis server when none answers on 127.0.0.1:6379. `make test` runs it first.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

# Kannel (SMS gateway + its fake SMSC), Chromium and its WebDriver (web chat), docker-compose
# (validates docker-compose.yml; no engine needed), redis-server.
packages=(kannel kannel-extras chromium chromium-driver docker-compose redis-server)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "The tests need these Debian packages: ${missing[*]}" >&2
    echo "Install them (sudo apt-get install ${missing[*]}) or run this script as root." >&2
    exit 1
  fi
  apt-get update -qq
  # Keep the packages' own services (kannel, redis) from starting: the tests run their own.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  dir=$(mktemp -d /tmp/triage-redis.XXXX)
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir "$dir" --logfile "$dir/redis.log"
  for _ in $(seq 50); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
