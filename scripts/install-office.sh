#!/bin/sh
# Install Debian's LibreOffice Writer (no GUI) and poppler-utils for the report tests, only
# when missing: the DOCX report is converted to PDF (A4 pages, contents, URLs) and a page is
# kept as PNG under test-artifacts/. Without them those checks are skipped and python-docx
# checks the document alone.
#
# Measured on Debian 12 (bookworm): libreoffice-writer-nogui 7.4 + poppler-utils, with
# --no-install-recommends, is 51 packages, an 86 MB download and 264 MB on disk; about 10 s
# to install from a warm package cache.
set -eu

if command -v soffice >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1; then
    echo "libreoffice and poppler-utils already installed"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
else
    SUDO=
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
if ! apt-cache show libreoffice-writer-nogui >/dev/null 2>&1; then
    echo "libreoffice-writer-nogui is not in this distribution's packages; skipping"
    exit 0
fi
$SUDO apt-get install -y --no-install-recommends libreoffice-writer-nogui poppler-utils
soffice --version
