"""Work a Slack job: hand the verified payload to the same Bolt listeners, and wait.

The worker builds the request Bolt would have built and dispatches it through the app
with the job in its context. Bolt skips signature checks for Socket Mode requests (the
connection is authenticated); a job is the same case: it was verified at the front door and
only reaches the worker through Redis. Authorization (the workspace's installation and
token) runs again here, so multi-workspace installs work in any worker. Listeners are
unchanged: their `ack()` goes nowhere, and what they answer goes through the ledger.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.listener.async_listener import AsyncListener
from slack_bolt.listener.async_listener_error_handler import AsyncListenerErrorHandler
from slack_bolt.listener.asyncio_runner import AsyncioListenerRunner
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError

from bot.core import messages
from bot.pipeline.envelope import Job
from bot.pipeline.slack_effects import OnceRespond

if TYPE_CHECKING:
    from bot.slack.tenancy import Tenancy

log = logging.getLogger(__name__)

JOB = "dexter_job"  # request context: the job this dispatch works (never set by Slack)
_RAN = "dexter_job_ran"
_ERROR = "dexter_job_error"


class JobFailed(Exception):
    """The job's listener raised, or the request was refused before any listener ran."""


def is_job(req: AsyncBoltRequest) -> bool:
    """True when this dispatch is a worker running a job (not Slack calling)."""
    return JOB in req.context


class _Errors(AsyncListenerErrorHandler):
    """The app's error handler, noting the error for the job."""

    def __init__(self, inner: AsyncListenerErrorHandler) -> None:
        self.inner = inner

    async def handle(
        self, error: Exception, request: AsyncBoltRequest, response: BoltResponse | None
    ) -> None:
        request.context[_ERROR] = error
        await self.inner.handle(error, request, response)


class _Runner(AsyncioListenerRunner):
    """Bolt's runner; a job's listener runs to its end inside the dispatch (as with
    `process_before_response`), so the worker knows when and how it finished."""

    for_jobs: AsyncioListenerRunner

    async def run(
        self,
        request: AsyncBoltRequest,
        response: BoltResponse,
        listener_name: str,
        listener: AsyncListener,
        starting_time: float | None = None,
    ) -> BoltResponse | None:
        if JOB not in request.context:
            return await super().run(request, response, listener_name, listener, starting_time)
        request.context[_RAN] = True
        return await self.for_jobs.run(request, response, listener_name, listener, starting_time)


def watch_listeners(app: AsyncApp) -> None:
    """Run job dispatches' listeners to completion, noting their errors. Call after the
    app's error handler is registered (registering one replaces Bolt's error hook)."""
    runner = app.listener_runner
    for_jobs = AsyncioListenerRunner(
        logger=runner.logger,
        process_before_response=True,
        listener_error_handler=_Errors(runner.listener_error_handler),
        listener_start_handler=runner.listener_start_handler,
        listener_completion_handler=runner.listener_completion_handler,
        lazy_listener_runner=runner.lazy_listener_runner,
    )
    runner.__class__ = _Runner
    runner.for_jobs = for_jobs  # type: ignore[attr-defined]


class SlackJobs:
    """The job runner for every Slack kind (commands, clicks, views, events)."""

    def __init__(self, app: AsyncApp, tenancy: Tenancy) -> None:
        self.app = app
        self.tenancy = tenancy  # a dead job's notice goes out as its workspace

    async def __call__(self, job: Job) -> None:
        """Run the job's listener to its end; raise JobFailed if it raised."""
        context: dict[str, Any] = {JOB: job}
        if job.response_url:
            context["respond"] = OnceRespond(response_url=job.response_url)
        req = AsyncBoltRequest(
            body=job.body, headers=dict(job.headers), context=context, mode="socket_mode"
        )
        resp = await self.app.async_dispatch(req)
        error = req.context.get(_ERROR)
        if error is not None:
            raise JobFailed(f"the {job.kind} listener raised {type(error).__name__}") from error
        if not req.context.get(_RAN):
            if resp.status >= 500:
                raise JobFailed(f"refused before any listener ran (HTTP {resp.status})")
            log.info("job %s: no listener ran (HTTP %s)", job.id, resp.status)

    async def tell_dead(self, job: Job, why: str) -> None:
        """Tell the user the work was given up, with the job id to quote."""
        text = messages.JOB_GAVE_UP.format(ref=job.id)
        async with self.tenancy.workspace(job.team_id or None):
            if job.response_url:
                resp = await OnceRespond(response_url=job.response_url)(
                    text=text, response_type="ephemeral", replace_original=False
                )
                if resp.status_code == 200:
                    return
            if not job.user_id:
                log.warning("job %s has nobody to tell that it was given up", job.id)
                return
            client = self.app.client
            if job.channel_id:
                try:
                    await client.chat_postEphemeral(
                        channel=job.channel_id, user=job.user_id, text=text
                    )
                    return
                except SlackApiError as exc:
                    log.info("cannot tell %s in %s: %s", job.user_id, job.channel_id, exc)
            await client.chat_postMessage(channel=job.user_id, text=text)
