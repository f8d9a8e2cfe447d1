#!/usr/bin/env bash
# Make sure Dovecot's IMAP server is installed: the e-mail tests start their own throw-away
# instance of it (tests/mailservers.py), on an ephemeral port with a generated config. Never
# skip: if it cannot be had, say so and fail, so CI can never pass without the real IMAP half.
set -euo pipefail
if [ -x "${CENTINELA_DOVECOT:-/usr/sbin/dovecot}" ]; then exit 0; fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "ensure-dovecot: installing dovecot-imapd from Debian's packages" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd) >&2
  exit 0
fi
echo "ensure-dovecot: /usr/sbin/dovecot is missing and cannot be installed here (needs root and apt-get);" \
  "install the dovecot-imapd package, or set CENTINELA_DOVECOT to a dovecot binary" >&2
exit 1
