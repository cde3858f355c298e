"""Issues and triage: the triage grammar, the service, bulk changes, issue cards and their
controls.
"""
