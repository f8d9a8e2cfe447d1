#!/usr/bin/env bash
# Make sure Debian's chromium is installed: the dashboard's browser tests drive it through
# Playwright (tests/browser/), which must never download a browser build of its own. Never skip:
# if it cannot be had, say so and fail, so CI can never pass without the real browser.
set -euo pipefail
if [ -x "${CENTINELA_CHROMIUM:-/usr/bin/chromium}" ]; then exit 0; fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "ensure-chromium: installing chromium from Debian's packages" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >&2
  exit 0
fi
echo "ensure-chromium: /usr/bin/chromium is missing and cannot be installed here (needs root and apt-get);" \
  "install the chromium package, or set CENTINELA_CHROMIUM to a chromium binary" >&2
exit 1
