# havip container image. Build it with `make image` (the default variant) or `make image-minimal`;
# both run deploy/image/build.sh, which assembles the build context (rootfs/) and calls buildah:
#
#   make image           # havip/havip:VERSION          havip + static BusyBox (sh, killall, pidof, nc, wget, ip...)
#   make image-minimal   # havip/havip:VERSION-minimal  havip alone: no shell, no other program
#
# VERSION is the repository's VERSION file: the chart's appVersion, the compose files and the
# catalog templates name the same tag. build.sh uses docker when buildah is not installed.
#
# What is in the image (both variants are FROM scratch: nothing is pulled)
#   /usr/local/bin/havip   the static binary; the rendered native TCP checks name exactly this path
#                          (`havip probe tcp HOST:PORT`, run in-process by the engine)
#   /etc/passwd, /etc/group  root and nobody: script_user lookup needs a user database
#   /usr/bin/busybox + links  (default variant) Debian's busybox-static, every applet linked in
#                          /usr/bin; /bin, /sbin and /usr/sbin are links to it, so /bin/sh,
#                          /usr/bin/pidof, /usr/bin/killall, /sbin/ip all exist
#   /tmp (1777), /run/havip  scratch space and the default HAVIP_OUTPUT_DIR
#
# Running it: network_mode host (hostNetwork in Kubernetes), as uid 0 with the capabilities
# NET_ADMIN, NET_RAW and NET_BROADCAST; nothing else (no --privileged). The default command is
# `havip supervise`: it renders HAVIP_TEMPLATE/HAVIP_VERSION from HAVIP_ANSWERS and the template's
# env contract (VIRTUAL_IP, INTERFACE, ...) or runs HAVIP_CONFIG (a keepalived.conf), writes the
# rendered config to HAVIP_OUTPUT_DIR (default /run/havip) and hot-applies changes of its input
# files. SIGTERM releases the VIPs (priority 0 adverts) before exiting. See deploy/README.md.
#
# Scripts. A check or notify script runs as keepalived would run it: directly when it is a plain
# command line, through /bin/sh -c when it uses shell syntax. In the minimal variant only havip's
# native TCP probe can run; a script that is missing, not executable or (with
# enable_script_security, which the templates set) writable by a non-root user is disabled with a
# warning at start, as keepalived 2.2.7 does, and `havip check` names it. Tools BusyBox lacks
# (curl, bash...) need a derived image:
#
#     FROM debian:bookworm-slim
#     COPY --from=havip/havip:VERSION /usr/local/bin/havip /usr/local/bin/havip
#     COPY notify-vip.sh /usr/local/bin/notify-vip
#     ENTRYPOINT ["/usr/local/bin/havip"]
#     CMD ["supervise"]
#
#   Keep /usr/local/bin/havip at that path and keep scripts and their directories owned by root
#   and not writable by others.

FROM scratch

ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=unknown
ARG VARIANT=busybox
ARG BUSYBOX=none

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
      org.opencontainers.image.base.name="scratch" \
      io.havip.image.variant="${VARIANT}" \
      io.havip.image.busybox="${BUSYBOX}"

COPY rootfs/ /

ENV PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin
# VIPs are released on SIGTERM; give the container runtime's stop timeout a few seconds.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/havip"]
CMD ["supervise"]
