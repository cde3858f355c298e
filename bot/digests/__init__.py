"""Team digests: the parser, schedules, subscriptions, the dashboard, its sender and the
scheduler.
"""
