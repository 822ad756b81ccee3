#!/usr/bin/env bash
# Create or refresh the project virtualenv (.venv) from the pinned lock (uv.lock).
# Sourced by bin/corpgraph and bin/test; safe to run again: it does nothing when
# the venv already matches the lock.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
UV_VERSION="0.13.8"
TOOLS="$ROOT/.tools"
export UV_PYTHON_DOWNLOADS=never
export UV_PROJECT_ENVIRONMENT="$ROOT/.venv"

python_bin="${CORPGRAPH_PYTHON:-$(command -v python3.11 || command -v python3)}"
if ! "$python_bin" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "corpgraph needs Python >= 3.11 (found $("$python_bin" --version 2>&1))" >&2
    exit 2
fi

# uv lives in its own small venv so that `uv sync` never removes itself from .venv.
if [[ ! -x "$TOOLS/bin/uv" ]] || [[ "$("$TOOLS/bin/uv" --version | cut -d' ' -f2)" != "$UV_VERSION" ]]; then
    "$python_bin" -m venv "$TOOLS"
    "$TOOLS/bin/pip" install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi

stamp="$ROOT/.venv/.corpgraph-lock-stamp"
want="$(cat "$ROOT/uv.lock" "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$stamp" ]] || [[ "$(cat "$stamp")" != "$want" ]]; then
    (cd "$ROOT" && "$TOOLS/bin/uv" sync --frozen --extra dev --python "$python_bin" --quiet)
    echo "$want" > "$stamp"
fi
