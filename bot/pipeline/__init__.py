"""The durable pipeline: verify and ack at the front, work in workers, nothing lost.

Modules: observe (the app, its Web API client and the middleware before the front door:
replay guard, metrics, ack first), front (the Bolt middleware that acks and enqueues),
envelope (the job record), queue (Redis Streams), worker (runs jobs), slack_effects (Slack
calls through the job ledger, bot/core/ledger.py: exactly one effect per job, keyed by the
job now running, bot/core/current_job.py), slack_jobs (re-dispatch through the listeners),
backpressure (busy answers), service (the whole, per process). See docs/architecture.md,
"Pipeline".
"""
