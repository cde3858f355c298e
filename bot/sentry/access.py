"""What Dexter's Sentry token may do, per feature: its scopes and a cheap read per capability.

Permission names are those Sentry's settings show for an internal integration (and a
personal token), with the scopes each level grants (Sentry's permission map in
static/app/constants: Project, Team, Release, Issue & Event, Organization, Member, Alerts).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.core import errors
from bot.sentry.client import SentryClient

ORG_TOKEN_PREFIX = "sntrys_"
ORG_TOKEN = (
    "SENTRY_AUTH_TOKEN is an organization auth token (sntrys_…). Sentry gives those only "
    "`org:ci` (releases and source maps) and no user, so Dexter can't read or triage issues "
    "with it. Create an internal integration (Settings → Developer Settings → Custom "
    "Integrations) with the permissions the README lists, and use its token."
)


@dataclass(frozen=True, slots=True)
class Capability:
    """One thing a feature needs from Sentry: the permission to tick, its scopes, a probe."""

    feature: str
    permission: str
    scopes: tuple[str, ...]
    probe: tuple[str, ...] | None  # org path parts to GET; None: only the scopes tell


CAPABILITIES = (
    Capability("the organization", "Organization: Read", ("org:read",), None),  # checked first
    Capability("projects", "Project: Read", ("project:read",), ("projects",)),
    Capability("teams and the permission policy", "Team: Read", ("team:read",), ("teams",)),
    Capability("linking people, assigning", "Member: Read", ("member:read",), ("members",)),
    Capability(
        "issue lists, cards, unfurls, Discover", "Issue & Event: Read", ("event:read",), ("issues",)
    ),
    Capability(
        "resolve, ignore, assign, bulk changes",
        "Issue & Event: Read & Write",
        ("event:write",),
        None,
    ),
    Capability(
        "releases, deploys, resolve in a release",
        "Release: Admin",
        ("project:releases",),
        ("releases",),
    ),
    Capability(
        "alert rules", "Alerts: Read & Write", ("alerts:read", "alerts:write"), ("workflows",)
    ),
)
PROBE_PARAMS = {"per_page": 1, "limit": 1}


@dataclass(frozen=True, slots=True)
class Access:
    """The token's scopes (None when Sentry does not say) and what each capability lacks."""

    scopes: frozenset[str] | None
    missing: dict[Capability, str]  # capability → why


async def token_scopes(client: SentryClient) -> frozenset[str] | None:
    """The scopes Sentry reports for the token (`GET /api/0/`, src/sentry/api/endpoints/
    index.py: `{"auth": {"scopes": […]}}`), or None when it does not say."""
    resp = await client.get("")
    auth = resp.data.get("auth") if isinstance(resp.data, dict) else None
    scopes = auth.get("scopes") if isinstance(auth, dict) else None
    return frozenset(str(s) for s in scopes) if isinstance(scopes, list) else None


async def probe(client: SentryClient) -> Access:
    """Check every capability: by the token's scopes, and by a cheap read where there is one."""
    scopes = await token_scopes(client)

    async def one(cap: Capability) -> tuple[Capability, str | None]:
        lacking = [s for s in cap.scopes if scopes is not None and s not in scopes]
        if lacking:
            return cap, f"the token lacks {', '.join(f'`{s}`' for s in lacking)}"
        if cap.probe is None:
            return cap, None
        try:
            await client.get(client.org_path(*cap.probe), params=PROBE_PARAMS)
        except errors.SentryForbidden as exc:
            return cap, f"Sentry refused a read (403: {exc.message})"
        except errors.SentryNotFound:
            if cap.probe == ("workflows",):  # older Sentry: legacy alert rules instead
                return cap, None
            raise
        return cap, None

    found = await asyncio.gather(*(one(c) for c in CAPABILITIES))
    return Access(scopes=scopes, missing={c: why for c, why in found if why})
