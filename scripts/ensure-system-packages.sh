#!/usr/bin/env bash
# Debian packages the test suite drives: Chromium (browser tests, through Playwright's Python package; never a
# downloaded browser), LibreOffice Writer + poppler (report DOCX -> PDF -> PNG) and a CJK font (Chinese text in
# reports and charts). Installed with apt-get only when absent; the tests fail loudly if they are still missing.
set -u
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v libreoffice >/dev/null 2>&1 || missing+=(libreoffice-writer-nogui)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-noto-cjk)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages for the tests: ${missing[*]}" >&2
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
  || { "${sudo_cmd[@]}" apt-get update -qq >/dev/null 2>&1 \
       && "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1; } \
  || echo "could not install ${missing[*]}: the browser and report tests will fail (see README, 'Tests')" >&2
exit 0
