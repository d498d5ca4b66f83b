#!/usr/bin/env bash
# Find a Python 2.7 interpreter and install pytyrant 1.1.17 (pure Python) for it.
#
# Usage: tests/kyoto/tyrant/py27_peer.sh [TARGET_DIR]
# Prints "PY27=<interpreter>" and "PYTYRANT_DIR=<dir>" on success.
# Exit status: 0 ok, 3 no Python 2.7 found, 4 pytyrant could not be installed.
# The interpreter is $TXKV_PY27 if set, else python2.7 on PATH, else pyenv's 2.7.x.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
target="${1:-$repo/.cache/py27-pytyrant}"

works() { [ -n "$1" ] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (2, 7))' 2>/dev/null; }

py27=""
for candidate in "${TXKV_PY27:-}" "$(command -v python2.7 2>/dev/null)"; do
  if works "$candidate"; then py27="$candidate"; break; fi
done
if [ -z "$py27" ]; then
  roots="${PYENV_ROOT:-$HOME/.pyenv}"
  if command -v pyenv >/dev/null 2>&1; then roots="$(pyenv root) $roots"; fi
  for root in $roots; do
    for candidate in "$root"/versions/2.7*/bin/python2.7; do
      if works "$candidate"; then py27="$candidate"; break 2; fi
    done
  done
fi
if [ -z "$py27" ]; then
  echo "no Python 2.7 interpreter found (set TXKV_PY27 or install one with pyenv)" >&2
  exit 3
fi

if [ ! -f "$target/pytyrant.py" ]; then
  mkdir -p "$target"
  if ! "$py27" -m pip install -q --disable-pip-version-check --no-compile \
        --target "$target" "pytyrant==1.1.17" >&2; then
    echo "pip could not install pytyrant for $py27" >&2
    exit 4
  fi
fi
echo "PY27=$py27"
echo "PYTYRANT_DIR=$target"
