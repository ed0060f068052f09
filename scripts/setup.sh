#!/usr/bin/env bash
# Everything a fresh Debian/Ubuntu machine needs to run and test rvae_server. Idempotent; run as root or with sudo.
#  - Debian packages: libasound2 (python-rtmidi needs it), jackd2 (a JACK server: MIDI and audio without a sound
#    card), libportaudio2 (sounddevice), chromium + chromium-driver (the web page's browser tests)
#    and nodejs (runs the Max for Live device's sequencer, maxpatch/rvae_sequencer.js, in its tests)
#  - torch==2.13.0 first (a CPU build; an unpinned torch may pull a multi-GB CUDA build), then the project
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

need=()
for pkg in libasound2 jackd2 libportaudio2 chromium chromium-driver nodejs; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need[*]}"
  echo 'jackd2 jackd/tweak_rt_limits boolean false' | $SUDO debconf-set-selections
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

PY="${PYTHON:-python3}"
if ! "$PY" -c "import torch" 2>/dev/null; then
  echo "setup: installing torch==2.13.0 (CPU build)"
  "$PY" -m pip install -q torch==2.13.0
fi
echo "setup: installing rvae_server and its tools"
log="$(mktemp)"
if ! "$PY" -m pip install -q -e ".[dev]" >"$log" 2>&1; then
  cat "$log"; echo "setup: pip install failed" >&2; exit 1
fi
rm -f "$log"
"$PY" -c "import rvae_server, torch, mido, pythonosc; from rvae_server.system.midiports import binding; binding(); print('setup: ok (torch', torch.__version__ + ')')"
