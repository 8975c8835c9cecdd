# havip container image: the static havip binary on an empty base.
#
#   make image                     # = make build, then buildah bud -t havip/havip:$(VERSION) .
#   make build && docker build --build-arg VERSION=1.2.3 -t havip/havip:1.2.3 .   # with Docker
#
# The binary is built OUTSIDE the image (`make build`: CGO_ENABLED=0, static, bin/havip), so this
# file pulls nothing and needs no Go toolchain: `FROM scratch` plus two COPYs.
#
# What is in the image
#   /usr/local/bin/havip   the binary; rendered native TCP checks call exactly this path
#                          (`havip probe tcp HOST:PORT`, run in-process by the engine)
#   /etc/passwd, /etc/group  root and nobody only: `script_user root` (written by the catalog
#                          templates) and keepalived's script user lookup need a user database,
#                          and a static Go binary reads these files directly
#
# Running it: network_mode host (hostNetwork in Kubernetes), as uid 0 with the capabilities
# NET_ADMIN, NET_RAW and NET_BROADCAST; nothing else (no --privileged). The default command is
# `havip supervise`: it renders HAVIP_TEMPLATE/HAVIP_VERSION from HAVIP_ANSWERS and the template's
# env contract (VIRTUAL_IP, INTERFACE, ...) or runs HAVIP_CONFIG (a keepalived.conf), writes the
# rendered config to HAVIP_OUTPUT_DIR (default /run/havip) and hot-applies changes of its input
# files. SIGTERM releases the VIPs (priority 0 adverts) before exiting. See deploy/README.md.
#
# Scripts need a shell -- read this before using check_script / notify_script / vrrp_script
#   This image has NO shell and no other program: only havip. The catalog's default health check
#   is havip's native TCP probe, which needs nothing else. A check or notify script that is a shell
#   script (#!/bin/sh), or calls curl, ip, nc, ... cannot run here: it fails with "no such file".
#   Build a derived image on a base that has the tools (that base must be pulled, so it is not
#   offered as a stage here), and copy havip in unchanged:
#
#     FROM debian:bookworm-slim            # or alpine, busybox:musl, ubi-minimal, ...
#     COPY --from=havip/havip:VERSION /usr/local/bin/havip /usr/local/bin/havip
#     COPY notify-vip.sh /usr/local/bin/notify-vip
#     ENTRYPOINT ["/usr/local/bin/havip"]
#     CMD ["supervise"]
#
#   Keep /usr/local/bin/havip at that path (the rendered TCP checks name it) and keep scripts and
#   their directories owned by root and not writable by others: with enable_script_security
#   (which the templates set) havip refuses scripts a non-root user could modify, as keepalived does.

FROM scratch

ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=unknown

LABEL org.opencontainers.image.title="havip" \
      org.opencontainers.image.description="Keeps virtual IPs alive across hosts: keepalived-compatible VRRP engine, keepalived.conf checker and a catalog of keepalived-style templates, in one static binary" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="https://github.com/havip/havip" \
      org.opencontainers.image.url="https://github.com/havip/havip" \
      org.opencontainers.image.documentation="https://github.com/havip/havip/blob/main/deploy/README.md" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="havip maintainers" \
      org.opencontainers.image.base.name="scratch"

COPY deploy/image/rootfs/ /
COPY bin/havip /usr/local/bin/havip

# VIPs are released on SIGTERM; give the container runtime's stop timeout a few seconds.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/havip"]
CMD ["supervise"]
