#!/usr/bin/env bash
# Stop a Swift made by swift-up.sh DIR (each server and its worker children) and remove DIR.
set -uo pipefail
S=${1:?usage: swift-down.sh DIR}
[ -d "$S" ] || exit 0
# A stopped server stays a zombie until PID 1 reaps it (here that takes ~2 s): count zombies as gone.
running() { [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null; }
pids=""
for f in "$S"/run/*.pid; do
  [ -s "$f" ] || continue
  pid=$(cat "$f")
  running "$pid" || continue
  # swift servers fork a worker; swift-up.sh started each one with setsid, so the group is theirs alone.
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
  pids="$pids $pid"
done
for _ in $(seq 1 50); do
  left=""
  for pid in $pids; do running "$pid" && left="$left $pid"; done
  [ -z "$left" ] && break
  sleep 0.1
done
for pid in $pids; do kill -KILL -- "-$pid" 2>/dev/null; done
rm -rf "$S"
