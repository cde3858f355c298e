"""The event view: one event of an issue (exception chain, breadcrumbs, request, tags),
stepping through the issue's events, and the issue's tag distribution.

`parse` reads what the user typed or clicked, `api` asks Sentry, `models` types Sentry's
answers, `view` turns them into safe, Slack-sized text for `templates/events/`.
"""
