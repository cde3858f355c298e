"""Slack ↔ Sentry identity links, kept in Redis; auto-linking by verified email."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from pydantic import BaseModel

from bot.core import clock, messages
from bot.core.errors import NotLinked
from bot.core.store import Store
from bot.sentry.members import MemberService
from bot.sentry.models import Member
from bot.sentry.scope import sentry_identity

log = logging.getLogger(__name__)

# (team_id, slack_user_id) -> the user's Slack profile email, or None when Slack has none.
EmailLookup = Callable[[str, str], Awaitable[str | None]]


class Identity(BaseModel):
    """A Slack user linked to a Sentry member."""

    slack_user_id: str
    member_id: str
    user_id: str | None = None
    email: str
    name: str = ""
    method: str = "email"  # email | admin
    linked_by: str | None = None
    linked_at: datetime
    sentry: str = ""  # the Sentry (server + org) the member belongs to; "" before this was kept

    @property
    def assignee(self) -> str:
        """What Sentry's `assignedTo` takes for this person."""
        return f"user:{self.user_id}" if self.user_id else self.email


class IdentityService:
    """Find, create and remove links; `require` auto-links by email before refusing."""

    def __init__(self, store: Store, members: MemberService, email_lookup: EmailLookup) -> None:
        self.store = store
        self.members = members
        self.email_lookup = email_lookup

    def _key(self, team_id: str, slack_user_id: str) -> str:
        return self.store.key("identity", team_id or "-", slack_user_id)

    def _optout_key(self, team_id: str, slack_user_id: str) -> str:
        return self.store.key("identity-optout", team_id or "-", slack_user_id)

    async def get(self, team_id: str, slack_user_id: str) -> Identity | None:
        """The stored link, if any, to a member of the Sentry this workspace uses now."""
        raw = await self.store.get_json(self._key(team_id, slack_user_id))
        if not raw:
            return None
        ident = Identity.model_validate(raw)
        if ident.sentry and ident.sentry != sentry_identity(self.members.client):
            return None  # a member id of another Sentry names someone else here
        return ident

    async def forget_team(self, team_id: str) -> int:
        """Remove every link of a workspace (its Sentry changed); opt-outs stay."""
        pattern = self._key(team_id, "*")
        keys = [k async for k in self.store.redis.scan_iter(match=pattern, count=500)]
        if keys:
            await self.store.delete(*keys)
        log.info("removed %d identity links of workspace %s", len(keys), team_id)
        return len(keys)

    async def save(
        self, team_id: str, slack_user_id: str, member: Member, *, method: str, by: str | None
    ) -> Identity:
        """Store a link to a member."""
        ident = Identity(
            slack_user_id=slack_user_id,
            member_id=member.id,
            user_id=member.user_id,
            email=member.email,
            name=member.name,
            method=method,
            linked_by=by,
            linked_at=clock.now(),
            sentry=sentry_identity(self.members.client),
        )
        await self.store.set_json(self._key(team_id, slack_user_id), ident.model_dump(mode="json"))
        await self.store.delete(self._optout_key(team_id, slack_user_id))
        log.info("linked slack user %s to sentry member %s (%s)", slack_user_id, member.id, method)
        return ident

    async def unlink(self, team_id: str, slack_user_id: str) -> bool:
        """Remove a link and stop automatic re-linking until `link`; True when there was one."""
        existed = await self.get(team_id, slack_user_id) is not None
        await self.store.delete(self._key(team_id, slack_user_id))
        await self.store.set_json(self._optout_key(team_id, slack_user_id), True)
        return existed

    async def opted_out(self, team_id: str, slack_user_id: str) -> bool:
        """True after `unlink`, until the user links again."""
        return bool(await self.store.get_json(self._optout_key(team_id, slack_user_id)))

    async def link_by_email(self, team_id: str, slack_user_id: str) -> tuple[Identity | None, str]:
        """Try the email match; returns the link (or None) and a sentence explaining the result."""
        email = await self.email_lookup(team_id, slack_user_id)
        if not email:
            return None, messages.LINK_NO_EMAIL
        member = await self.members.by_email(email)
        if member is None:
            return None, messages.LINK_NO_MEMBER.format(email=email, org=self.members.client.org)
        ident = await self.save(team_id, slack_user_id, member, method="email", by=None)
        return ident, messages.LINKED.format(name=member.name or member.email, email=member.email)

    async def resolve(self, team_id: str, slack_user_id: str) -> Identity | None:
        """The link, creating it from a matching email when possible."""
        ident = await self.get(team_id, slack_user_id)
        if ident is not None or await self.opted_out(team_id, slack_user_id):
            return ident
        ident, _ = await self.link_by_email(team_id, slack_user_id)
        return ident

    async def require(
        self, team_id: str, slack_user_id: str, *, message: str = messages.NOT_LINKED
    ) -> Identity:
        """The link, or NotLinked with the exact reason and how to fix it.

        `message` says what the link is needed for; its `{why}` is the reason.
        """
        ident = await self.get(team_id, slack_user_id)
        if ident is not None:
            return ident
        if await self.opted_out(team_id, slack_user_id):
            raise NotLinked(message.format(why=messages.LINK_OPTED_OUT))
        ident, why = await self.link_by_email(team_id, slack_user_id)
        if ident is None:
            raise NotLinked(message.format(why=why))
        return ident
