#!/usr/bin/env bash
# Install the Label Studio server into its own virtual environment.
#
# The server pins versions of pyarrow, python-dateutil and others that clash with gxie's own
# dependencies, so it never goes into gxie's environment. gxie talks to it over HTTP through
# label-studio-sdk (the `annotate` extra) and the integration test starts it from this venv.
#
#   annotations/install_label_studio.sh            # -> ~/.cache/gxie-ls-venv
#   GXIE_LS_VENV=/opt/ls annotations/install_label_studio.sh
#
# Prints the path of the `label-studio` executable on its last line. Safe to run again: an existing
# venv with the wanted version is kept.
set -euo pipefail

VENV="${GXIE_LS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/gxie-ls-venv}"
VERSION="${GXIE_LS_VERSION:-1.23.2}"
PYTHON="${PYTHON:-python3}"

installed() {
    [ -x "$VENV/bin/label-studio" ] &&
        [ "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("label-studio"))' 2>/dev/null)" = "$VERSION" ]
}

if ! installed; then
    echo "installing label-studio==$VERSION into $VENV (about 1 GB, a minute)" >&2
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q "label-studio==$VERSION"
    installed || { echo "label-studio $VERSION did not install into $VENV" >&2; exit 1; }
fi
echo "$VENV/bin/label-studio"
