# snapstream node agent image (Node 24 LTS).
#
# Stage 1 compiles TypeScript with dev dependencies; stage 2 carries only production dependencies,
# dist/ and proto/ (the agent loads the .proto at run time).
#
# ZFS userland: which `zfs` the agent runs (ZFS_USERLAND; docs/agent.md, "Where zfs comes from"):
#  - debian (default): zfsutils-linux from Debian contrib, for kernel-ZFS nodes (the DaemonSet in
#    daemonset.yaml, /dev/zfs from the host). Its version should match the host's module
#    (`cat /sys/module/zfs/version`); if it does not, build with `none` and use the host's own zfs
#    through deploy/host-zfs-wrapper.sh (--zfs-binary).
#  - cstor: the userspace ZFS of a cStor pool, copied from the very image the cStor pool manager
#    (cspi-mgmt) is built on (openebs/cstor-base: zfs/zpool in /usr/local/bin, their libraries in
#    /usr/lib). It talks to the pool's zrepl through the socket directory /var/tmp/sock, so the agent
#    runs as a sidecar of the pool pod with the pool's `sockfile` volume mounted there, exactly as
#    cstor-pool-mgmt does. Pin CSTOR_BASE_IMAGE to the cStor version of the cluster.
#  - none: no zfs in the image (a wrapper or a mounted binary provides it).
# This image has not been built here (no Docker engine on the development machines); the ldd check
# below makes a missing shared library fail the build instead of the first backup.
#
#   docker build -t snapstream:dev .
#   docker build --build-arg ZFS_USERLAND=cstor --build-arg CSTOR_BASE_IMAGE=openebs/cstor-base:3.6.0 -t snapstream:dev-cstor .
#   docker build --build-arg ZFS_USERLAND=none -t snapstream:dev-nozfs .

ARG NODE_IMAGE=node:24-bookworm-slim
ARG ZFS_USERLAND=debian
ARG CSTOR_BASE_IMAGE=openebs/cstor-base:3.6.0

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no install script runs in the image build (none is needed at run time).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${CSTOR_BASE_IMAGE} AS cstor-zfs

# One runtime stage per ZFS userland; the last FROM picks one, and BuildKit builds only that one.
FROM ${NODE_IMAGE} AS runtime-debian
RUN set -eux; \
    sed -i 's/^Components: main$/Components: main contrib/' /etc/apt/sources.list.d/debian.sources; \
    apt-get update; \
    apt-get install -y --no-install-recommends zfsutils-linux; \
    rm -rf /var/lib/apt/lists/*; \
    command -v zfs

FROM ${NODE_IMAGE} AS runtime-cstor
# The runtime libraries cstor-base installs for its binaries (libaio, jemalloc, kqueue).
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends libaio1 libjemalloc2 libkqueue0; \
    rm -rf /var/lib/apt/lists/*
COPY --from=cstor-zfs /usr/local/bin/zfs /usr/local/bin/zpool /usr/local/bin/
COPY --from=cstor-zfs /usr/lib/libzfs* /usr/lib/libzpool* /usr/lib/libnvpair* /usr/lib/libuutil* /usr/lib/libzrepl* /usr/lib/
RUN set -eux; ldconfig; if ldd /usr/local/bin/zfs | grep 'not found'; then exit 1; fi

FROM ${NODE_IMAGE} AS runtime-none

FROM runtime-${ZFS_USERLAND}
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY proto ./proto
# gRPC API (mTLS), plaintext health for kubelet probes, Prometheus.
EXPOSE 9443 9444 9464
# Exec form: node is PID 1 and receives SIGTERM directly (the agent drains within shutdownGraceSeconds).
ENTRYPOINT ["node", "/app/bin/snapstream.js"]
CMD ["agent", "--config", "/etc/snapstream/agent.yaml"]
