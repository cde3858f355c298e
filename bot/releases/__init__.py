"""Releases and deploys: the parser, reports, health, charts, subscriptions, the watcher and its
outbox.
"""
