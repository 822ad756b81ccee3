"""corpgraph: graph relationship intelligence for corporate banking.

The distribution is split into layered top-level packages (see README "Layout"):
``core``, ``graph``, ``loaders``, ``algorithms``, ``services``, ``visualizations``,
``api`` and this small ``corpgraph`` package, which holds the CLI and logging set-up.
"""

from core.version import __version__

__all__ = ["__version__"]
