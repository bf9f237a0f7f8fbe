#!/usr/bin/env bash
# Stop what lab/up.sh started, and only that: the host containers it named and the
# processes whose PIDs it recorded in .lab/. Images and the registry's storage stay
# (they are the cache that makes the next lab/up.sh fast).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LAB="$ROOT/.lab"

stop_pid() {
  local name=$1 pidfile="$LAB/$1.pid"
  [ -f "$pidfile" ] || return 0
  local pid
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
    echo "lab: stopped $name (pid $pid)"
  fi
  rm -f "$pidfile"
}

if docker info >/dev/null 2>&1; then
  for name in opsforge-lab-panel opsforge-lab-deploy opsforge-lab-fleet{1..6}; do
    if docker inspect "$name" >/dev/null 2>&1; then
      docker rm -f "$name" >/dev/null && echo "lab: removed container $name"
    fi
  done
fi
for name in pebble challtestsrv registry; do stop_pid "$name"; done
# dockerd last, and only when the lab started it.
stop_pid dockerd
rm -f "$LAB/lab.env"
exit 0
