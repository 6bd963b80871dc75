"""The review app's engines, one of each per server process: the auditor (rule pack, spaCy, jieba, the learned reader)
and the speech recogniser. Loading them takes seconds (8.6 s for the first 规则库 on a busy 2-core machine), so the
app starts loading them in the background once the first page of a new server has been drawn (``warm_up``); a page
that needs one before it is ready waits for that load rather than starting a second one, and sign-in never waits.

Loading is mostly Python holding the interpreter lock, so it would halve the speed of a page drawn meanwhile: the
background thread starts the models only when no page has been running for ``IDLE_S`` (``page_running`` marks a
page's run)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

log = logging.getLogger(__name__)


class Engine:
    """A value built once, on first ``get`` from whichever thread asks first; later callers get the same value."""

    def __init__(self, build: Callable[[], Any], *, when_idle: bool = True):
        self._build = build
        self.when_idle = when_idle  # warmed only between pages (see the module's docstring)
        self._lock = threading.Lock()
        self._value: Any = None

    def get(self) -> Any:
        with self._lock:
            if self._value is None:
                self._value = self._build()
            return self._value

    @property
    def ready(self) -> bool:
        return self._value is not None


def _auditor_modules() -> bool:
    # spaCy and pypinyin's imports, half the auditor's load: a step of its own, so a page that starts meanwhile
    # shares the interpreter with a shorter load
    import audit.auditor  # noqa: F401

    return True


def _auditor():
    from audit.auditor import Auditor

    return Auditor()


def _transcriber():
    from audit.asr import Transcriber

    from audit.errors import ModelError

    transcriber = Transcriber()
    try:
        transcriber.load()  # the model itself; building a Transcriber only names it
    except ModelError:  # the batch tries again and reports it, call by call, as it always has
        log.warning("could not preload the speech model", exc_info=True)
    return transcriber


def _chart_libraries() -> bool:
    """Import pandas and plotly and draw one chart: the first 总览 or 坐席 would otherwise pay for it (plotly loads
    its templates and validators on its first figure; over a second on a cold, busy machine)."""
    import plotly.express as px

    import audit.aggregate  # noqa: F401

    px.bar({"x": ["a"], "y": [1], "c": ["b"]}, x="x", y="y", color="c").to_json()
    return True


# the libraries the next page imports anyway (its import waits for this one rather than competing with it)
CHARTS = Engine(_chart_libraries, when_idle=False)
AUDITOR_MODULES = Engine(_auditor_modules)
AUDITOR = Engine(_auditor)
TRANSCRIBER = Engine(_transcriber)
IDLE_S = 0.5
_activity = threading.Condition()
_pages_running = 0
_last_page_end = 0.0


@contextmanager
def page_running() -> Iterator[None]:
    """Around a page's run: the background loading waits for it (and ``IDLE_S`` after it) before its next engine."""
    global _pages_running, _last_page_end
    with _activity:
        _pages_running += 1
    try:
        yield
    finally:
        with _activity:
            _pages_running -= 1
            _last_page_end = time.monotonic()
            _activity.notify_all()


def _wait_until_idle() -> None:
    with _activity:
        while True:
            quiet_s = time.monotonic() - _last_page_end
            if _pages_running == 0 and quiet_s >= IDLE_S:
                return
            _activity.wait(IDLE_S - quiet_s if _pages_running == 0 else None)


_scheduled: set[int] = set()  # ids of the engines a warm-up thread has taken on
_schedule_lock = threading.Lock()


def warm_up(engines: tuple[Engine, ...] = (CHARTS, AUDITOR_MODULES, AUDITOR, TRANSCRIBER)) -> threading.Thread | None:
    """Load ``engines`` one after the other in a background thread: the thread, or None when earlier calls have taken
    them all on (each engine is warmed once per process). An engine that fails to load is logged and left to fail
    again, with its message, on the page that needs it."""
    with _schedule_lock:
        todo = tuple(engine for engine in engines if id(engine) not in _scheduled)
        _scheduled.update(id(engine) for engine in todo)
    if not todo:
        return None
    thread = threading.Thread(target=_load, args=(todo,), name="audit-warm-up", daemon=True)
    thread.start()
    return thread


def _load(engines: tuple[Engine, ...]) -> None:
    for engine in engines:
        if engine.when_idle:
            _wait_until_idle()
        try:
            engine.get()
        except Exception:  # noqa: BLE001 -- one engine failing must not stop the others; its page reports it
            log.warning("could not preload an engine; the page that needs it will load it", exc_info=True)
