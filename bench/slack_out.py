"""Cost of the mrkdwn safety on the hot path: rendering with autoescape, and the edge check.

`python -m bench.slack_out [--n 2000]` prints microseconds per message for
- rendering the issue card (autoescaping templates, bot/slack/mrkdwn_jinja.py);
- `check_message` (bot/slack/outgoing.py) on that card's blocks and fallback text, as every
  `chat.postMessage`/`chat.update`/`respond` pays it;
- the same check on a text without any `<` (the fast path).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bot.sentry.models import Event, Issue
from bot.slack.outgoing import check_message
from bot.slack.render import Renderer, fallback_text
from tests import factories as f


def per_call_us(fn: Callable[[], Any], n: int) -> float:
    fn()  # warm up
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n * 1e6


def main() -> None:
    """Print µs per operation."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    n = parser.parse_args().n
    r = Renderer()
    issue = Issue.model_validate(f.issue(1, title="KeyError: 'plan' & <b>"))
    event = Event.model_validate(f.event(1))
    now = datetime.now(UTC)
    notes = ["Resolved by <@U1> · just now"]

    def render() -> list[dict[str, Any]]:
        return r.blocks(
            "triage/issue_card",
            issue=issue,
            event=event,
            has_releases=True,
            buttons=[],
            notes=notes,
            now=now,
        )

    blocks = render()
    message = {"channel": "C1", "blocks": blocks, "text": fallback_text(blocks)}
    plain = {"channel": "C1", "text": "Resolved BACKEND-1 · ZeroDivisionError: division by zero"}
    print(f"{'operation':<44}{'µs/call':>10}")
    print(f"{'render issue_card (autoescape)':<44}{per_call_us(render, n):>10.1f}")
    check = per_call_us(lambda: check_message(message, "bench"), n)
    print(f"{'check_message: card blocks + fallback':<44}{check:>10.1f}")
    fast = per_call_us(lambda: check_message(plain, "bench"), n * 10)
    print(f"{'check_message: text without <':<44}{fast:>10.2f}")


if __name__ == "__main__":
    main()
