#!/usr/bin/env bash
# Swift all-in-one (1 replica, data on disk in DIR) with the s3api middleware, for the integration tests.
#
#   swift-up.sh DIR PROXY_PORT OBJECT_PORT CONTAINER_PORT ACCOUNT_PORT MEMCACHE_PORT
#
# S3 access key "test:tester", secret "testing". Prints "READY http://127.0.0.1:PROXY_PORT" on success;
# on failure prints the log tails, stops what it started (swift-down.sh DIR) and exits non-zero.
# needs: apt-get install swift-proxy swift-account swift-container swift-object (+ memcached, optional)
#
# tempauth refuses to work without the memcache filter, and the filter defaults to 127.0.0.1:11211,
# which another Swift on the machine may share (its cached account/container info would leak into
# ours). So the filter points at our own port; a private memcached runs there if the binary exists,
# otherwise the port stays closed and the filter just misses (slower, still correct).
set -euo pipefail
S=${1:?usage: swift-up.sh DIR PROXY_PORT OBJECT_PORT CONTAINER_PORT ACCOUNT_PORT MEMCACHE_PORT}
PROXY_PORT=${2:?proxy port}
OBJECT_PORT=${3:?object port}
CONTAINER_PORT=${4:?container port}
ACCOUNT_PORT=${5:?account port}
MEMCACHE_PORT=${6:?memcache port}
here=$(cd "$(dirname "$0")" && pwd)

log() { echo "[swift-up $(date +%T)] $*" >&2; }
fail() {
  log "FAILED: $*"
  for f in "$S"/log/*.log; do
    [ -s "$f" ] || continue
    echo "----- tail of $f -----" >&2
    tail -n 25 "$f" >&2
  done
  "$here/swift-down.sh" "$S" >&2 || true
  exit 1
}
trap 'fail "command failed at line $LINENO"' ERR

for b in swift-ring-builder swift-proxy-server swift-object-server swift-container-server swift-account-server; do
  command -v "$b" >/dev/null || fail "$b not installed (apt-get install swift-proxy swift-account swift-container swift-object)"
done

rm -rf "$S" && mkdir -p "$S"/{etc,srv/d1,run,log}
for t in object:$OBJECT_PORT container:$CONTAINER_PORT account:$ACCOUNT_PORT; do
  n=${t%%:*} p=${t##*:}
  cat >"$S/etc/$n-server.conf" <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $p
workers = 1
user = root
swift_dir = $S/etc
devices = $S/srv
mount_check = false
log_name = $n
[pipeline:main]
pipeline = $n-server
[app:$n-server]
use = egg:swift#$n
EOF
  # rebalance exits 1 for "nothing to do / warning" on a 1-device ring: not an error here.
  (cd "$S/etc" && swift-ring-builder "$n.builder" create 4 1 1 >/dev/null &&
    swift-ring-builder "$n.builder" add "r1z1-127.0.0.1:$p/d1" 100 >/dev/null &&
    { swift-ring-builder "$n.builder" rebalance >/dev/null || [ $? -eq 1 ]; })
done
cat >"$S/etc/proxy-server.conf" <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $PROXY_PORT
workers = 1
user = root
swift_dir = $S/etc
log_name = proxy
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk s3api tempauth copy slo dlo proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
# One device behind every ring: the defaults (0.5 s connect, 10 s node timeout, a node suppressed for
# 60 s after 10 errors) turn a few slow answers on a loaded 2-core machine into a minute of 503
# "Please reduce your request rate" for every request (seen in CI at load 15). Generous timeouts and
# no error suppression keep a slow single node a slow node, not an outage.
conn_timeout = 5
node_timeout = 60
recoverable_node_timeout = 60
error_suppression_limit = 1000000
error_suppression_interval = 1
[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = testing .admin
[filter:s3api]
use = egg:swift#s3api
location = us-east-1
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$MEMCACHE_PORT
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:bulk]
use = egg:swift#bulk
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
EOF
# Our own swift.conf (servers read it from swift_dir), so an edited /etc/swift/swift.conf cannot matter.
cat >"$S/etc/swift.conf" <<EOF
[swift-hash]
swift_hash_path_suffix = snapstream-test
swift_hash_path_prefix = snapstream-test
[storage-policy:0]
name = Policy-0
default = yes
EOF

start() { # name command...
  local name=$1; shift
  # setsid: the daemon outlives this script; its pid is what swift-down.sh stops.
  setsid nohup "$@" >"$S/log/$name.log" 2>&1 </dev/null &
  echo $! >"$S/run/$name.pid"
}
if command -v memcached >/dev/null; then
  start memcached memcached -l 127.0.0.1 -p "$MEMCACHE_PORT" -U 0 -m 64 -u root
fi
for n in object container account proxy; do
  start "$n" "/usr/bin/swift-$n-server" "$S/etc/$n-server.conf"
done
deadline=$((SECONDS + 60))
until curl -sf -o /dev/null "http://127.0.0.1:$PROXY_PORT/healthcheck"; do
  [ $SECONDS -lt $deadline ] || fail "proxy did not answer on :$PROXY_PORT within 60 s"
  for n in object container account proxy; do
    kill -0 "$(cat "$S/run/$n.pid")" 2>/dev/null || fail "swift-$n-server exited"
  done
  sleep 0.2
done
trap - ERR
echo "READY http://127.0.0.1:$PROXY_PORT pids: $(cat "$S"/run/*.pid | tr '\n' ' ')"
