"""What Discover buttons carry: the query, its page and cursor (in Redis when too long)."""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, ValidationError

from bot.core.errors import UserError
from bot.core.store import Store
from bot.discover.parse import DiscoverQuery, parse_discover

MAX_VALUE = 2000  # Slack's button value limit
STATE_TTL = 7 * 86400.0


class TableState(BaseModel):
    """A table's query text (`q`, or a Redis ref `r`), cursor `c`, page `p`, public `pub`,
    and `t` the title (a saved query's name)."""

    q: str = ""
    r: str | None = None
    c: str | None = None
    p: int = 1
    pub: bool = False
    t: str | None = None

    def query(self) -> DiscoverQuery:
        """The query the state names (the text was valid when the button was made)."""
        return parse_discover(self.q).query


async def pack(store: Store, state: TableState) -> str:
    """The button value for a state; a query too long for Slack is kept in Redis."""
    raw = state.model_dump_json(exclude_defaults=True)
    if len(raw) <= MAX_VALUE:
        return raw
    ref = hashlib.sha256(state.q.encode()).hexdigest()[:24]
    await store.set_json(store.key("discover", "q", ref), state.q, ttl=STATE_TTL)
    return state.model_copy(update={"q": "", "r": ref}).model_dump_json(exclude_defaults=True)


async def unpack(store: Store, value: str | None) -> TableState | None:
    """The state behind a button value, or None when it is unreadable or expired."""
    try:
        state = TableState.model_validate_json(value or "")
    except ValidationError:
        return None
    if state.r:
        text = await store.get_json(store.key("discover", "q", state.r))
        if not isinstance(text, str):
            return None
        state = state.model_copy(update={"q": text, "r": None})
    try:
        state.query()
    except UserError:
        return None
    return state
