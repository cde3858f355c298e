"""Every action id and modal callback, fed junk payloads: answered, never an unhandled error."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlencode

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.core.ids import Action, Callback
from tests.core.test_fuzz import Rig, _dispatch, rig  # noqa: F401  (rig is a fixture)

VALUES = ["", "x", "1|2", '{"a":1}', "123", "now|1", "null", "[1]"]
FORM = "application/x-www-form-urlencoded"
NO_SUBMIT = {Callback.ALERT_STATUS}  # a status modal: Close is its only button


def _send(r: Rig, payload: dict[str, Any]) -> tuple[int, list[str]]:
    """The status Bolt answered (404: no listener heard it) and the errors logged meanwhile."""
    before = len(r.errors)
    status = _dispatch(r, urlencode({"payload": json.dumps(payload)}), FORM)
    assert status < 500
    new = r.errors[before:]
    return status, [repr(e.exc_info[1]) if e.exc_info else e.getMessage() for e in new]


def _modal(callback: str, meta: str) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": "T1"},
        "user": {"id": "U1"},
        "api_app_id": "A1",
        "trigger_id": uuid.uuid4().hex,
        "view": {
            "id": "V1",
            "type": "modal",  # Slack always sends it; without it Bolt refuses the payload (400)
            "callback_id": callback,
            "private_metadata": meta,
            "hash": "h",
            "state": {"values": {"b": {"a": {"value": "x"}}}},
        },
    }


def test_every_action_survives_junk_values(rig: Rig) -> None:  # noqa: F811
    found: dict[str, list[str]] = {}
    answered: set[str] = set()
    for action in [*Action, "unknown"]:
        for kind in ("block_actions", "block_suggestion"):
            for value in VALUES:
                payload = {
                    "type": kind,
                    "team": {"id": "T1"},
                    "user": {"id": "U1"},
                    "api_app_id": "A1",
                    "response_url": rig.slack.response_url(),
                    "trigger_id": uuid.uuid4().hex,
                    "actions": [{"action_id": str(action), "block_id": "b", "value": value}],
                    "action_id": str(action),
                    "value": value,
                }
                status, errors = _send(rig, payload)
                if status == 200:
                    answered.add(str(action))
                if errors:
                    found[f"{kind} {action} {value!r}"] = errors
    assert not found, found
    # junk that no listener hears proves nothing: each action id reached its listener
    assert answered == {str(a) for a in Action}


def test_every_modal_survives_junk_state(rig: Rig) -> None:  # noqa: F811
    found: dict[str, list[str]] = {}
    answered: set[str] = set()
    for callback in Callback:
        for meta in ("", "x", '{"c":"C1"}'):
            status, errors = _send(rig, _modal(callback.value, meta))
            if status == 200:
                answered.add(callback.value)
            if errors:
                found[f"{callback} {meta!r}"] = errors
    assert not found, found
    assert answered == {c.value for c in Callback if c not in NO_SUBMIT}


def test_the_junk_checks_see_a_failing_listener(rig: Rig) -> None:  # noqa: F811
    @rig.app.view("junk_probe")
    async def explode(ack: AsyncAck) -> None:
        await ack()
        raise RuntimeError("junk probe")

    status, errors = _send(rig, _modal("junk_probe", ""))
    # the job's only attempt (the rig allows one) failed: logged, then given up
    assert status == 200 and errors[0] == "RuntimeError('junk probe')"
    assert len(errors) == 2 and "dead-lettered" in errors[1]
    # the view without its type (as these tests once sent it) never reaches the listener
    untyped = _modal("junk_probe", "")
    del untyped["view"]["type"]
    assert _send(rig, untyped) == (400, [])
