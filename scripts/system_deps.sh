#!/usr/bin/env bash
# Debian packages fangkong needs: gettext (msgfmt), fonts-noto-cjk (PDF notices), chromium
# (browser tests). Installs what is missing when run as root; otherwise says what to install.
set -euo pipefail
need=()
command -v msgfmt >/dev/null 2>&1 || need+=(gettext)
ls /usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc >/dev/null 2>&1 || need+=(fonts-noto-cjk)
command -v /usr/bin/chromium >/dev/null 2>&1 || need+=(chromium)
# WeasyPrint's native libraries (present on most Debian images; listed for minimal ones).
ldconfig -p 2>/dev/null | grep -q libpango-1.0 || need+=(libpango-1.0-0 libpangoft2-1.0-0)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian packages: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "warning: missing Debian packages: ${need[*]} (run as root, or: sudo apt-get install ${need[*]})" >&2
fi
