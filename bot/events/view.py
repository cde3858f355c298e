"""The event and tags views as safe, Slack-sized text; `templates/events/` lays them out.

Every string here is finished mrkdwn: untrusted parts went through `bot.events.safe`, and each
block's text is cut to Slack's limits (section 3000, field 2000, header 150) with room for
what surrounds it. The template adds nothing from the event itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.core.format import link, reltime
from bot.core.mrkdwn import Mrkdwn
from bot.events import safe, texts
from bot.events.api import EventApi
from bot.events.models import Breadcrumb, ExceptionDetail, FrameDetail, TagDetail
from bot.events.parse import EVENT_ID, NAMED, button_value
from bot.events.service import KEY_TAGS, EventPage, TagsPage

SECTION = 3000
FIELD = 2000
HEADER = 150
MAX_EXCEPTIONS = 3
MAX_BREADCRUMBS = 10
MAX_TAG_FIELDS = 10
MAX_TOP_VALUES = 5
VALUE_CHARS = 600
FRAME_CHARS = 160
CRUMB_CHARS = 200
TAG_VALUE_CHARS = 120
URL_CHARS = 1000
BAR_WIDTH = 10


@dataclass
class EventView:
    """What `templates/events/event.json.j2` shows."""

    title: str  # plain_text for the header (Slack does not parse it)
    head: str
    exceptions: list[str]
    breadcrumbs: str | None
    request: str | None
    tag_fields: list[str]
    footer: str
    event_url: str | None
    older: str | None  # button values
    newer: str | None
    tags_value: str
    cut: bool = False
    notes: list[str] = field(default_factory=list)
    ends_known: bool = True

    def __post_init__(self) -> None:
        # every mrkdwn text here was escaped piece by piece (bot/events/safe.py): mark it so
        # the templates do not escape it again (docs/mrkdwn.md)
        self.head = Mrkdwn(self.head)
        self.exceptions = [Mrkdwn(t) for t in self.exceptions]
        self.breadcrumbs = Mrkdwn(self.breadcrumbs) if self.breadcrumbs else None
        self.request = Mrkdwn(self.request) if self.request else None
        self.tag_fields = [Mrkdwn(t) for t in self.tag_fields]
        self.footer = Mrkdwn(self.footer)
        self.notes = [Mrkdwn(t) for t in self.notes]


@dataclass
class TagsView:
    """What `templates/events/tags.json.j2` shows."""

    title: str
    head: str
    sections: list[str]
    tags_url: str
    back_value: str

    def __post_init__(self) -> None:
        self.head = Mrkdwn(self.head)  # escaped piece by piece, as in EventView
        self.sections = [Mrkdwn(t) for t in self.sections]


def _frame_lines(frame: FrameDetail) -> list[str]:
    where = f"{frame.where} in {frame.function or '?'}"
    lines = [safe.code_line(where, FRAME_CHARS)]
    source = frame.context_line
    if source and source.strip():
        lines.append(safe.code_line("    " + source.strip(), FRAME_CHARS))
    return lines


def ordered_frames(frames: list[FrameDetail]) -> tuple[list[FrameDetail], int]:
    """In-app frames first, then the others, each innermost (where it raised) first; and how
    many of them are library frames."""
    innermost = list(reversed(frames))
    mine = [f for f in innermost if f.in_app]
    others = [f for f in innermost if not f.in_app]
    return mine + others, len(others)


def exception_text(exc: ExceptionDetail, *, caused: bool) -> tuple[str, bool]:
    """One exception: type, value, whether handled, and its frames in a code block."""
    kind = safe.plain(exc.type or "Exception", 200)
    value = safe.plain(exc.value or "", VALUE_CHARS)
    parts = [f"{texts.CAUSED} " if caused else "", f"*{kind}*", f": {value}" if value else ""]
    if exc.mechanism is not None and exc.mechanism.handled is not None:
        parts.append(f" ({texts.HANDLED if exc.mechanism.handled else texts.UNHANDLED})")
    head = "".join(parts)
    frames, library = ordered_frames(exc.frames)
    if not frames:
        return f"{head}\n_{texts.NO_FRAMES}_", len(exc.value or "") > VALUE_CHARS
    more_room = 120
    budget = SECTION - len(head) - len(safe.FENCE) * 2 - 4 - more_room
    kept_frames = 0
    lines: list[str] = []
    for frame in frames:
        candidate = _frame_lines(frame)
        fitted, left = safe.fit([*lines, *candidate], budget)
        if left:
            break
        lines = fitted
        kept_frames += 1
    dropped = len(frames) - kept_frames
    if dropped:
        lib = max(0, library - max(0, kept_frames - (len(frames) - library)))
        lines.append(safe.code_line(texts.MORE_FRAMES.format(n=dropped, library=lib), more_room))
    cut = dropped > 0 or len(exc.value or "") > VALUE_CHARS
    return f"{head}\n{safe.fence(lines)}", cut


def crumb_line(crumb: Breadcrumb) -> str:
    """`10:21:03 info http GET /api/cart [500]`."""
    when = crumb.timestamp.strftime("%H:%M:%S") if crumb.timestamp else "--:--:--"
    data = crumb.data or {}
    what = crumb.message
    if not what and (data.get("url") or data.get("method")):
        status = data.get("status_code")
        what = " ".join(
            str(p)
            for p in (data.get("method"), data.get("url"), f"[{status}]" if status else None)
            if p
        )
    words = [when, crumb.level or "", crumb.category or crumb.type or "", what or ""]
    return safe.code_line(" ".join(w for w in words if w), CRUMB_CHARS)


def breadcrumbs_text(crumbs: list[Breadcrumb]) -> tuple[str | None, bool]:
    """The last breadcrumbs before the error, oldest first, in a code block."""
    if not crumbs:
        return None, False
    last = crumbs[-MAX_BREADCRUMBS:]
    head = texts.BREADCRUMBS.format(n=len(last), total=len(crumbs))
    budget = SECTION - len(head) - len(safe.FENCE) * 2 - 4
    lines = [crumb_line(c) for c in last]
    # keep the newest ones (closest to the error) when they do not all fit
    kept, left = safe.fit(list(reversed(lines)), budget)
    return f"{head}\n{safe.fence(reversed(kept))}", left > 0 or len(crumbs) > len(last)


def tag_fields(tags: list[tuple[str, str]]) -> list[str]:
    """Key tags first (environment, release, …), then others, as `*key*` over `value`."""
    order = {k: i for i, k in enumerate(KEY_TAGS)}
    ranked = sorted(enumerate(tags), key=lambda it: (order.get(it[1][0], len(order)), it[0]))
    out = []
    for _, (key, value) in ranked[:MAX_TAG_FIELDS]:
        out.append(f"*{safe.plain(key, 100)}*\n{safe.code(value, TAG_VALUE_CHARS)}")
    return out


def _nav(issue_id: str, event_id: str | None) -> str | None:
    return button_value(issue_id, event_id) if event_id and EVENT_ID.fullmatch(event_id) else None


def event_view(page: EventPage, api: EventApi, now: datetime) -> EventView:
    """The event view of an issue's event."""
    issue, event = page.issue, page.event
    event_id = event.event_id or event.id
    url = api.event_url(issue.id, event_id) if EVENT_ID.fullmatch(event_id) else None
    chain = event.exceptions()
    cut = False
    sections: list[str] = []
    shown = list(reversed(chain))[:MAX_EXCEPTIONS]  # the raised one first, then its causes
    for i, exc in enumerate(shown):
        text, was_cut = exception_text(exc, caused=i > 0)
        sections.append(text)
        cut = cut or was_cut
    notes: list[str] = []
    if len(chain) > MAX_EXCEPTIONS:
        notes.append(texts.MORE_EXCEPTIONS.format(n=len(chain) - MAX_EXCEPTIONS))
        cut = True
    if not chain:
        message = event.message_text()
        lone = ExceptionDetail(type=None, value=message, frames=event.thread_frames())
        text, was_cut = exception_text(lone, caused=False)
        sections.append(text.replace("*Exception*", f"*{texts.MESSAGE}*", 1))
        cut = cut or was_cut
    crumbs, crumbs_cut = breadcrumbs_text(event.breadcrumbs())
    request = event.request()
    req_text = None
    if request is not None:
        req_text = (
            f"*{texts.REQUEST}* {safe.code(request.method or '?', 20)} "
            f"{safe.code(request.url, URL_CHARS)}"
        )
        cut = cut or len(request.url or "") > URL_CHARS
    which = f" · {page.which}" if page.which in NAMED else ""
    head = (
        f"*{link(issue.permalink, issue.short_id)}* · {texts.EVENT} {safe.code(event_id[:12], 16)}"
        f" · {reltime(event.date_created, now)}{which}"
    )
    user = event.user.label if event.user else None
    footer_parts = [safe.plain(event.platform, 40) if event.platform else ""]
    if user:
        footer_parts.append(f"{texts.USER} {safe.code(user, 80)}")
    footer = " · ".join(p for p in footer_parts if p)
    cut = cut or crumbs_cut or len(event.tags) > MAX_TAG_FIELDS
    title = event.title or issue.title
    return EventView(
        title=safe.one_line(title, HEADER) or texts.EVENT.title(),
        head=head,
        exceptions=sections,
        breadcrumbs=crumbs,
        request=req_text,
        tag_fields=tag_fields([(t.key, t.value) for t in event.tags]),
        footer=footer,
        event_url=url,
        older=_nav(issue.id, event.previous_event_id),
        newer=_nav(issue.id, event.next_event_id),
        tags_value=button_value(issue.id, "tags"),
        cut=cut,
        notes=notes,
        ends_known=page.ends_known,
    )


def bar(share: float) -> str:
    """A bar of `BAR_WIDTH` cells for a share between 0 and 1."""
    full = int(max(0.0, min(1.0, share)) * BAR_WIDTH + 0.5)
    return "█" * full + "░" * (BAR_WIDTH - full)


def tag_section(tag: TagDetail) -> str:
    """One tag: its top values with their share of the events carrying the tag."""
    total = tag.total_values or sum(v.count or 0 for v in tag.top_values)
    name = safe.plain(tag.key, 100)
    values = tag.unique_values or len(tag.top_values)
    head = texts.TAG_HEAD.format(name=name, total=total, values=values)
    lines = []
    for value in tag.top_values[:MAX_TOP_VALUES]:
        share = (value.count or 0) / total if total else 0.0
        lines.append(
            f"`{bar(share)}` {share:>4.0%} {safe.code(value.value or value.name, TAG_VALUE_CHARS)}"
            f" ({value.count or 0})"
        )
    kept, _ = safe.fit(lines, SECTION - len(head) - 1)
    return "\n".join([head, *kept]) if kept else head


def tags_view(page: TagsPage, api: EventApi) -> TagsView:
    """The tags view of an issue."""
    issue = page.issue
    return TagsView(
        title=safe.one_line(texts.TAGS_TEXT.format(issue=issue.short_id), HEADER),
        head=f"*{link(issue.permalink, issue.short_id)}* {safe.plain(issue.title, 300)}",
        sections=[tag_section(t) for t in page.tags],
        tags_url=api.tags_url(issue.id),
        back_value=button_value(issue.id, "latest"),
    )
