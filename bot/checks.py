"""`dexter check`: verify Slack, Sentry and Redis for real, one line per result."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import errors
from bot.core.settings import Settings
from bot.core.store import Store
from bot.pipeline.queue import redis_too_old
from bot.sentry import access
from bot.sentry.client import build_sentry

CHECK_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


async def check_slack(settings: Settings) -> CheckResult:
    """Slack `auth.test` with the bot token (`api.test` when tokens come from installs)."""
    if settings.multi_workspace:
        return await _check_slack_reachable(settings)
    client = AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=int(CHECK_TIMEOUT),
    )
    try:
        resp = await asyncio.wait_for(client.auth_test(), CHECK_TIMEOUT)
    except SlackApiError as exc:
        return CheckResult(
            "slack", False, f"Slack refused the bot token: {exc.response.get('error')}"
        )
    except Exception as exc:
        return CheckResult(
            "slack",
            False,
            f"Slack is unreachable at {settings.slack_api_url} ({type(exc).__name__})",
        )
    return CheckResult(
        "slack", True, f"Slack: connected as @{resp.get('user')} in {resp.get('team')}"
    )


async def _check_slack_reachable(settings: Settings) -> CheckResult:
    client = AsyncWebClient(base_url=settings.slack_api_url, timeout=int(CHECK_TIMEOUT))
    try:
        await asyncio.wait_for(client.api_test(), CHECK_TIMEOUT)
    except Exception as exc:
        return CheckResult(
            "slack",
            False,
            f"Slack is unreachable at {settings.slack_api_url} ({type(exc).__name__})",
        )
    return CheckResult(
        "slack", True, "Slack: reachable; bot tokens come from each workspace's install"
    )


async def check_sentry(settings: Settings) -> list[CheckResult]:
    """The token works, the organisation is visible, and per feature, what the token lacks."""
    client = build_sentry(settings, timeout=CHECK_TIMEOUT, max_retries=0)
    token = settings.sentry_auth_token.get_secret_value()
    try:
        try:
            resp = await client.get(client.org_path())
        except errors.SentryUnauthorized:
            return [CheckResult("sentry", False, "Sentry refused SENTRY_AUTH_TOKEN (401)")]
        except errors.SentryNotFound:
            return [
                CheckResult(
                    "sentry",
                    False,
                    f"Sentry has no organization `{settings.sentry_org}` visible to the token",
                )
            ]
        except errors.SentryForbidden as exc:
            problem = f"Sentry refused access to the organization: {exc}"
            if token.startswith(access.ORG_TOKEN_PREFIX):
                problem = access.ORG_TOKEN
            return [CheckResult("sentry", False, problem)]
        except errors.SentryError as exc:
            return [
                CheckResult(
                    "sentry", False, f"Sentry is unreachable at {settings.sentry_base} ({exc})"
                )
            ]
        name = (resp.data or {}).get("name", settings.sentry_org)
        results = [
            CheckResult("sentry", True, f"Sentry: organization {name} at {settings.sentry_base}")
        ]
        if token.startswith(access.ORG_TOKEN_PREFIX):
            results.append(CheckResult("sentry-token", False, access.ORG_TOKEN))
        try:
            found = await access.probe(client)
        except errors.SentryError as exc:
            results.append(CheckResult("sentry-access", False, f"Sentry: could not check ({exc})"))
            return results
        for cap in access.CAPABILITIES:
            why = found.missing.get(cap)
            if why is None:
                results.append(CheckResult("sentry-access", True, f"Sentry: {cap.feature}"))
            else:
                detail = f"Sentry: {cap.feature} needs the {cap.permission} permission ({why})"
                results.append(CheckResult("sentry-access", False, detail))
        return results
    finally:
        await client.aclose()


async def check_redis(settings: Settings) -> CheckResult:
    """Redis answers PING and is new enough for the job queue (the embedded server is
    started when REDIS_URL is unset)."""
    where = settings.redis_url or f"embedded, in {settings.data_dir}"
    try:
        store = await Store.connect(
            settings.redis_url, settings.data_dir, prefix=settings.redis_prefix
        )
        try:
            await asyncio.wait_for(store.ping(), CHECK_TIMEOUT)
            too_old = await asyncio.wait_for(redis_too_old(store.redis), CHECK_TIMEOUT)
        finally:
            await store.close()
    except Exception as exc:
        return CheckResult("redis", False, f"Redis is unreachable ({where}): {type(exc).__name__}")
    if too_old:
        return CheckResult("redis", False, f"Redis ({where}): {too_old}")
    return CheckResult("redis", True, f"Redis: reachable ({where})")


async def run_checks(settings: Settings) -> list[CheckResult]:
    """All checks, concurrently; Sentry's come one line per feature."""
    slack, sentry, redis = await asyncio.gather(
        check_slack(settings), check_sentry(settings), check_redis(settings)
    )
    hooks = check_webhooks(settings)
    return [slack, *sentry, redis, *([hooks] if hooks else [])]


def check_webhooks(settings: Settings) -> CheckResult | None:
    """Where Sentry should post its webhooks (None when they are off)."""
    if not settings.sentry_webhooks:
        return None
    from bot.webhooks.integration import webhook_url

    who = (
        "SENTRY_CLIENT_SECRET is set"
        if settings.sentry_client_secret is not None
        else "each workspace's secret comes from /dexter setup"
    )
    where = (
        webhook_url(settings.public_url) if settings.public_url else "<public URL>/sentry/webhook"
    )
    return CheckResult(
        "webhooks", True, f"Sentry webhooks: on ({who}); the integration's Webhook URL is {where}"
    )
