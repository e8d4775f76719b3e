#!/bin/bash
# Test double: the real zfs, except that every `zfs recv` first appends a line to $RECV_LOG, so a test
# can assert that no receive was even started. (Test-only; snapstream itself never uses a shell.)
if [ "$1" = "recv" ] || [ "$1" = "receive" ]; then
  echo "recv $*" >> "${RECV_LOG:-/dev/null}"
fi
exec zfs "$@"
