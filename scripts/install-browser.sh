#!/bin/sh
# Install Debian's chromium for the browser tests, only when it is missing.
#
# Why Debian's package: the tests must never let Playwright (or any tool) download its own
# browser build at test time; CI and developer machines use the distribution's chromium at
# /usr/bin/chromium, which Playwright drives through `executable_path`.
set -eu

if [ -x /usr/bin/chromium ]; then
    echo "chromium already installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
else
    SUDO=
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium fonts-noto-core
/usr/bin/chromium --version
