"""Every action id and modal callback, fed junk payloads: answered, never an unhandled error."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlencode

from bot.ids import Action, Callback
from tests.test_fuzz import Rig, _dispatch, rig  # noqa: F401  (rig is a fixture)

VALUES = ["", "x", "1|2", '{"a":1}', "123", "now|1", "null", "[1]"]
FORM = "application/x-www-form-urlencoded"


def _send(r: Rig, payload: dict[str, Any]) -> list[str]:
    before = len(r.errors)
    assert _dispatch(r, urlencode({"payload": json.dumps(payload)}), FORM) < 500
    return [repr(e.exc_info[1]) if e.exc_info else e.getMessage() for e in r.errors[before:]]


def test_every_action_survives_junk_values(rig: Rig) -> None:  # noqa: F811
    found: dict[str, list[str]] = {}
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
                if errors := _send(rig, payload):
                    found[f"{kind} {action} {value!r}"] = errors
    assert not found, found


def test_every_modal_survives_junk_state(rig: Rig) -> None:  # noqa: F811
    found: dict[str, list[str]] = {}
    for callback in Callback:
        for meta in ("", "x", '{"c":"C1"}'):
            payload = {
                "type": "view_submission",
                "team": {"id": "T1"},
                "user": {"id": "U1"},
                "api_app_id": "A1",
                "trigger_id": uuid.uuid4().hex,
                "view": {
                    "id": "V1",
                    "callback_id": callback.value,
                    "private_metadata": meta,
                    "hash": "h",
                    "state": {"values": {"b": {"a": {"value": "x"}}}},
                },
            }
            if errors := _send(rig, payload):
                found[f"{callback} {meta!r}"] = errors
    assert not found, found
