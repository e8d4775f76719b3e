#!/bin/sh
# Runs the host's own zfs (matching the host's kernel module) from inside the agent container.
# Needs the host root mounted at /host (hostPath "/", read-only is enough for the binary itself;
# ZFS ioctls go through /dev/zfs). Use with: --zfs-binary /etc/snapstream/host-zfs-wrapper.sh
exec chroot /host /usr/sbin/zfs "$@"
