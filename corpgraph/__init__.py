"""corpgraph: graph relationship intelligence for corporate banking.

The distribution is split into top-level packages (see README "Layout"):
``graph`` (settings, Neo4j access, local server, users and branch scoping),
``loaders``, ``algorithms``, ``api``, ``visualizations`` and this small
``corpgraph`` package, which holds the exception root, logging set-up and the CLI.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("corpgraph")
except PackageNotFoundError:  # pragma: no cover - only when run from a bare source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
