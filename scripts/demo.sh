#!/usr/bin/env bash
# snapstream demo: the main job end to end on the embedded default (a local directory as the bucket).
# Makes a throwaway file-backed ZFS pool, backs a snapshot up (full, then incremental), lists and
# verifies the backups, restores the chain into a new dataset and proves the bytes are identical.
# Needs root (ZFS). Installs zfs-fuse from Debian if no zfs is present. Cleans up its pool (and a zfs-fuse daemon it started) on exit;
# the backup directory is kept for you to look at.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

[ "$(id -u)" = 0 ] || { echo "demo: needs root to create a ZFS pool (run: sudo npm run demo)" >&2; exit 2; }

if ! command -v zfs >/dev/null 2>&1; then
  say "No zfs found: installing zfs-fuse (userspace ZFS) from Debian"
  command -v apt-get >/dev/null || { echo "demo: no zfs and no apt-get; install ZFS first" >&2; exit 2; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zfs-fuse >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zfs-fuse >/dev/null; }
fi
if ! zpool list >/dev/null 2>&1; then
  command -v zfs-fuse >/dev/null || { echo "demo: zfs is installed but not usable (is the kernel module loaded?)" >&2; exit 2; }
  say "Starting the zfs-fuse daemon (stopped again at the end: the demo leaves nothing running)"
  # A fresh private directory for the pid file (zfs-fuse refuses an existing one; a guessable name in
  # /tmp could be a planted symlink, and this runs as root).
  ZFS_FUSE_DIR=$(mktemp -d /tmp/snapstream-demo-zfs-fuse.XXXXXX)
  ZFS_FUSE_PID="$ZFS_FUSE_DIR/zfs-fuse.pid"
  zfs-fuse --pidfile "$ZFS_FUSE_PID"
  for _ in $(seq 50); do zpool list >/dev/null 2>&1 && break; sleep 0.2; done
fi
[ -d node_modules ] || { say "Installing dependencies (npm ci)"; npm ci --no-audit --no-fund; }
[ -f dist/cli/main.js ] || { say "Building"; npm run build --silent; }

WORK=${SNAPSTREAM_DEMO_DIR:-/tmp/snapstream-demo}
POOL=snapdemo$$
IMG="$WORK/pool.img"
BUCKET="file://$WORK/bucket"
export SNAPSTREAM_LOG_LEVEL=${SNAPSTREAM_LOG_LEVEL:-warn}  # JSON logs off for a readable demo
SS="node bin/snapstream.js"
# zfs-fuse answers "pool is busy" for a moment after datasets were mounted or received: retry the
# destroy (bounded, ~15 s), and delete the image only once the pool is gone. Deleting the file of a
# still-imported pool leaves a phantom pool on the host (seen in CI).
cleanup() {
  zpool list "$POOL" >/dev/null 2>&1 || { rm -f "$IMG"; stop_zfs_fuse; return 0; }
  for i in $(seq 30); do
    zpool destroy -f "$POOL" >/dev/null 2>&1 && break
    zpool list "$POOL" >/dev/null 2>&1 || break
    sleep 0.5
  done
  if zpool list "$POOL" >/dev/null 2>&1; then
    echo "demo: could not destroy pool $POOL (still busy); kept its image $IMG: run 'zpool destroy -f $POOL && rm -f $IMG'" >&2
    return 1
  fi
  rm -f "$IMG"
  stop_zfs_fuse
}
# Only a daemon this demo started, and only once its pool is gone.
stop_zfs_fuse() {
  [ -n "${ZFS_FUSE_PID:-}" ] || return 0
  local pid; pid=$(cat "$ZFS_FUSE_PID" 2>/dev/null || true)
  if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  fi
  rm -rf "$ZFS_FUSE_DIR"
}
trap cleanup EXIT
rm -rf "$WORK/bucket" && mkdir -p "$WORK"

say "A throwaway pool on a sparse file, a dataset with some data, snapshot @monday"
run truncate -s 1G "$IMG"
run zpool create -f "$POOL" "$IMG"
run zfs create "$POOL/vol1"
MP=$(zfs get -H -o value mountpoint "$POOL/vol1")
head -c $((48 * 1024 * 1024)) /dev/urandom >"$MP/data.bin"
echo "hello from monday" >"$MP/notes.txt"
run zfs snapshot "$POOL/vol1@monday"

say "Full backup of @monday to $BUCKET"
run $SS backup "$POOL/vol1@monday" --to "$BUCKET" --backup monday --volume vol1

say "Change the data, snapshot @tuesday, incremental backup"
echo "tuesday was busy" >>"$MP/notes.txt"
head -c $((8 * 1024 * 1024)) /dev/urandom >"$MP/more.bin"
run zfs snapshot "$POOL/vol1@tuesday"
run $SS backup "$POOL/vol1@tuesday" --from monday --previous-backup monday --to "$BUCKET" --backup tuesday --volume vol1

say "What the bucket holds"
run $SS ls "$BUCKET"
run $SS verify "$BUCKET" --all

say "Restore the chain monday -> tuesday into a new dataset, every part verified on the way"
run $SS restore --from "$BUCKET" --backup tuesday --volume vol1 --target "$POOL/restored" --chain

say "Compare"
RMP=$(zfs get -H -o value mountpoint "$POOL/restored")
digest() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
if [ "$(digest "$MP")" = "$(digest "$RMP")" ]; then
  echo "restored files are byte-for-byte identical to @tuesday:"
  digest "$RMP" | sed 's/^/  /'
else
  echo "MISMATCH between source and restore" >&2
  exit 1
fi
echo
echo "The stream object is a plain zfs send stream; stock tools can check it too:"
OBJ="$WORK/bucket/backups/tuesday/vol1-tuesday"
command -v xxhsum >/dev/null && printf '  xxhsum -H1: %s   manifest: %s\n' "$(xxhsum -H1 "$OBJ" | cut -d' ' -f1)" "$(grep -o '"streamHash": "[0-9a-f]*"' "$OBJ.snapstream.json" | cut -d'"' -f4)"
say "Done. Backups are kept in $WORK/bucket; the demo pool is destroyed on exit."
