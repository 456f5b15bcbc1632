#!/usr/bin/env bash
# Install everything HairTrack needs on a fresh Debian/Ubuntu machine and start the app.
# Any arguments are passed on, e.g.: bash scripts/run-app.sh --library ~/HairTrackLibrary
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
install_debian_packages "${QT_RUNTIME_PACKAGES[@]}" "${QT_WINDOW_PACKAGES[@]}"
make_venv ""
exec .venv/bin/hairtrack "$@"
