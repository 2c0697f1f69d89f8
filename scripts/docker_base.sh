#!/usr/bin/env bash
# Make the local base image for the Dockerfile from Debian's own packages, for machines that
# reach Debian's package mirror but no container registry:
#     scripts/docker_base.sh [IMAGE]          (default IMAGE: cnnlab-base; root, podman or docker)
#     podman build --build-arg BASE=cnnlab-base ...
# What it is: debootstrap of Debian bookworm (minbase) + python3 (3.11) with venv/pip and the
# libraries the app needs (libgl1 and libglib2.0-0 for OpenCV, fonts-noto-cjk for the Korean
# labels), apt's caches removed, imported with `podman import`. The mirror is the one this
# machine's apt already uses (read from /etc/apt/sources.list{,.d/*}); none is written here.
set -euo pipefail

IMAGE=${1:-cnnlab-base}
SUITE=bookworm
ENGINE=${CNNLAB_CONTAINER:-$(command -v podman || command -v docker || true)}
PACKAGES=ca-certificates,python3,python3-venv,python3-pip,libgl1,libglib2.0-0,fonts-noto-cjk

[ -n "$ENGINE" ] || { echo "docker_base: neither podman nor docker is installed" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "docker_base: apt-get install debootstrap" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "docker_base: debootstrap needs root" >&2; exit 2; }

# The first Debian mirror apt uses for $SUITE itself (not -security, -updates): deb822 .sources
# stanzas ("URIs:" + "Suites:") and one-line "deb URI suite ..." entries.
mirror() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -e "$f" ] || continue
        awk -v suite="$SUITE" '
            function flush() { if (uri != "" && (" " suites " ") ~ (" " suite " ")) { print uri; found = 1; exit } uri = ""; suites = "" }
            /^[[:space:]]*$/ { flush(); next }
            tolower($1) == "uris:"   { uri = $2 }
            tolower($1) == "suites:" { $1 = ""; suites = $0 }
            END { if (!found) flush() }' "$f"
    done
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk -v suite="$SUITE" '
        $1 == "deb" { line = $0; sub(/\[[^]]*\]/, "", line); split(line, w, " "); if (w[3] == suite) print w[2] }'
}
MIRROR=${DEBIAN_MIRROR:-$(mirror 2>/dev/null | head -n 1 || true)}
[ -n "$MIRROR" ] || { echo "docker_base: no $SUITE mirror in apt's sources; set DEBIAN_MIRROR" >&2; exit 2; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
ROOTFS=$WORK/rootfs
echo "docker_base: debootstrap $SUITE from apt's mirror into $ROOTFS"
t0=$(date +%s)
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$ROOTFS" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -n 30 "$WORK/debootstrap.log" >&2; exit 1; }
# What a container image does not need: package caches and lists, docs, other locales.
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* \
       "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/*
PY=$(chroot "$ROOTFS" python3 --version)

tar -C "$ROOTFS" -c . | "$ENGINE" import \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' \
    - "$IMAGE" >/dev/null
echo "docker_base: $IMAGE imported ($PY, $(($(date +%s) - t0)) s)"
