"""Submitting the alert modal: validate → preview (first submit) → create (second submit).

Slack wants the answer to a view_submission (errors inline, or the next view) in the HTTP
reply within 3 s, so these listeners ack only once the answer is known, bounded by a budget:
when Sentry is slower, they show a "working" view and views.update it when done.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.alert_push.installation import dexter_installation
from bot.alerts.form import (
    ConfirmMeta,
    FormMeta,
    Values,
    block_id,
    normalize,
    notify_of,
    read_state,
    visible,
)
from bot.alerts.parse import from_rule, sentry_field, to_rule
from bot.alerts.preview import Preview
from bot.alerts.rules import IssueAlert, MetricAlert
from bot.alerts.sentry_api import Created
from bot.alerts.wording import describe
from bot.core import errors, messages, mrkdwn
from bot.core import format as fmt
from bot.core.ids import Action, Callback
from bot.core.ids import AlertField as F
from bot.deps import Deps
from bot.slack.render import fallback_text
from bot.slack.sealed import seal_model, unseal_model
from handlers.alerts.modal import form_view, secret, status_view
from handlers.context import Interaction, listener
from handlers.error_replies import describe as explain

log = logging.getLogger(__name__)

BUDGET = 2.0  # seconds to answer a view_submission in its HTTP reply (Slack allows 3)
DEDUPE_TTL = 24 * 3600.0
MAX_METADATA = 3000
NO_SLACK_INTEGRATION = (
    "Sentry's Slack integration is not installed for this workspace (any more); "
    "choose whom to email instead, or install it in Sentry."
)
NO_DEXTER_INTEGRATION = (
    "Dexter's Sentry integration is not installed in Sentry (any more); "
    "choose another notification, or set the integration up (docs/sentry-integration.md)."
)
NOT_INSTALLED = (NO_SLACK_INTEGRATION, NO_DEXTER_INTEGRATION)
SPARK_POINTS = 48

Rule = IssueAlert | MetricAlert


@dataclass
class Outcome:
    """The answer to a submission: inline `errors` (by block id) over the form, or a view."""

    view: dict[str, Any]
    errors: dict[str, str] | None = None
    after: Callable[[], Awaitable[None]] | None = None


async def answer(
    deps: Deps,
    ack: AsyncAck,
    client: AsyncWebClient,
    view_id: str,
    job: Awaitable[Outcome],
    waiting: dict[str, Any],
) -> None:
    """Ack with the job's answer if it is ready within BUDGET, else ack `waiting` and
    views.update the answer when it comes."""

    async def guarded() -> Outcome:
        try:
            return await job
        except Exception as exc:
            log.error("alert modal submission failed", exc_info=exc)
            return Outcome(view=status_view(deps, "Something went wrong", explain(exc)))

    task = asyncio.ensure_future(guarded())
    done, _ = await asyncio.wait({task}, timeout=BUDGET)
    if done:
        outcome = task.result()
        if outcome.errors:
            await ack(response_action="errors", errors=outcome.errors)
        else:
            await ack(response_action="update", view=outcome.view)
    else:
        await ack(response_action="update", view=waiting)
        outcome = await task
        try:
            await client.views_update(view_id=view_id, view=outcome.view)
        except SlackApiError as exc:  # the user closed the modal meanwhile
            log.info("could not update alert modal %s: %s", view_id, exc.response.get("error"))
    if outcome.after is not None:
        await outcome.after()


def form_problems(deps: Deps, values: Values, meta: FormMeta, problems: dict[str, str]) -> Outcome:
    """Problems shown on their fields: as `errors`, or under them after a waiting view.
    Slack refuses errors for blocks the view does not have, so those go on the name."""
    values = normalize(values, meta.s is not None)
    shown = set(visible(values, meta.s is not None))
    placed: dict[str, str] = {}
    for field, message in sorted(problems.items(), key=lambda p: p[0] not in shown):
        target = field if field in shown else F.NAME
        placed[target] = f"{placed[target]} {message}" if target in placed else message
    return Outcome(
        view=form_view(deps, values, meta, notices=placed),
        errors={block_id(f, values): m for f, m in placed.items()},
    )


async def channel_name(client: AsyncWebClient, channel_id: str) -> str | None:
    """The channel's name, or None when Dexter cannot see it."""
    try:
        # POSTed like every other call (conversations.info takes either verb).
        resp = await client.api_call("conversations.info", data={"channel": channel_id})
    except SlackApiError:
        return None
    name = (resp.get("channel") or {}).get("name")
    return str(name) if name else None


def _spark(series: list[float]) -> str:
    if not series:
        return ""
    size = max(1, -(-len(series) // SPARK_POINTS))
    return fmt.sparkline([max(series[i : i + size]) for i in range(0, len(series), size)], 60)


def preview_view(deps: Deps, rule: Rule, preview: Preview, meta: ConfirmMeta) -> dict[str, Any]:
    """The preview with the Create button."""
    per_day = f"{preview.per_day:.1f}".removesuffix(".0")
    return deps.renderer.view(
        "alerts/alert_preview",
        rule=rule,
        summary=fmt.escape(describe(rule)),
        preview=preview,
        per_day=per_day,
        spark=_spark(preview.series),
        meta=seal_model(secret(deps), meta),
        generation=meta.g,
        channel=meta.c,
    )


async def preview_outcome(
    deps: Deps, client: AsyncWebClient, values: Values, meta: FormMeta, team: str, user: str
) -> Outcome:
    """Validate the form, check permission, and compute the preview."""
    name = None
    channel = values.get(F.CHANNEL)
    slack = notify_of(values, meta.s is not None) == "slack"
    if slack and channel:
        name = await channel_name(client, channel.value)
    rule, problems = to_rule(values, meta, channel_name=name)
    if slack and channel and name is None:
        problems[F.CHANNEL] = messages.ALERT_CHANNEL_UNSEEN
    if rule is None or problems:
        return form_problems(deps, values, meta, problems)
    confirm = ConfirmMeta(**meta.model_dump(), r=rule)
    if len(seal_model(secret(deps), confirm)) > MAX_METADATA:
        return form_problems(
            deps, values, meta, {F.NAME: "This rule is too long to carry; shorten its texts."}
        )
    try:
        ident = await deps.identity.require(team, user)
        rule, meta.s = await as_sentry_has_it(deps, rule, team)
        await deps.policy.require(ident, rule.project)
    except (errors.NotLinked, errors.PermissionDenied, errors.UserError) as exc:
        where = F.NOTIFY if explain(exc) in NOT_INSTALLED else F.PROJECT
        return form_problems(deps, values, meta, {where: explain(exc)})
    confirm = ConfirmMeta(**meta.model_dump(), r=rule)
    try:
        preview = await deps.alert_rules.preview(rule)
    except errors.SentryBadRequest as exc:
        field = F.QUERY if isinstance(rule, MetricAlert) else F.TAG_KEY if rule.tag_key else None
        if field is not None:
            return form_problems(
                deps, values, meta, {field: f"Sentry did not accept this: {exc.message}"}
            )
        preview = Preview(fires=0, unavailable=explain(exc))
    except errors.DexterError as exc:
        preview = Preview(fires=0, unavailable=explain(exc))
    return Outcome(view=preview_view(deps, rule, preview, confirm))


async def as_sentry_has_it(deps: Deps, rule: Rule, team: str) -> tuple[Rule, str | None]:
    """The rule bound to what Sentry says, not to what the private_metadata carried: the
    project its slug names (its real id), and this workspace's Slack integration. Returns
    the rule and that integration (None when the workspace has none)."""
    project, integration, dexter = await asyncio.gather(
        deps.projects.by_slug(rule.project),
        deps.alert_rules.slack_integration(team),
        dexter_installation(deps.settings, deps.store, deps.sentry),
    )
    target = rule.target
    if target.kind == "slack":
        if integration is None:
            raise errors.UserError(NO_SLACK_INTEGRATION)
        target = target.model_copy(update={"integration_id": integration})
    elif target.kind == "dexter":  # the installation Sentry lists now, not the sealed one
        if dexter is None:
            raise errors.UserError(NO_DEXTER_INTEGRATION)
        target = target.model_copy(update={"integration_id": dexter})
    bound = rule.model_copy(
        update={"project_id": project.id, "project": project.slug, "target": target}
    )
    return bound, integration


async def create_outcome(
    deps: Deps, client: AsyncWebClient, meta: ConfirmMeta, key: str, team: str, user: str
) -> Outcome:
    """Create the rule once; on failure release the once-only key so a fixed rule can go."""
    rule = meta.r
    form_meta = FormMeta(c=meta.c, t=meta.t, g=meta.g, s=meta.s, d=meta.d)
    try:
        ident = await deps.identity.require(team, user)
        rule, form_meta.s = await as_sentry_has_it(deps, rule, team)
        await deps.policy.require(ident, rule.project)
        owner = f"user:{ident.user_id}" if ident.user_id else None
        created = await deps.alert_rules.create(rule, owner=owner, generation=meta.g)
    except (errors.SentryBadRequest, errors.UserError) as exc:
        await deps.store.delete(key)
        values = from_rule(rule)
        if exc.message == NO_SLACK_INTEGRATION:
            form_meta.s = None
        if exc.message == NO_DEXTER_INTEGRATION:
            form_meta.d = None
        message = (
            exc.message
            if isinstance(exc, errors.UserError)
            else messages.ALERT_SENTRY_REFUSED.format(detail=exc.message)
        )
        field = (
            (F.NOTIFY if exc.message in NOT_INSTALLED else F.PROJECT)
            if isinstance(exc, errors.UserError)
            else sentry_field(exc.message, rule, values, form_meta)
        )
        return Outcome(view=form_view(deps, values, form_meta, notices={field: message}))
    except Exception as exc:
        await deps.store.delete(key)
        if not isinstance(exc, errors.DexterError):
            log.error("creating an alert rule failed", exc_info=exc)
        return Outcome(view=status_view(deps, "Not created", explain(exc)))
    log.info("alert rule %s created (%s) by %s", created.id, meta.g, user)

    async def announce() -> None:
        await post_announcement(deps, client, rule, created, meta.c, user)

    text = mrkdwn.format(messages.ALERT_CREATED, name=fmt.escape(rule.name), channel=meta.c)
    return Outcome(
        view=status_view(deps, "Alert rule created", text, url=created.url), after=announce
    )


async def post_announcement(
    deps: Deps, client: AsyncWebClient, rule: Rule, created: Created, channel: str, user: str
) -> None:
    """Describe the new rule in the channel (or to its creator when Dexter cannot post there)."""
    blocks = deps.renderer.blocks(
        "alerts/alert_created",
        rule=rule,
        summary=fmt.escape(describe(rule)),
        created=created,
        user=user,
    )
    text = fallback_text(blocks)
    for target in (channel, user):
        try:
            await client.chat_postMessage(
                channel=target, blocks=blocks, text=text, unfurl_links=False
            )
            return
        except SlackApiError as exc:
            log.info("cannot announce the alert rule in %s: %s", target, exc.response.get("error"))


def _who(body: dict[str, Any]) -> tuple[str, str]:
    user = body.get("user") or {}
    team = (body.get("team") or {}).get("id") or user.get("team_id") or ""
    return str(team), str(user.get("id", ""))


def register(app: AsyncApp, deps: Deps) -> None:
    """Listen for the form's and the preview's submissions and the Edit button."""
    # both answer with a computed view (preview, result) within BUDGET: in the web role
    deps.front.inline_view(Callback.ALERT_FORM.value)
    deps.front.inline_view(Callback.ALERT_CONFIRM.value)

    async def expired(ack: AsyncAck) -> None:
        view = status_view(deps, "New alert rule", messages.ALERT_EXPIRED)
        await ack(response_action="update", view=view)

    @app.view(Callback.ALERT_FORM.value)
    @listener(deps, "view", ack="handler")
    async def on_form(ctx: Interaction) -> None:
        ack, body, client = ctx.ack, ctx.body, ctx.client
        assert ack is not None
        view = body["view"]
        meta = unseal_model(secret(deps), FormMeta, view.get("private_metadata"))
        if meta is None:
            await expired(ack)
            return
        team, user = _who(body)
        job = preview_outcome(deps, client, read_state(view.get("state") or {}), meta, team, user)
        waiting = status_view(
            deps,
            "Preview alert rule",
            messages.ALERT_COMPUTING,
        )
        await answer(deps, ack, client, view["id"], job, waiting)

    @app.view(Callback.ALERT_CONFIRM.value)
    @listener(deps, "view", ack="handler")
    async def on_confirm(ctx: Interaction) -> None:
        ack, body, client = ctx.ack, ctx.body, ctx.client
        assert ack is not None
        view = body["view"]
        meta = unseal_model(secret(deps), ConfirmMeta, view.get("private_metadata"))
        if meta is None:
            await expired(ack)
            return
        team, user = _who(body)
        key = deps.store.key("alert-create", meta.t)
        try:
            first = await deps.store.first_time(key, ttl=DEDUPE_TTL)
        except errors.StateUnavailable as exc:
            await ack(response_action="update", view=status_view(deps, "Not created", explain(exc)))
            return
        if not first:
            log.info("duplicate submission of alert rule %s ignored", meta.t)
            text = messages.ALERT_DUPLICATE
            await ack(response_action="update", view=status_view(deps, "Already submitted", text))
            return
        job = create_outcome(deps, client, meta, key, team, user)
        waiting = status_view(deps, "Creating alert rule", "Creating the rule in Sentry…")
        await answer(deps, ack, client, view["id"], job, waiting)

    @app.action(Action.ALERT_BACK.value)
    @listener(deps, "action")
    async def on_back(ctx: Interaction) -> None:
        client = ctx.client
        view = ctx.body.get("view") or {}
        if not view.get("id"):
            return  # not pressed in a modal: nothing to go back to
        meta = unseal_model(secret(deps), ConfirmMeta, view.get("private_metadata"))
        if meta is None:
            form = status_view(deps, "New alert rule", messages.ALERT_EXPIRED)
        else:
            form_meta = FormMeta(c=meta.c, t=meta.t, g=meta.g, s=meta.s, d=meta.d)
            form = form_view(deps, from_rule(meta.r), form_meta)
        try:
            await client.views_update(view_id=view["id"], hash=view.get("hash"), view=form)
        except SlackApiError as exc:
            log.info("could not go back to the alert form: %s", exc.response.get("error"))
