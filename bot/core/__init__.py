"""The shared core: settings, Redis store, logs, metrics, errors, crypto, text helpers. Imports
no other part of Dexter and no Slack.
"""
