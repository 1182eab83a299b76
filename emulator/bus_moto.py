"""Bridge between moto's EventBridge and the local event bus (installed while the bus runs).

moto's server runs inside the runtime's process, so patching its EventBridge backend there
catches ``PutEvents`` from every process:

- ``EventsBackend.put_events`` still validates entries and assigns event ids, then hands every
  accepted event, as a full envelope with the same id, to the local bus;
- ``Rule.send_to_targets`` (moto's own delivery) is switched off: the bus matches moto's rules
  itself (`moto_rules`, with EventBridge semantics, arrays included) and delivers Step Functions,
  SQS and Lambda targets; other target kinds (CloudWatch Logs, archives, other buses) go back to
  moto's original delivery for that target alone (`moto_deliver_native`).

`moto_bridge_install` returns the function that restores moto as it was.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from emulator.bus_targets import BusTarget
from emulator.event_pattern import event_pattern_validate
from ouroboros.errors import ValidationError

if TYPE_CHECKING:
    from emulator.bus import BusRule, EventBus

logger = logging.getLogger(__name__)

_originals: dict[str, Any] = {}


def _event_time(value: Any) -> str:
    if isinstance(value, int | float):
        moment = datetime.fromtimestamp(float(value), UTC)
    elif isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            moment = datetime.now(UTC)
    else:
        moment = datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def moto_bridge_install(bus: EventBus) -> Callable[[], None]:
    """Route moto's PutEvents to ``bus`` and stop moto's own delivery; returns the undo."""
    from moto.events.models import EventsBackend, Rule

    if _originals:
        raise RuntimeError("the moto EventBridge bridge is already installed")
    original_put = EventsBackend.put_events
    _originals["put_events"] = original_put
    _originals["send_to_targets"] = Rule.send_to_targets

    def put_events(backend: Any, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = original_put(backend, events)
        for event, entry in zip(events, entries, strict=True):
            if "EventId" not in entry:
                continue
            bus.publish(
                {
                    "version": "0",
                    "id": entry["EventId"],
                    "detail-type": event["DetailType"],
                    "source": event["Source"],
                    "account": backend.account_id,
                    "time": _event_time(event.get("Time")),
                    "region": backend.region_name,
                    "resources": list(event.get("Resources") or []),
                    "detail": json.loads(event["Detail"]),
                },
                bus_name=backend._normalize_event_bus_arn(event.get("EventBusName")),
            )
        return entries

    def send_to_targets(rule: Any, original_event: Any, transform_input: bool = True) -> None:
        return None  # the local bus delivers (see the module docstring)

    EventsBackend.put_events = put_events  # type: ignore[method-assign,assignment]
    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign,assignment]

    def uninstall() -> None:
        EventsBackend.put_events = _originals.pop("put_events")  # type: ignore[method-assign]
        Rule.send_to_targets = _originals.pop("send_to_targets")  # type: ignore[method-assign]

    return uninstall


def moto_rules(account: str, region: str, bus_name: str) -> list[BusRule]:
    """The enabled pattern rules of moto's bus ``bus_name`` in ``account`` / ``region``."""
    from emulator.bus import BusRule

    try:
        from moto.events.models import events_backends

        event_bus = events_backends[account][region].event_buses.get(bus_name)
    except Exception:  # no moto, unknown region: nothing to mirror
        return []
    if event_bus is None:
        return []
    rules = []
    for rule in list(event_bus.rules.values()):
        raw = getattr(rule.event_pattern, "_raw_pattern", None)
        if rule.state != "ENABLED" or not raw:
            continue
        try:
            pattern = event_pattern_validate(json.loads(raw))
        except (ValueError, ValidationError) as exc:
            logger.warning("moto rule %s skipped: %s", rule.name, exc)
            continue
        targets = tuple(
            BusTarget(
                arn=target["Arn"],
                target_id=target.get("Id", ""),
                input=target.get("Input"),
                input_path=target.get("InputPath"),
                input_transformer=target.get("InputTransformer"),
                raw=target,
            )
            for target in rule.targets
        )
        rules.append(
            BusRule(name=rule.name, pattern=pattern, targets=targets, origin="moto", native=rule)
        )
    return rules


def moto_deliver_native(rule: Any, target: BusTarget, event: dict[str, Any]) -> str:
    """Deliver to a target kind only moto knows, with moto's own code, for this target alone."""
    send = _originals.get("send_to_targets")
    if send is None or target.raw is None:
        raise ValidationError("moto's delivery is not available")
    single = copy.copy(rule)
    single.targets = [target.raw]
    moto_event = dict(event)
    moto_event["time"] = datetime.fromisoformat(event["time"].replace("Z", "+00:00")).timestamp()
    send(single, moto_event)
    return f"delivered by moto to {target.arn}"
