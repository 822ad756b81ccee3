#!/usr/bin/env bash
# The production install boots: a fresh virtualenv with the runtime dependencies only
# (`uv sync --frozen --no-dev`, as the Dockerfile installs), every module of the
# runtime packages imports, `corpgraph --help` runs, and `corpgraph serve` answers
# /api/v1/health. Run by bin/test; exits non-zero on the first failure.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
UV="$ROOT/.tools/bin/uv"   # installed by scripts/bootstrap.sh
python_bin="${CORPGRAPH_PYTHON:-$(command -v python3.11 || command -v python3)}"
WORK="$(mktemp -d)"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

UV_PROJECT_ENVIRONMENT="$WORK/venv" UV_PYTHON_DOWNLOADS=never \
    "$UV" sync --frozen --no-dev --no-editable --python "$python_bin" --quiet
RUNTIME="$WORK/venv/bin"
if "$RUNTIME/python" -c 'import pytest' 2>/dev/null; then
    echo "the runtime install holds a dev dependency (pytest)" >&2
    exit 1
fi

# Import every module of the installed wheel (not the source tree): run from $WORK.
(cd "$WORK" && "$RUNTIME/python" - "$ROOT" <<'PY'
import importlib
import pkgutil
import sys
import tomllib
from pathlib import Path

with open(Path(sys.argv[1]) / "pyproject.toml", "rb") as handle:
    packages = tomllib.load(handle)["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
count = 0
for name in packages:
    package = importlib.import_module(name)
    assert "site-packages" in str(package.__file__), f"{name} imported from {package.__file__}"
    count += 1
    for module in pkgutil.walk_packages(package.__path__, prefix=f"{name}."):
        if module.name.endswith(".__main__"):  # runs the CLI when imported
            continue
        importlib.import_module(module.name)
        count += 1
print(f"imported {count} modules from the runtime install")
PY
) 
"$RUNTIME/corpgraph" --help >/dev/null
echo "corpgraph --help: ok"

port="$("$RUNTIME/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
# Liveness does not touch Neo4j: point the server at a port where none listens, so the
# check starts no embedded Neo4j and leaves nothing behind.
(cd "$WORK" && NEO4J_URI="bolt://127.0.0.1:9" NEO4J_PASSWORD="unused" \
    exec "$RUNTIME/corpgraph" serve --host 127.0.0.1 --port "$port") >"$WORK/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
    if "$RUNTIME/python" -c "import urllib.request,sys; r=urllib.request.urlopen('http://127.0.0.1:$port/api/v1/health', timeout=2); sys.exit(r.status != 200)" 2>/dev/null; then
        echo "corpgraph serve: /api/v1/health answers 200"
        exit 0
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
    sleep 1
done
echo "corpgraph serve did not answer /api/v1/health; its log:" >&2
cat "$WORK/serve.log" >&2
exit 1
