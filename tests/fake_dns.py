"""The DNS of the tests and of `bench/`: workspace Sentry hosts resolve here, never through the
network (see bot/sentry/egress.py). A plain module, not a conftest."""

from __future__ import annotations

import socket

FAKE_DNS: dict[str, list[str]] = {
    "sentry.io": ["35.186.247.156"],
    "de.sentry.io": ["34.36.122.224", "2600:1901:0:94b6::"],
    "sentry.acme.internal": ["10.0.0.5"],
}


async def fake_resolver(host: str, port: int) -> list[str]:
    """Answers for FAKE_DNS; any other name does not exist."""
    if host in FAKE_DNS:
        return list(FAKE_DNS[host])
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
