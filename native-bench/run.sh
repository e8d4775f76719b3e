#!/usr/bin/env bash
# npm run bench [-- OPTIONS]: snapstream side by side with native tools (see docs/bench.md).
# Installs what the contenders need from Debian when missing (zfs-fuse, awscli, rclone, xxhash, time),
# builds snapstream if dist/ is missing or older than src/, then runs native-bench/bench.mjs, which
# makes its own pool and radosgw and removes them when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench: needs root (it creates a ZFS pool and may install packages)" >&2; exit 2; }

need=()
command -v zfs >/dev/null 2>&1 || need+=(zfs-fuse)
[ -x /usr/bin/aws ] || need+=(awscli)
command -v rclone >/dev/null 2>&1 || need+=(rclone)
command -v xxhsum >/dev/null 2>&1 || need+=(xxhash)
[ -x /usr/bin/time ] || need+=(time)
if [ -z "${NATIVE_BENCH_S3_ENDPOINT:-}" ] && ! command -v radosgw >/dev/null 2>&1; then need+=(radosgw ceph-mon ceph-osd); fi
if ((${#need[@]})); then
  echo "bench: installing ${need[*]} (Debian packages)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }
fi
[ -d node_modules ] || npm ci --no-audit --no-fund
if [ ! -f dist/cli/main.js ] || [ -n "$(find src -newer dist/cli/main.js -name '*.ts' -print -quit)" ]; then
  echo "bench: building snapstream (npm run build)" >&2
  npm run build --silent
fi
exec node native-bench/bench.mjs "$@"
