#!/usr/bin/env bash
# Stop a cluster made by ceph-up.sh DIR and remove DIR.
# SIGKILL on purpose: the cluster is throwaway, a graceful stop costs ~2 s per daemon, and a memstore
# OSD stopped gracefully first writes its whole store (up to the memstore cap) to DIR. Order is still
# radosgw, OSD, mon (a mon gone first makes radosgw hang in a graceful stop).
set -uo pipefail
D=${1:?usage: ceph-down.sh DIR}
[ -d "$D" ] || exit 0
# A killed daemon stays a zombie until PID 1 reaps it (here that takes ~2 s): count zombies as gone.
running() { [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null; }

for name in client.rgw osd.0 mon.a; do
  pids=""
  [ -s "$D/run/$name.pid" ] && pids=$(cat "$D/run/$name.pid")
  # A daemon that died before writing (or after removing) its pid file: find it by this cluster's
  # own conf path, which no other process on the machine uses.
  case $name in client.rgw) bin=radosgw ;; osd.0) bin=ceph-osd ;; mon.a) bin=ceph-mon ;; esac
  pids="$pids $(pgrep -f -- "^$bin -c $D/ceph.conf" || true)"
  for pid in $pids; do
    running "$pid" || continue
    kill -KILL "$pid" 2>/dev/null
    for _ in $(seq 1 50); do running "$pid" || break; sleep 0.1; done
  done
done
rm -rf "$D"
