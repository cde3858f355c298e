"""Parse `/dexter discover …` into a typed Discover query (pure; no I/O)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

from pydantic import BaseModel, ConfigDict

from bot.core.errors import UserError
from bot.core.grammar import (
    DATE,
    QUOTES,
    describe_period,
    normalize_period,
    option_kind,
    parse_datetime,
    period_seconds,
    split_fields,
    take_options,
    tokenize,
)
from bot.sentry.times import iso

DISCOVER_USAGE = (
    "/dexter discover <fields> [where <query>] [sort [-]<field>] "
    "[last <period> | from <date> to <date>] [in errors|spans|logs] "
    "[project:<slug>] [env:<name>] [chart] [export] [public]"
)
DATASETS = ("errors", "spans", "logs", "profile_functions", "tracemetrics", "uptime_results")
DEFAULT_DATASET = "errors"
DEFAULT_PERIOD = "24h"
MAX_FIELDS = 20
MAX_PERIOD = timedelta(days=90)
FLAGS = ("chart", "export", "public")

_FUNCTION = re.compile(r"^([a-z_][a-z0-9_]*)\((.*)\)$", re.IGNORECASE | re.DOTALL)


def is_aggregate(field: str) -> bool:
    """True for functions such as `count()` or `p95(span.duration)` and equations."""
    return field.startswith("equation|") or bool(_FUNCTION.match(field))


def function_name(field: str) -> str | None:
    """`p95` for `p95(span.duration)`; None for plain columns."""
    m = _FUNCTION.match(field)
    return m.group(1).lower() if m else None


class DiscoverQuery(BaseModel):
    """One Discover query: what `organizations/{org}/events/` needs, in Dexter's terms."""

    model_config = ConfigDict(frozen=True)

    fields: tuple[str, ...]
    query: str = ""
    sort: str | None = None
    period: str | None = DEFAULT_PERIOD
    start: datetime | None = None
    end: datetime | None = None
    dataset: str = DEFAULT_DATASET
    projects: tuple[str, ...] = ()
    environments: tuple[str, ...] = ()

    @property
    def aggregates(self) -> list[str]:
        """The fields that are functions or equations."""
        return [f for f in self.fields if is_aggregate(f)]

    @property
    def y_axis(self) -> str | None:
        """What a chart of this query plots: its first aggregate that is not an equation."""
        return next((f for f in self.aggregates if not f.startswith("equation|")), None)

    @property
    def group_by(self) -> list[str]:
        """The plain columns; with aggregates present, Sentry groups by them."""
        return [f for f in self.fields if not is_aggregate(f)]

    def describe(self) -> str:
        """The query in plain words, for message headers."""
        aggs, groups = self.aggregates, self.group_by
        what = ", ".join(aggs) + (" by " + ", ".join(groups) if groups else "")
        parts = [what if aggs else ", ".join(self.fields), f"in {self.dataset}"]
        if self.query:
            parts.append(f"where `{self.query}`")
        if self.sort:
            parts.append(_describe_sort(self.sort))
        parts.append(self.describe_time())
        if self.projects:
            parts.append("project " + ", ".join(self.projects))
        if self.environments:
            parts.append("env " + ", ".join(self.environments))
        return " · ".join(parts)

    def describe_time(self) -> str:
        """`last 24 hours` or `from … to … UTC`."""
        if self.start is not None:
            end = _fmt_dt(self.end) if self.end else "now"
            return f"from {_fmt_dt(self.start)} to {end} UTC"
        return f"last {describe_period(self.period or DEFAULT_PERIOD)}"

    def to_text(self) -> str:
        """Command text that parses back to this very query (used for saved queries)."""
        parts = [", ".join(self.fields)]
        if self.query:
            parts.append(f"where {self.query}")
        if self.sort:
            parts.append(f"sort {self.sort}")
        if self.start is not None:
            parts.append(f"from {iso(self.start)}")
            if self.end is not None:
                parts.append(f"to {iso(self.end)}")
        else:
            parts.append(f"last {self.period or DEFAULT_PERIOD}")
        parts.append(f"in {self.dataset}")
        parts += [f"project:{p}" for p in self.projects]
        parts += [f"env:{e}" for e in self.environments]
        return " ".join(parts)


class DiscoverCommand(BaseModel):
    """A parsed command: the query plus what to do with it."""

    model_config = ConfigDict(frozen=True)

    query: DiscoverQuery
    chart: bool = False
    export: bool = False
    public: bool = False


def _describe_sort(sort: str) -> str:
    desc = sort.startswith("-")
    field = sort.lstrip("-")
    if field == "timestamp":
        return "newest first" if desc else "oldest first"
    if is_aggregate(field):
        return f"{'highest' if desc else 'lowest'} {field} first"
    return f"sorted by {field}{' descending' if desc else ''}"


def _fmt_dt(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def _is_clause(tokens: list[str], i: int) -> bool:
    word = tokens[i].lower()
    nxt = tokens[i + 1 : i + 3]
    if word in ("where", "sort") or word in FLAGS:
        return True
    if word == "last":
        return normalize_period(nxt) is not None
    if word == "from":
        return bool(nxt and DATE.match(nxt[0]))
    if word == "in":
        return bool(nxt) and nxt[0].lower() in (*DATASETS, "transactions")
    return False


def _where_has_options(raw: list[str]) -> bool:
    """True when the `where` clause held `project:`/`env:` filters (taken out as options)."""
    start = next((i for i, t in enumerate(raw) if t.lower() == "where"), None)
    if start is None:
        return False
    i = start + 1
    while i < len(raw) and not _is_clause(raw, i):
        if option_kind(raw[i]):
            return True
        i += 1
    return False


def parse_discover(text: str) -> DiscoverCommand:
    """Parse the arguments of `/dexter discover` or raise UserError saying what is wrong."""
    text = unescape(text.translate(QUOTES)).strip()
    raw = tokenize(text)
    tokens, projects, envs = take_options(raw)
    i = 0
    field_tokens: list[str] = []
    while i < len(tokens) and not _is_clause(tokens, i):
        field_tokens.append(tokens[i])
        i += 1
    seen: set[str] = set()
    where: list[str] = []
    sort: str | None = None
    period: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    dataset = DEFAULT_DATASET
    flags: set[str] = set()
    while i < len(tokens):
        word = tokens[i].lower()
        if word in FLAGS:
            flags.add(word)
            i += 1
            continue
        if word in seen:
            raise UserError(f"`{word}` appears twice.", usage=DISCOVER_USAGE)
        seen.add(word)
        i += 1
        if word == "where":
            while i < len(tokens) and not _is_clause(tokens, i):
                where.append(tokens[i])
                i += 1
            if not where and not _where_has_options(raw):
                raise UserError("`where` needs a Sentry search query.", usage=DISCOVER_USAGE)
        elif word == "sort":
            if i >= len(tokens):
                raise UserError("`sort` needs a field, e.g. `sort -count()`.", usage=DISCOVER_USAGE)
            sort, i = tokens[i], i + 1
            if i < len(tokens) and tokens[i].lower() in ("desc", "asc"):
                sort = ("-" if tokens[i].lower() == "desc" else "") + sort.lstrip("-")
                i += 1
        elif word == "last":
            found = normalize_period(tokens[i : i + 2])
            assert found is not None  # _is_clause checked it
            period, used = found
            i += used
        elif word == "from":
            start, used = parse_datetime(tokens[i : i + 2])
            i += used
            if i < len(tokens) and tokens[i].lower() == "to":
                if i + 1 >= len(tokens):
                    raise UserError("`to` needs a date.", usage=DISCOVER_USAGE)
                end, used = parse_datetime(tokens[i + 1 : i + 3], end_of_day=True)
                i += 1 + used
        elif word == "in":
            dataset, i = tokens[i].lower(), i + 1
    return DiscoverCommand(
        query=build_query(
            fields=split_fields(" ".join(field_tokens)),
            query=" ".join(where),
            sort=sort,
            period=period,
            start=start,
            end=end,
            dataset=dataset,
            projects=projects,
            environments=envs,
        ),
        chart="chart" in flags,
        export="export" in flags,
        public="public" in flags,
    )


def build_query(
    *,
    fields: list[str],
    query: str = "",
    sort: str | None = None,
    period: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    dataset: str = DEFAULT_DATASET,
    projects: list[str] | tuple[str, ...] = (),
    environments: list[str] | tuple[str, ...] = (),
) -> DiscoverQuery:
    """Validate the parts of a query (from the command or the modal) and apply defaults."""
    fields = list(dict.fromkeys(f.strip() for f in fields if f.strip()))
    if not fields:
        raise UserError(
            "Which fields? e.g. `title, count()` or `transaction, p95(span.duration)`.",
            usage=DISCOVER_USAGE,
        )
    if len(fields) > MAX_FIELDS:
        raise UserError(f"Sentry takes at most {MAX_FIELDS} fields; you gave {len(fields)}.")
    for field in fields:
        if field.count("(") != field.count(")") or field.count("[") != field.count("]"):
            raise UserError(f"Unbalanced brackets in `{field}`.", usage=DISCOVER_USAGE)
    if dataset == "transactions":
        raise UserError(
            "Sentry has no `transactions` dataset: transactions are spans. "
            "Use `in spans`, e.g. `where is_transaction:true`."
        )
    if dataset not in DATASETS:
        raise UserError(f"Unknown dataset `{dataset}`. Use one of: {', '.join(DATASETS[:3])}.")
    if start is not None and period is not None:
        raise UserError("Use either `last <period>` or `from <date> to <date>`, not both.")
    if start is None and end is not None:
        raise UserError("`to` needs a `from`.", usage=DISCOVER_USAGE)
    if start is not None and end is not None and end <= start:
        raise UserError("The `to` date must be after the `from` date.")
    if start is None:
        period = period or DEFAULT_PERIOD
        if timedelta(seconds=period_seconds(period)) > MAX_PERIOD:
            raise UserError(f"`last {period}` is too long: Sentry keeps 90 days of events.")
    sort = sort.strip() if sort else None
    if sort:
        name = sort.lstrip("-")
        if name not in fields or name.startswith("equation|"):
            raise UserError(
                f"You can only sort by a field you asked for: {', '.join(fields)}.",
                usage=DISCOVER_USAGE,
            )
        sort = ("-" if sort.startswith("-") else "") + name
    else:
        aggs = [f for f in fields if is_aggregate(f) and not f.startswith("equation|")]
        sort = f"-{aggs[0]}" if aggs else ("-timestamp" if "timestamp" in fields else None)
    return DiscoverQuery(
        fields=tuple(fields),
        query=query.strip(),
        sort=sort,
        period=period if start is None else None,
        start=start,
        end=end,
        dataset=dataset,
        projects=tuple(p for p in projects if p),
        environments=tuple(e for e in environments if e),
    )


COMMON_FIELDS = {
    "errors": "`title`, `issue`, `level`, `project`, `release`, `environment`, `user.email`, "
    "`count()`, `count_unique(user)`, `last_seen()`",
    "spans": "`transaction`, `span.op`, `span.description`, `count()`, `epm()`, "
    "`p50(span.duration)`, `p95(span.duration)`, `failure_rate()`",
    "logs": "`message`, `severity`, `count()`, `count_unique(trace)`",
}


def explain_bad_request(q: DiscoverQuery, detail: str) -> tuple[str | None, str]:
    """The part of the query Sentry's 400 is about (when it can be told) and a hint."""
    low = detail.lower()
    offending: str | None = None
    for field in sorted(q.fields, key=len, reverse=True):
        name = function_name(field)
        if field.lower() in low or (name and re.search(rf"\b{re.escape(name)}\b", low)):
            offending = field
            break
    if offending is None and q.query and ("query" in low or "search" in low):
        offending = q.query
    fields = COMMON_FIELDS.get(q.dataset, COMMON_FIELDS["errors"])
    hint = f"Fields in `{q.dataset}` include {fields}."
    if q.dataset == "errors" and any("span." in f or "transaction." in f for f in q.fields):
        hint += " Span fields need `in spans`."
    return offending, hint
