"""The `installation` resource: Sentry installed or removed Dexter's integration."""

from __future__ import annotations

import logging

from bot.core.settings import Settings
from bot.webhooks.tenants import HookTenants
from bot.webhooks.types import Delivery

log = logging.getLogger(__name__)


class InstallationHook:
    """The `installation` resource handler: which installation is whose."""

    def __init__(self, settings: Settings, tenants: HookTenants) -> None:
        self.settings = settings
        self.tenants = tenants

    async def __call__(self, delivery: Delivery) -> None:
        """`created`: remember the installation's workspace; `deleted`: refuse its deliveries.

        Only for the signing workspace's own installation (in a multi-workspace install any
        admin can sign a body naming any uuid): `deleted` needs the installation tied to that
        workspace, `created` one tied to it or not seen yet. The receiver already refuses a body
        naming another workspace's installation; this holds even so, inside the job."""
        if not delivery.installation:
            return
        tenants = self.tenants
        if self.settings.multi_workspace:
            owner = await tenants.owner(delivery.installation)
            if owner != delivery.team_id and not (owner is None and delivery.action == "created"):
                log.warning(
                    "sentry installation %s: a change by workspace %s ignored, "
                    "not its installation",
                    delivery.installation,
                    delivery.team_id or "-",
                )
                return
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
