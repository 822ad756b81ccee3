"""The installed distribution's version, for the API, the UI footer and the CLI."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("corpgraph")
except PackageNotFoundError:  # pragma: no cover - only when run from a bare source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
