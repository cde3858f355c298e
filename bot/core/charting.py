"""The one way Dexter draws with matplotlib: every chart is built and saved inside `drawing()`.

Everything a chart shows comes from a user or from Sentry: titles, dashboard and widget names,
alert rule names and queries, series labels such as transaction names, release versions. By
default matplotlib reads a string with an even number of unescaped `$` as mathtext, so a name
like `Cost in $\\USD$` is typeset (`$x_1$`) or, malformed, raises ValueError at draw time.

Inside `drawing()` every `Text` matplotlib creates (titles, axis labels, legend entries,
annotations, tick and offset labels) is made with `parse_math=False` through
`rcParams["text.parse_math"]` (matplotlib >= 3.5; Dexter requires 3.8): strings are shown
exactly as typed, `$`, `\\`, `^`, `_` and braces included, so no escaping is needed (and none
must be added: an escaped `\\$` would then show its backslash). `text.usetex` is forced off
for the same reason. rcParams are process-wide, so drawings are serialised on one lock, which
matplotlib, promising no thread safety, needs anyway (charts render in worker threads).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

# Re-entrant: a render holds it around building its figure, which holds it too.
_LOCK = threading.RLock()


@contextmanager
def drawing() -> Iterator[None]:
    """Build and save a figure in here: text is never mathtext, one drawing at a time."""
    import matplotlib  # imported here: ~0.5 s, and most processes never draw

    with _LOCK, matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):
        yield
