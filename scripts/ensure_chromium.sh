#!/usr/bin/env bash
# Install what the test suite needs from Debian, if it is missing:
#   chromium  -> /usr/bin/chromium, driven by Playwright in the browser tests
#   gettext   -> msgfmt, for `manage.py compilemessages`
# Non-interactive; as root, or through `sudo -n`. Quiet unless something is installed or fails.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v msgfmt >/dev/null 2>&1 || missing+=(gettext)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "缺少 ${missing[*]}，且无 root 权限 / ${missing[*]} missing and no root:" \
    "run: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "缺少 ${missing[*]}，且不是 Debian / ${missing[*]} missing and no apt-get:" \
    "install them with this system's package manager" >&2
  exit 1
fi

echo "正在安装 / installing (apt-get): ${missing[*]}…"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-y -q -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
if ! { "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" "${missing[@]}"; } \
  </dev/null >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  echo "安装失败 / apt-get install ${missing[*]} failed" >&2
  exit 1
fi

[ -x /usr/bin/chromium ] || { echo "/usr/bin/chromium 仍不存在 / still missing" >&2; exit 1; }
command -v msgfmt >/dev/null 2>&1 || { echo "msgfmt 仍不存在 / still missing" >&2; exit 1; }
echo "已安装 / installed: ${missing[*]}"
