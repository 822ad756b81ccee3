"""Services: the compute steps, the engines behind them, exports and push.

A service combines the graph layer (Cypher, typed reads) with the pure algorithms.
It may import core, graph, loaders and algorithms; never api, cli or visualizations.
"""
