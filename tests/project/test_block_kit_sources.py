"""Ids shared by templates and listeners come from bot/core/ids.py, and only templates and
bot/slack/blocks.py write Block Kit: the checks that keep it so."""

from __future__ import annotations

import ast
from enum import StrEnum
from pathlib import Path

import jinja2
from jinja2 import nodes

from bot.core import ids
from bot.slack.render import TEMPLATES, Renderer
from tests.paths import REPO

ENUMS: dict[str, type[StrEnum]] = {
    "Action": ids.Action,
    "AlertField": ids.AlertField,
    "BlockId": ids.BlockId,
    "Callback": ids.Callback,
}
# The one module outside templates allowed to write a Block Kit `{"type": …}` object.
BLOCKS_MODULE = REPO / "bot" / "slack" / "blocks.py"
# Block Kit's object types (blocks, elements, composition objects, surfaces): a dict literal
# with one of these as its "type" is Block Kit, wherever it is written. Other "type" keys in
# bot/ are Sentry's (alert rule actions, settings schemas).
BLOCK_KIT_TYPES = frozenset(
    {
        "actions",
        "context",
        "divider",
        "header",
        "image",
        "input",
        "section",
        "rich_text",
        "video",
        "file",
        "button",
        "checkboxes",
        "datepicker",
        "datetimepicker",
        "email_text_input",
        "number_input",
        "overflow",
        "plain_text_input",
        "radio_buttons",
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "multi_static_select",
        "multi_external_select",
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
        "timepicker",
        "url_text_input",
        "plain_text",
        "mrkdwn",
        "modal",
        "home",
    }
)
KNOWN = {member.value: f"{name}.{member.name}" for name, e in ENUMS.items() for member in e}


def _templates() -> list[tuple[str, jinja2.nodes.Template]]:
    env = Renderer().env
    found = sorted(Path(TEMPLATES).rglob("*.j2"))
    assert len(found) > 30, found  # the walk really found the templates
    return [(str(p.relative_to(TEMPLATES)), env.parse(p.read_text())) for p in found]


def hard_coded_ids(tree: jinja2.nodes.Template) -> list[tuple[int, str]]:
    """String constants in a template that are ids of bot/core/ids.py."""
    return [
        (c.lineno, c.value)
        for c in tree.find_all(nodes.Const)
        if isinstance(c.value, str) and c.value in KNOWN
    ]


def test_templates_take_ids_from_the_enums() -> None:
    problems = [
        f"{name}:{line}: {value!r} is {KNOWN[value]}"
        for name, tree in _templates()
        for line, value in hard_coded_ids(tree)
    ]
    assert not problems, "\n".join(problems)


def unknown_members(tree: jinja2.nodes.Template) -> list[tuple[int, str]]:
    """`Action.TYPO` and the like: enum members a template names that do not exist."""
    found = []
    for attr in tree.find_all(nodes.Getattr):
        enum = ENUMS.get(attr.node.name) if isinstance(attr.node, nodes.Name) else None
        if enum is not None and attr.attr not in enum.__members__:
            found.append((attr.lineno, f"{enum.__name__}.{attr.attr}"))
    return found


def test_every_enum_a_template_names_exists() -> None:
    """`Action.TYPO` in a branch no test renders would fail only in production."""
    problems = [
        f"{name}:{line}: {member}"
        for name, tree in _templates()
        for line, member in unknown_members(tree)
    ]
    assert not problems, problems


def test_the_check_sees_a_hard_coded_id() -> None:
    tree = Renderer().env.parse(
        '{{ {"type": "button", "action_id": "issue_refresh", "block_id": BlockId.ISSUE_ACTIONS} }}'
    )
    assert hard_coded_ids(tree) == [(1, "issue_refresh")]
    typo = Renderer().env.parse("{% if x %}{{ Action.TYPO }}{% endif %}{{ BlockId.ISSUE_FIELDS }}")
    assert unknown_members(typo) == [(1, "Action.TYPO")]


def type_literals(source: str, *, only_block_kit: bool) -> list[tuple[int, str]]:
    """Dict literals with a "type" key (in a listener, any; elsewhere, Block Kit's)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Dict):
            continue
        for key, value in zip(node.keys, node.values, strict=True):
            if not (isinstance(key, ast.Constant) and key.value == "type"):
                continue
            kind = value.value if isinstance(value, ast.Constant) else ast.unparse(value)
            if not only_block_kit or kind in BLOCK_KIT_TYPES:
                found.append((node.lineno, str(kind)))
    return found


def test_listeners_write_no_type_literals() -> None:
    """Listeners render templates or call bot/slack/blocks.py; they write no `{"type": …}`."""
    modules = sorted((REPO / "handlers").rglob("*.py"))
    assert len(modules) > 20, modules
    problems = [
        f"{p.relative_to(REPO)}:{line}: {kind!r}"
        for p in modules
        for line, kind in type_literals(p.read_text(), only_block_kit=False)
    ]
    assert not problems, "\n".join(problems)


def test_block_kit_is_written_in_templates_and_one_module() -> None:
    modules = [p for p in sorted((REPO / "bot").rglob("*.py")) if p != BLOCKS_MODULE]
    problems = [
        f"{p.relative_to(REPO)}:{line}: {kind!r}"
        for p in modules
        for line, kind in type_literals(p.read_text(), only_block_kit=True)
    ]
    assert not problems, "\n".join(problems)
    assert type_literals(BLOCKS_MODULE.read_text(), only_block_kit=True)  # the check sees them


def test_the_check_sees_a_listener_literal() -> None:
    source = 'x = [{"type": "button", "value": "1"}, {"text": {"type": kind}}]'
    assert type_literals(source, only_block_kit=False) == [(1, "button"), (1, "kind")]
    assert type_literals(source, only_block_kit=True) == [(1, "button")]
