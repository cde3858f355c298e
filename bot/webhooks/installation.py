"""The `installation` resource: Sentry installed or removed Dexter's integration."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.webhooks.tenants import HookTenants
from bot.webhooks.types import Delivery

if TYPE_CHECKING:
    from bot.deps import Deps

log = logging.getLogger(__name__)


async def on_installation(delivery: Delivery, deps: Deps) -> None:
    """`created`: remember the installation's workspace; `deleted`: refuse its deliveries."""
    if not delivery.installation:
        return
    tenants = HookTenants(deps.settings, deps.store, deps.workspaces)
    if delivery.action == "deleted":
        await tenants.forget(delivery.installation)
        log.warning(
            "sentry installation %s deleted (workspace %s): its deliveries are refused now",
            delivery.installation,
            delivery.team_id or "-",
        )
    elif delivery.action == "created":
        await tenants.installed(delivery.installation, delivery.team_id)
        log.info("sentry installation %s created", delivery.installation)
