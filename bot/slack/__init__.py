"""Slack plumbing shared by every feature: rendering, pacing, OAuth and tokens, the user
directory, identities and permissions, the command table, request observation.
"""
