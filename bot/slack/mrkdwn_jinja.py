"""Jinja autoescape for Slack mrkdwn: every value is escaped unless it is `Mrkdwn`.

Dexter's templates build Block Kit as data (`{% do blocks.append({...}) %}`) and print it
once with `tojson`. Escaping therefore happens in three places, all automatic:

- `~` concatenation (and `{{ … }}` output inside macros) escapes every operand that is not
  `Mrkdwn` and yields `Mrkdwn`: `"*" ~ issue.title ~ "*"` is safe as written;
- `tojson` walks the blocks: the `text` of a `{"type": "mrkdwn"}` object is escaped unless it
  is `Mrkdwn`; every other string (plain_text, URLs, button values, ids) is given as the text
  it shows (`plain()`), so `"value": "q:" ~ query` round-trips exactly;
- markup comes only from filters: `url|link(label)`, `id|user`, `id|channel`, `|esc`;
  a constant with placeholders is filled with `TEMPLATE|mformat(part=…)` (`mrkdwn.format`),
  never with Python's `.format` (its result is a plain `str`, escaped whole).

Template literals are escaped like everything else: write `<version>`, not `&lt;version&gt;`.
There is no `|safe`. How it hooks into Jinja: the compiled template's `escape`, `Markup`,
`markup_join`, `str_join` and `Macro` are ours (`MrkdwnTemplate._from_namespace`), and
template data is escaped for mrkdwn, not HTML, at compile time (`_CodeGenerator`).
tests/core/test_mrkdwn_injection.py proves each of these on every template.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, MutableMapping
from typing import Any

import jinja2
import markupsafe
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import Macro

from bot.core import mrkdwn
from bot.core.mrkdwn import Mrkdwn


def safe(value: Any) -> Mrkdwn:
    """Escape a template value unless it is already safe (Mrkdwn, or a macro's output)."""
    if isinstance(value, markupsafe.Markup):  # what Jinja itself marks safe: macro output
        return Mrkdwn(str(value))
    return mrkdwn.escape(value)


def concat(seq: Iterable[Any]) -> Mrkdwn:
    """`a ~ b ~ c`: each operand escaped unless safe."""
    return Mrkdwn("".join(safe(x) for x in seq))


class _Macro(Macro):
    def _invoke(self, arguments: list[Any], autoescape: bool) -> Any:
        rv = self._func(*arguments)
        return Mrkdwn(rv) if autoescape else rv


class _CodeGenerator(CodeGenerator):
    def _output_child_to_const(self, node: nodes.Expr, frame: Frame, finalize: Any) -> str:
        const = node.as_const(frame.eval_ctx)
        if frame.eval_ctx.autoescape:
            const = mrkdwn.escape(const)  # for Slack, not HTML: quotes stay quotes
        if isinstance(node, nodes.TemplateData):
            return str(const)
        return str(finalize.const(const))


class MrkdwnTemplate(jinja2.Template):
    """A template whose escaping primitives are mrkdwn's."""

    @classmethod
    def _from_namespace(
        cls,
        environment: jinja2.Environment,
        namespace: MutableMapping[str, Any],
        globals: MutableMapping[str, Any],
    ) -> jinja2.Template:
        namespace.update(
            escape=safe, Markup=Mrkdwn, markup_join=concat, str_join=concat, Macro=_Macro
        )
        return super()._from_namespace(environment, namespace, globals)


def sink(node: Any) -> Any:
    """Blocks as Slack must get them: mrkdwn texts escaped unless Mrkdwn, other strings as
    the plain text they show."""
    if isinstance(node, dict):
        out = {k: sink(v) for k, v in node.items()}
        if node.get("type") == "mrkdwn" and "text" in node:
            out["text"] = str(safe(node["text"]))
        return out
    if isinstance(node, list | tuple):
        return [sink(v) for v in node]
    if isinstance(node, markupsafe.Markup):
        return mrkdwn.plain(Mrkdwn(str(node)))
    if isinstance(node, str):
        return mrkdwn.plain(node)
    return node


def tojson(value: Any) -> Mrkdwn:
    """The `tojson` filter: the blocks through `sink`, as JSON."""
    return Mrkdwn(json.dumps(sink(value), ensure_ascii=False))


def _join(value: Iterable[Any], d: str = "", attribute: str | None = None) -> Mrkdwn:
    items = [getattr(v, attribute) for v in value] if attribute else list(value)
    return Mrkdwn(safe(d).join(safe(x) for x in items))


def _replace(value: Any, old: str, new: str, count: int | None = None) -> str:
    n = -1 if count is None else count
    if isinstance(value, Mrkdwn | markupsafe.Markup):
        return Mrkdwn(str(value).replace(safe(old), safe(new), n))
    return str(value).replace(old, new, n)


def install(env: jinja2.Environment) -> None:
    """Turn mrkdwn autoescape on for `env` (built with `environment()`)."""
    env.autoescape = True
    env.filters.update(
        esc=mrkdwn.escape,
        e=mrkdwn.escape,
        escape=mrkdwn.escape,
        link=mrkdwn.link,
        user=mrkdwn.user,
        channel=mrkdwn.channel,
        mformat=mrkdwn.format,  # TEMPLATE|mformat(part=…): str.format with parts escaped
        trunc=mrkdwn.truncate,
        join=_join,
        replace=_replace,
        tojson=tojson,
    )
    for unsafe in ("safe", "forceescape", "urlize", "xmlattr"):
        env.filters.pop(unsafe, None)


class MrkdwnEnvironment(jinja2.Environment):
    """A Jinja environment whose templates escape for mrkdwn by default."""

    code_generator_class = _CodeGenerator
    template_class = MrkdwnTemplate
