"""Sentry pushes: the receiving end of the internal integration's webhooks.

`receiver` verifies a delivery and enqueues it (the HTTP answer waits for nothing else);
`router` runs it in a worker, through the handler registered for its resource.
"""
