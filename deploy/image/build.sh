#!/bin/sh
# Builds the havip container image with buildah: `make image` and the image test call this.
#
#   deploy/image/build.sh [--minimal] [--binary FILE] TAG
#
# Default variant: the static havip binary plus a static BusyBox with every applet linked in
# /usr/bin (/bin, /sbin and /usr/sbin point there), so check and notify scripts find sh, killall,
# pidof, nc, wget, ip... BusyBox comes from Debian's busybox-static package: the installed
# /bin/busybox when it is that static binary, else the package is downloaded (apt-get download)
# and unpacked (dpkg-deb -x) in a temporary directory.
# --minimal: the binary alone (FROM scratch, no shell): only havip's native TCP check can run.
#
# Both variants are built from the Dockerfile at the top of the repository, with a build context
# this script assembles in a temporary directory (rootfs/ is copied to / as is), by buildah, or
# by docker when buildah is not installed. The image's
# version is the VERSION file's; its revision is `git describe --always --dirty`.
set -eu

minimal=false
binary=
while [ $# -gt 1 ]; do
	case "$1" in
	--minimal) minimal=true; shift ;;
	--binary) binary=$2; shift 2 ;;
	*) break ;;
	esac
done
if [ $# -ne 1 ]; then
	echo "usage: $0 [--minimal] [--binary FILE] TAG" >&2
	exit 2
fi
tag=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
version=${VERSION:-$(cat "$top/VERSION")}
revision=$(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)
created=$(date -u +%Y-%m-%dT%H:%M:%SZ)

if command -v buildah >/dev/null 2>&1; then
	builder="buildah bud --quiet --layers=false"
elif command -v docker >/dev/null 2>&1; then
	builder="docker build --quiet"
else
	echo "$0: neither buildah nor docker is installed (Debian/Ubuntu: apt-get install buildah)" >&2
	exit 1
fi

ctx=$(mktemp -d "${TMPDIR:-/tmp}/havip-image.XXXXXX")
trap 'rm -rf "$ctx"' EXIT INT TERM
root=$ctx/rootfs
mkdir -p "$root/usr/local/bin" "$root/usr/bin" "$root/run/havip"
mkdir -m 1777 "$root/tmp"
cp -R "$top/deploy/image/rootfs/." "$root/"

if [ -n "$binary" ]; then
	cp "$binary" "$root/usr/local/bin/havip"
else
	(cd "$top" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$version" \
		-o "$root/usr/local/bin/havip" ./cmd/havip)
fi
# Invoked as keepalived, havip takes keepalived's command line (keepalived -t, -f, -p...).
ln -s havip "$root/usr/local/bin/keepalived"

variant=busybox
if $minimal; then
	variant=minimal
else
	bb=/bin/busybox
	if ! dpkg-query -W -f '${Status}' busybox-static 2>/dev/null | grep -q 'ok installed'; then
		command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || {
			echo "$0: no static /bin/busybox and no apt-get/dpkg-deb to fetch busybox-static" >&2
			exit 1
		}
		(cd "$ctx" && apt-get download busybox-static >/dev/null)
		dpkg-deb -x "$ctx"/busybox-static_*.deb "$ctx/deb"
		bb=$ctx/deb/bin/busybox
	fi
	cp "$bb" "$root/usr/bin/busybox"
	chmod 0755 "$root/usr/bin/busybox"
	for applet in $("$bb" --list); do
		[ "$applet" = busybox ] || ln -s busybox "$root/usr/bin/$applet"
	done
	ln -s usr/bin "$root/bin"
	ln -s usr/bin "$root/sbin"
	ln -s bin "$root/usr/sbin"
	bbversion=$("$bb" 2>&1 | sed -n '1s/^BusyBox \(v[^ ]*\).*/\1/p')
fi
cp "$top/Dockerfile" "$ctx/Dockerfile"

$builder \
	--build-arg VERSION="$version" --build-arg REVISION="$revision" --build-arg CREATED="$created" \
	--build-arg VARIANT="$variant" --build-arg BUSYBOX="${bbversion:-none}" \
	-t "$tag" "$ctx"
