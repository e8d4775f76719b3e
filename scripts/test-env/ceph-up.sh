#!/usr/bin/env bash
# Single-node Ceph (mon + memstore OSD + radosgw) for the integration tests; no auth, no systemd.
#
#   ceph-up.sh DIR RGW_PORT MON_PORT [MEMSTORE_BYTES]
#
# Everything lives in DIR (conf, mon store, pid files, logs), so several clusters can run side by side
# (the dev cluster on 7480/6789 keeps running). Prints "READY http://127.0.0.1:RGW_PORT" on success;
# on failure prints the log tails, stops what it started (ceph-down.sh DIR) and exits non-zero.
# S3 user: access key TESTAK, secret TESTSK (override with S3_KEY / S3_SECRET).
#
# Every step has a deadline: a `ceph` CLI call against a dead mon otherwise waits forever, and the
# first `ceph-osd` start has been seen to die silently on these machines (a second start works), so
# the OSD start is retried.
set -euo pipefail
D=${1:?usage: ceph-up.sh DIR RGW_PORT MON_PORT [MEMSTORE_BYTES]}
RGW_PORT=${2:?rgw port}
MON_PORT=${3:?mon port}
MEM=${4:-3221225472}
KEY=${S3_KEY:-TESTAK}
SECRET=${S3_SECRET:-TESTSK}
here=$(cd "$(dirname "$0")" && pwd)

log() { echo "[ceph-up $(date +%T)] $*" >&2; }
fail() {
  log "FAILED: $*"
  for f in "$D"/log/*.log "$D"/log/*.out; do
    [ -s "$f" ] || continue
    echo "----- tail of $f -----" >&2
    tail -n 25 "$f" >&2
  done
  "$here/ceph-down.sh" "$D" >&2 || true
  exit 1
}
trap 'fail "command failed at line $LINENO"' ERR

# Poll CMD every 0.5 s for up to SECS seconds; returns 1 on timeout.
wait_for() {
  local secs=$1; shift
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.5
  done
}
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

rm -rf "$D" && mkdir -p "$D"/{mon,osd0,run,log,rgw}
fsid=$(cat /proc/sys/kernel/random/uuid)
cat >"$D/ceph.conf" <<EOF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$MON_PORT
mon initial members = a
public addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
osd crush chooseleaf type = 0
osd objectstore = memstore
memstore device bytes = $MEM
mon allow pool size one = true
mon warn on pool no redundancy = false
osd pool default pg autoscale mode = off
osd pool default pg num = 8
osd pool default pgp num = 8
mon max pg per osd = 1000
run dir = $D/run
admin socket = $D/run/\$name.asok
log file = $D/log/\$name.log
pid file = $D/run/\$name.pid
ms bind ipv6 = false
ms bind msgr2 = false
client mount timeout = 15
rados mon op timeout = 30
rados osd op timeout = 30
[mon.a]
mon data = $D/mon
[osd.0]
osd data = $D/osd0
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw data = $D/rgw
# Deleted objects are freed by radosgw's garbage collector, after 2 h by default: in a memstore OSD
# that is RAM that test runs delete and never get back (a shared dev cluster filled up this way).
rgw gc obj min wait = 5
rgw gc processor period = 10
EOF
C=(-c "$D/ceph.conf")
ceph_cli() { timeout 30 ceph "${C[@]}" --connect-timeout 15 "$@"; }

log "mon on :$MON_PORT"
# Any port but 6789 would be taken for msgr2 by a bare --add; this cluster speaks v1 only.
monmaptool --create --addv a "[v1:127.0.0.1:$MON_PORT]" --fsid "$fsid" "$D/monmap" >/dev/null
timeout 60 ceph-mon "${C[@]}" --mkfs -i a --monmap "$D/monmap" >"$D/log/mon-mkfs.out" 2>&1
timeout 60 ceph-mon "${C[@]}" -i a >"$D/log/mon.out" 2>&1
# Readiness is read from the daemons' logs, not by polling the `ceph` CLI: each CLI call is a Python
# start costing ~1 s of CPU, which on 2 cores slows everything else starting beside it.
wait_for 30 grep -q "is new leader" "$D/log/mon.a.log" || fail "mon did not become leader within 30 s"

log "osd (memstore $((MEM / 1048576)) MiB)"
uuid=$(cat /proc/sys/kernel/random/uuid)
# Right after the election the mon can still refuse commands ("EPERM: problem getting command
# descriptions from mon", seen when another cluster was starting beside it): retry, bounded.
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  if ceph_cli osd new "$uuid" >/dev/null 2>"$D/log/osd-new.err"; then break; fi
  [ $attempt -lt 10 ] || fail "ceph osd new kept failing: $(tail -n 2 "$D/log/osd-new.err")"
  log "ceph osd new failed (attempt $attempt): $(tail -n 1 "$D/log/osd-new.err"); retrying"
  sleep 1
done
# The uuid given to `osd new` must equal --osd-uuid here, or the OSD never comes up.
timeout 120 ceph-osd "${C[@]}" -i 0 --mkfs --osd-uuid "$uuid" >"$D/log/osd-mkfs.out" 2>&1
osd_up() { grep -q "state: booting -> active" "$D/log/osd.0.log" 2>/dev/null; }
up=0
for attempt in 1 2 3; do
  timeout 60 ceph-osd "${C[@]}" -i 0 >>"$D/log/osd.out" 2>&1 || log "ceph-osd start exited $? (attempt $attempt)"
  deadline=$((SECONDS + 40))
  while [ $SECONDS -lt $deadline ]; do
    if osd_up; then up=1; break; fi
    # Died silently (pid file gone or stale): no point waiting out the deadline.
    if [ $SECONDS -gt $((deadline - 35)) ] && ! alive "$D/run/osd.0.pid"; then break; fi
    sleep 0.25
  done
  [ $up = 1 ] && break
  log "osd not up after attempt $attempt; restarting it"
  if alive "$D/run/osd.0.pid"; then kill -9 "$(cat "$D/run/osd.0.pid")" 2>/dev/null || true; sleep 1; fi
done
[ $up = 1 ] || fail "osd did not come up after 3 starts"

log "radosgw on :$RGW_PORT"
timeout 60 radosgw "${C[@]}" -n client.rgw >"$D/log/rgw.out" 2>&1
# The first start creates the rgw pools, which takes a few seconds on one OSD.
wait_for 90 curl -sf -o /dev/null "http://127.0.0.1:$RGW_PORT/" || fail "radosgw did not answer on :$RGW_PORT within 90 s"
timeout 60 radosgw-admin "${C[@]}" user create --uid=test --display-name=test \
  --access-key="$KEY" --secret-key="$SECRET" >/dev/null 2>"$D/log/rgw-admin.out"
trap - ERR
echo "READY http://127.0.0.1:$RGW_PORT pids: $(cat "$D"/run/*.pid | tr '\n' ' ')"
