"""The durable pipeline: verify and ack at the front, work in workers, nothing lost.

Modules: envelope (the job record), queue (Redis Streams), worker (runs jobs), ledger and
current (exactly one effect per job), slack_effects (Slack calls through the ledger),
front (the Bolt middleware that acks and enqueues), slack_jobs (re-dispatch through the
listeners), backpressure (busy answers), service (the whole, per process). See
docs/architecture.md, "Pipeline".

This package's `__init__` imports nothing: bot/core/store.py and bot/sentry/client.py import
`bot.pipeline.current` and `bot.pipeline.ledger`, which must stay free of cycles.
"""
