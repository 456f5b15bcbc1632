# Shared set-up for scripts/run-app.sh and scripts/run-tests.sh (sourced, not run).
# Installs the Debian libraries Qt needs when they are missing (as root, or with
# sudo when available), makes .venv and installs HairTrack into it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

install_debian_packages() {
  local missing=()
  command -v dpkg-query >/dev/null 2>&1 || return 0
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      echo "HairTrack needs these system packages: ${missing[*]}" >&2
      echo "Ask an administrator to run: apt-get install ${missing[*]}" >&2
      return 0
    fi
  fi
  echo "Installing system packages: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# Qt offscreen/xcb runtime libraries and fonts (see docs/architecture.md).
QT_RUNTIME_PACKAGES=(libegl1 libgl1 libdbus-1-3 libfontconfig1 libxkbcommon0 libglib2.0-0
  fonts-dejavu-core)
QT_WINDOW_PACKAGES=(libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
  libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0)

make_venv() {
  local extras="$1"
  local python="${PYTHON:-python3}"
  if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv || {
      echo "Could not create a virtual environment; on Debian/Ubuntu install python3-venv." >&2
      exit 1; }
  fi
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extras}"
}
