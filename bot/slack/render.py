"""Jinja2 templates → Block Kit dicts, validated against Slack's limits before sending."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import jinja2
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.core import format as fmt
from bot.core import mrkdwn
from bot.core.ids import Action, AlertField, BlockId, Callback
from bot.slack import mrkdwn_jinja
from bot.slack.mrkdwn_jinja import MrkdwnEnvironment


def _template_dir() -> Path:
    """The templates, package data of `bot` found through importlib.resources, so an installed
    wheel reads its own copy. In the repository bot/templates links to the top-level templates/,
    so a checkout and an editable install read those. A broken install fails here, at start-up,
    rather than on every message."""
    root = files("bot") / "templates"
    if not isinstance(root, Path) or not root.is_dir():
        raise RuntimeError(f"Dexter's templates are missing from this installation: {root}")
    return root


TEMPLATES = _template_dir()

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_CONTEXT_ELEMENTS = 10


class BlockKitError(ValueError):
    """A rendered message or view breaks a Block Kit rule."""


def _env() -> jinja2.Environment:
    env = MrkdwnEnvironment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        compact=fmt.compact,
        reltime=fmt.reltime,
        spark=fmt.sparkline,
        esc=fmt.escape,
        trunc=fmt.truncate,
        link=fmt.link,
        date=fmt.date,
        plural=fmt.plural,
    )
    # every id a listener also reads comes from bot/core/ids.py
    # (tests/project/test_block_kit_sources.py)
    env.globals.update(Action=Action, AlertField=AlertField, BlockId=BlockId, Callback=Callback)
    mrkdwn_jinja.install(env)  # escaping is the default (docs/mrkdwn.md)
    return env


class Renderer:
    """Renders `templates/<name>.json.j2` to validated blocks or views."""

    def __init__(self) -> None:
        self.env = _env()

    def render(self, name: str, **context: Any) -> Any:
        """The JSON a template produces, parsed."""
        text = self.env.get_template(f"{name}.json.j2").render(**context)
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise BlockKitError(f"template {name} produced invalid JSON: {exc}") from exc

    def blocks(self, name: str, **context: Any) -> list[dict[str, Any]]:
        """Message blocks from a template, validated (including the 50-block limit)."""
        blocks = self.render(name, **context)
        return validate_blocks(blocks)

    def view(self, name: str, **context: Any) -> dict[str, Any]:
        """A modal or Home view from a template, validated."""
        return validate_view(self.render(name, **context))


def validate_blocks(
    blocks: list[dict[str, Any]], *, limit: int = MAX_MESSAGE_BLOCKS
) -> list[dict[str, Any]]:
    """Check blocks with slack_sdk plus the limits slack_sdk does not check; return them."""
    if not isinstance(blocks, list):
        raise BlockKitError("blocks must be a list")
    if len(blocks) > limit:
        raise BlockKitError(f"{len(blocks)} blocks; Slack allows {limit}")
    for raw in blocks:
        _check_lengths(raw)
        block = Block.parse(raw)
        if block is None:
            raise BlockKitError(f"unknown block: {raw.get('type')}")
        try:
            block.to_dict()
        except Exception as exc:
            raise BlockKitError(f"{raw.get('type')} block: {exc}") from exc
    return blocks


def validate_view(view: dict[str, Any]) -> dict[str, Any]:
    """Validate a modal/home view and its blocks (100-block limit)."""
    validate_blocks(view.get("blocks", []), limit=MAX_VIEW_BLOCKS)
    try:
        View(**view).to_dict()
    except Exception as exc:
        raise BlockKitError(f"view: {exc}") from exc
    return view


def _check_lengths(block: dict[str, Any]) -> None:
    kind = block.get("type")
    if kind == "section":
        text = (block.get("text") or {}).get("text", "")
        if len(text) > MAX_SECTION_TEXT:
            raise BlockKitError(f"section text is {len(text)} chars; Slack allows 3000")
        fields = block.get("fields") or []
        if len(fields) > MAX_FIELDS:
            raise BlockKitError(f"section has {len(fields)} fields; Slack allows 10")
        for f in fields:
            if len(f.get("text", "")) > MAX_FIELD_TEXT:
                raise BlockKitError("section field longer than 2000 chars")
    if kind == "context" and len(block.get("elements") or []) > MAX_CONTEXT_ELEMENTS:
        raise BlockKitError("context block has more than 10 elements")


def fallback_text(blocks: list[dict[str, Any]], limit: int = 3000) -> mrkdwn.Mrkdwn:
    """The message's `text` (notifications, clients without blocks), which Slack reads as
    mrkdwn: a plain_text part (an issue title in a header) is escaped, a mrkdwn part is
    what the block itself shows."""
    parts: list[mrkdwn.Mrkdwn] = []
    for b in blocks:
        text = b.get("text")
        if isinstance(text, dict) and text.get("text"):
            value = str(text["text"])
            is_mrkdwn = text.get("type") == "mrkdwn"
            parts.append(mrkdwn.Mrkdwn(value) if is_mrkdwn else mrkdwn.escape(value))
    joined = mrkdwn.Mrkdwn("\n".join(parts))
    return mrkdwn.Mrkdwn(mrkdwn.truncate(joined, limit) or "Dexter")
