#!/bin/sh
# Install Debian's Chromium for the browser tests (tests/test_browser.py).
#
# Playwright drives the system's Chromium through executable_path; its own
# browser download does not work on machines without general internet. This
# never fails the build: where Chromium cannot be installed it says why, and
# the browser tests skip with the same reason in pytest's summary.
set -u

found() {
    [ -n "${ATLARGE_CHROMIUM:-}" ] && [ -x "${ATLARGE_CHROMIUM}" ] && return 0
    command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1
}

if found; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "browser tests: Chromium not found and there is no apt-get here; install Chromium" \
        "or set ATLARGE_CHROMIUM to its path (the browser tests will skip)" >&2
    exit 0
fi
if [ "$(id -u)" = 0 ]; then
    AS_ROOT=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    AS_ROOT="sudo -n"
else
    echo "browser tests: Chromium not found, and installing it needs root" \
        "(apt-get install chromium); the browser tests will skip" >&2
    exit 0
fi
echo "Installing Debian's chromium for the browser tests (apt-get, about a minute)..."
if $AS_ROOT apt-get update -qq >/dev/null &&
    $AS_ROOT env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; then
    echo "Installed: $(chromium --version 2>/dev/null)"
else
    echo "browser tests: 'apt-get install chromium' failed; the browser tests will skip" >&2
fi
exit 0
