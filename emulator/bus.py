"""The local EventBridge bus: rules with EventBridge matching that start Step Functions executions.

moto's EventBridge cannot deliver to Step Functions and does not match inside arrays such as
``detail.findings[]``; this bus does both (matching: `emulator.event_pattern`, delivery:
`emulator.bus_targets`).

Rules come from three places, all matched against every event on the default bus:

1. persistent rules in ``<data dir>/eventbus.sqlite3``: `bus_rule_put` writes them from any
   process (SQLite is safe across processes) and the bus reads them at each event, so a rule
   added by a management command applies at once; targets are ARNs (Step Functions, SQS, Lambda);
2. the rules of moto's EventBridge (``events.put_rule`` / ``put_targets``, as the bootstrap
   creates them on AWS), mirrored live while the bus runs (`emulator.bus_moto`);
3. in-process subscriptions with a Python callable (`bus_subscribe`; tests, console hooks).

A target named by both a persistent rule and a moto rule receives the event twice, as two
EventBridge rules would deliver it: register a rule in one place.

How events reach it, from any process:

- the local Security Hub (same process) publishes its "Findings - Imported" events directly;
- any process calls ``client("events").put_events(...)``: that reaches moto's server, which runs
  inside the runtime's process, where the bridge hands every accepted event to this bus (and
  moto's own delivery is switched off, so nothing is delivered twice). This path was chosen over
  an HTTP endpoint of our own or a poller because it is the exact code that runs on AWS and
  needs nothing new in other processes;
- code in the runtime process may call `bus_event_publish` with a full event envelope.

Delivery is asynchronous, as on EventBridge: one worker thread takes events in order and
delivers each matching target, with up to three attempts on throttling / 5xx / connection errors.
Each outcome is kept in memory (`EventBus.deliveries`, latest 1,000) and logged. Events still
queued when the runtime stops are delivered first (up to the stop timeout), then dropped.
"""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emulator.bus_targets import (
    BusTarget,
    UnsupportedTargetError,
    delivery_retryable,
    target_deliver,
)
from emulator.event_pattern import event_pattern_matches, event_pattern_validate
from emulator.securityhub_findings import now_timestamp
from ouroboros.config import get_config
from ouroboros.errors import ValidationError

if TYPE_CHECKING:
    from emulator.runtime import LocalRuntime

logger = logging.getLogger(__name__)

BUS_FILE = "eventbus.sqlite3"
DEFAULT_BUS = "default"
#: Account of events published without one: moto's default account, the runtime's own.
DEFAULT_ACCOUNT = "123456789012"
ATTEMPTS = 3
EventCallback = Callable[[dict[str, Any]], object]


@dataclass(frozen=True)
class BusRule:
    """A rule: a pattern and where matching events go."""

    name: str
    pattern: dict[str, Any]
    targets: tuple[BusTarget, ...] = ()
    origin: str = "local"  # "local" (persistent), "moto" (mirrored), "subscription"
    callback: EventCallback | None = field(default=None, compare=False)
    native: Any = field(default=None, compare=False, repr=False)  # moto's Rule, if mirrored


@dataclass(frozen=True)
class BusDelivery:
    """The outcome of delivering one event to one target."""

    event_id: str
    rule: str
    target: str
    ok: bool
    detail: str
    at: str


class BusRuleStore:
    """The persistent rules, in ``<data dir>/eventbus.sqlite3``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS rules (name TEXT PRIMARY KEY, pattern TEXT NOT NULL, "
                "targets TEXT NOT NULL, updated_at TEXT NOT NULL)"
            )

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA busy_timeout = 30000")
            yield db
        finally:
            db.close()

    def put(self, name: str, pattern: dict[str, Any], targets: Sequence[BusTarget]) -> BusRule:
        if not name or len(name) > 64:
            raise ValidationError("a rule name has 1 to 64 characters")
        event_pattern_validate(pattern)
        if not targets:
            raise ValidationError(f"rule {name}: give at least one target ARN")
        for target in targets:
            if target.service not in ("states", "sqs", "lambda"):
                raise ValidationError(
                    f"rule {name}: target {target.arn!r} is not a Step Functions, SQS or Lambda ARN"
                )
        stored = [
            {"Arn": t.arn, "Id": t.target_id, "Input": t.input, "InputPath": t.input_path}
            for t in targets
        ]
        with self._db() as db:
            db.execute(
                "INSERT OR REPLACE INTO rules VALUES (?, ?, ?, ?)",
                (name, json.dumps(pattern), json.dumps(stored), now_timestamp()),
            )
        return BusRule(name=name, pattern=pattern, targets=tuple(targets))

    def delete(self, name: str) -> bool:
        with self._db() as db:
            return db.execute("DELETE FROM rules WHERE name = ?", (name,)).rowcount > 0

    def rules(self) -> list[BusRule]:
        with self._db() as db:
            rows = db.execute("SELECT name, pattern, targets FROM rules ORDER BY name").fetchall()
        return [
            BusRule(
                name=name,
                pattern=json.loads(pattern),
                targets=tuple(
                    BusTarget(
                        arn=t["Arn"],
                        target_id=t.get("Id") or "",
                        input=t.get("Input"),
                        input_path=t.get("InputPath"),
                    )
                    for t in json.loads(targets)
                ),
            )
            for name, pattern, targets in rows
        ]


class EventBus:
    """The bus of one runtime process (see the module docstring)."""

    def __init__(self, data_dir: Path, *, mirror_moto: bool = True) -> None:
        self.rules = BusRuleStore(data_dir / BUS_FILE)
        self.mirror_moto = mirror_moto
        self._subscriptions: dict[str, BusRule] = {}
        self._queue: queue.Queue[tuple[dict[str, Any], str] | None] = queue.Queue()
        self._pending = 0
        self._idle = threading.Condition()
        self._deliveries: deque[BusDelivery] = deque(maxlen=1000)
        self._thread: threading.Thread | None = None
        self._uninstall_bridge: Callable[[], None] | None = None

    def start(self) -> EventBus:
        self._thread = threading.Thread(target=self._work, name="local-event-bus", daemon=True)
        self._thread.start()
        if self.mirror_moto:
            from emulator.bus_moto import moto_bridge_install

            self._uninstall_bridge = moto_bridge_install(self)
        return self

    def stop(self, timeout: float = 10) -> None:
        if self._uninstall_bridge is not None:
            self._uninstall_bridge()
            self._uninstall_bridge = None
        if self._thread is not None:
            self.wait_idle(timeout)
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None

    # -- publishing ---------------------------------------------------------------------------

    def publish(self, event: dict[str, Any], *, bus_name: str = DEFAULT_BUS) -> str:
        """Queue ``event`` (a full EventBridge envelope) for delivery; returns its id."""
        if self._thread is None:
            raise RuntimeError("the local event bus is not running")
        if not isinstance(event, dict) or not event.get("source") or not event.get("detail-type"):
            raise ValidationError("an event needs at least source and detail-type")
        config = get_config()
        envelope = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "account": DEFAULT_ACCOUNT,
            "time": now_timestamp()[:19] + "Z",
            "region": config.region,
            "resources": [],
            "detail": {},
            **event,
        }
        with self._idle:
            self._pending += 1
        self._queue.put((envelope, bus_name))
        return str(envelope["id"])

    def subscribe(self, name: str, pattern: dict[str, Any], callback: EventCallback) -> None:
        """Call ``callback(event)`` for every matching event (in-process, not persisted)."""
        event_pattern_validate(pattern)
        self._subscriptions[name] = BusRule(
            name=name, pattern=pattern, origin="subscription", callback=callback
        )

    def unsubscribe(self, name: str) -> None:
        self._subscriptions.pop(name, None)

    def wait_idle(self, timeout: float = 10) -> bool:
        """Wait until every queued event is delivered; False if ``timeout`` passed first."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def deliveries(self) -> list[BusDelivery]:
        """The latest delivery outcomes, oldest first."""
        return list(self._deliveries)

    def matching_rules(
        self, event: dict[str, Any], *, bus_name: str = DEFAULT_BUS
    ) -> list[BusRule]:
        """Every rule (persistent, mirrored from moto, subscription) that ``event`` matches."""
        candidates: list[BusRule] = []
        if bus_name == DEFAULT_BUS:
            candidates += self.rules.rules()
            candidates += list(self._subscriptions.values())
        if self.mirror_moto:
            from emulator.bus_moto import moto_rules

            candidates += moto_rules(str(event.get("account")), str(event.get("region")), bus_name)
        return [rule for rule in candidates if event_pattern_matches(rule.pattern, event)]

    # -- delivery -----------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            event, bus_name = item
            try:
                for rule in self.matching_rules(event, bus_name=bus_name):
                    self._deliver_rule(rule, event)
            except Exception:
                logger.exception("local event bus failed on event %s", event.get("id"))
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _deliver_rule(self, rule: BusRule, event: dict[str, Any]) -> None:
        callback = rule.callback
        if callback is not None:
            self._attempt(rule, "callback", event, lambda: str(callback(event)))
            return
        for target in rule.targets:
            self._attempt(rule, target.arn, event, self._sender(rule, target, event))

    @staticmethod
    def _sender(rule: BusRule, target: BusTarget, event: dict[str, Any]) -> Callable[[], str]:
        if target.service in ("states", "sqs", "lambda") or rule.native is None:
            return lambda: target_deliver(target, event)
        from emulator.bus_moto import moto_deliver_native

        return lambda: moto_deliver_native(rule.native, target, event)

    def _attempt(
        self, rule: BusRule, target: str, event: dict[str, Any], send: Callable[[], str]
    ) -> None:
        event_id = str(event.get("id"))
        for attempt in range(1, ATTEMPTS + 1):
            try:
                detail = send()
            except Exception as exc:
                last = attempt == ATTEMPTS or not delivery_retryable(exc)
                if not last:
                    time.sleep(0.2 * attempt)
                    continue
                if not isinstance(exc, UnsupportedTargetError | ValidationError):
                    logger.warning("event %s -> %s (%s): %s", event_id, target, rule.name, exc)
                self._record(event_id, rule.name, target, False, f"{type(exc).__name__}: {exc}")
                return
            level = logging.DEBUG if rule.callback is not None else logging.INFO
            logger.log(level, "event %s -> %s (%s): %s", event_id, target, rule.name, detail)
            self._record(event_id, rule.name, target, True, detail)
            return

    def _record(self, event_id: str, rule: str, target: str, ok: bool, detail: str) -> None:
        self._deliveries.append(
            BusDelivery(event_id, rule, target, ok, detail[:500], now_timestamp())
        )


# -- the bus of this process, and functions others call ------------------------------------------

_current: EventBus | None = None


def bus_current() -> EventBus | None:
    """The event bus running in this process (started by `EventBusExtension`), or None."""
    return _current


def _targets(targets: Sequence[str | BusTarget]) -> list[BusTarget]:
    return [t if isinstance(t, BusTarget) else BusTarget(arn=t) for t in targets]


def bus_rule_put(
    *,
    name: str,
    pattern: dict[str, Any],
    targets: Sequence[str | BusTarget],
    data_dir: Path | None = None,
) -> BusRule:
    """Create or replace a persistent rule (from any process); targets are ARNs or `BusTarget`."""
    store = BusRuleStore((data_dir or get_config().data_dir) / BUS_FILE)
    return store.put(name, pattern, _targets(targets))


def bus_rule_delete(*, name: str, data_dir: Path | None = None) -> bool:
    """Delete a persistent rule; False if there was none."""
    return BusRuleStore((data_dir or get_config().data_dir) / BUS_FILE).delete(name)


def bus_rules(*, data_dir: Path | None = None) -> list[BusRule]:
    """The persistent rules."""
    return BusRuleStore((data_dir or get_config().data_dir) / BUS_FILE).rules()


def _running() -> EventBus:
    if _current is None:
        raise RuntimeError(
            "no local event bus runs in this process; from another process use "
            'client("events").put_events(...) or bus_rule_put(...)'
        )
    return _current


def bus_subscribe(*, name: str, pattern: dict[str, Any], callback: EventCallback) -> None:
    """Call ``callback(event)`` for events matching ``pattern`` (in the runtime's process)."""
    _running().subscribe(name, pattern, callback)


def bus_event_publish(*, event: dict[str, Any]) -> str:
    """Put a full event envelope on the bus of this process; returns the event id."""
    return _running().publish(event)


class EventBusExtension:
    """Runtime extension: the local event bus (start it before the extensions that publish)."""

    name = "eventbus"

    def __init__(self, *, mirror_moto: bool = True) -> None:
        self.mirror_moto = mirror_moto
        self.bus: EventBus | None = None

    def start(self, runtime: LocalRuntime) -> None:
        global _current
        self.bus = EventBus(runtime.data_dir, mirror_moto=self.mirror_moto).start()
        _current = self.bus

    def stop(self) -> None:
        global _current
        if self.bus is not None:
            self.bus.stop()
            if _current is self.bus:
                _current = None
            self.bus = None
