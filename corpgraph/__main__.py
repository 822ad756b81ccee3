"""``python -m corpgraph`` runs the CLI."""

from corpgraph.cli.main import main

main()
