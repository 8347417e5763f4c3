#!/bin/sh
# Install what building and testing traceed needs on Debian 12 (run as root).
# The single list of build and test dependencies: README, .ci/run and the
# helper scripts all come through here.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends \
    build-essential meson ninja-build pkg-config \
    clang llvm bpftool libclang-rt-14-dev \
    libbpf-dev libelf-dev zlib1g-dev libsystemd-dev libyaml-dev \
    libcmocka-dev libjson-c-dev \
    python3 python3-dbus util-linux systemd dbus polkitd libxml2-utils \
    openssh-client man-db \
    python3-dbusmock libcurl4-openssl-dev openssl bash-completion \
    debhelper dpkg-dev fakeroot lintian rpm debootstrap systemd-container
