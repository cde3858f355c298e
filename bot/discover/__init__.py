"""Discover queries: the parser, tables, charts, CSV export, saved queries, and the Sentry calls
behind them.
"""
