#!/bin/bash
# Test double for a zfs whose `send` dies midway: it runs the real zfs send, passes on the first
# FAIL_AFTER_BYTES bytes, then exits 1 the way a send hitting an I/O error would. Everything else is
# the real zfs. (Test-only; snapstream itself never uses a shell.)
if [ "$1" = "send" ]; then
  zfs "$@" | head -c "${FAIL_AFTER_BYTES:-6000000}"
  echo "cannot send: simulated I/O error" >&2
  exit 1
fi
exec zfs "$@"
