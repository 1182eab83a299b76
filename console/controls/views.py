"""Controls pages: thin adapters to `ouroboros.controls` selectors and services.

A save that loses the optimistic-lock race re-renders the page with HTTP 409, the conflict
message, what is stored now, and the person's own values still in the form (with the current
version, so saving again is a deliberate choice): nothing typed is lost.

The configure form offers the installed reactors that declare the control, and one field per
parameter of the assigned reactor; a parameter the reactor's schema refuses is shown on its field
(HTTP 400, nothing saved).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from console.access.roles import role_required
from console.audit.services import audit_record
from console.controls.forms import (
    MODE_LABELS,
    ControlConfigureForm,
    ControlFilterForm,
    ExemptionAddForm,
    ExemptionRemoveForm,
)
from ouroboros.controls.exemptions import exemption_expired
from ouroboros.controls.params import (
    ControlParamsError,
    control_params,
    reactor_declares,
    reactor_params_schema,
    reactor_recommended_mode,
)
from ouroboros.controls.selectors import (
    control_get,
    control_list,
    control_reactor_options,
    standard_list,
)
from ouroboros.controls.services import (
    ControlConflictError,
    control_assign_reactor,
    control_exemption_add,
    control_exemption_remove,
)
from ouroboros.errors import NotFoundError, ValidationError
from ouroboros.models import LocalReactorModel
from ouroboros.securityhub.catalog import catalog_controls


def _reactor_choices(control_id: str | None = None) -> list[tuple[str, str]]:
    """Installed reactors (those that declare ``control_id`` when given), as form choices; a
    reactor that recommends a mode other than auto says so in its label."""
    return [
        (r.reactor_id, f"{r.reactor_id} {r.version}{_recommendation(r)}")
        for r in control_reactor_options()
        if control_id is None or reactor_declares(r, control_id)
    ]


def _recommendation(reactor: LocalReactorModel) -> str:
    mode = reactor_recommended_mode(reactor)
    return "" if mode == "auto" else f" (recommended mode: {MODE_LABELS[mode]})"


def _params_schema(reactor_id: str | None) -> dict[str, Any]:
    """The ``params_schema`` of the installed reactor ``reactor_id`` (none: no parameters)."""
    if not reactor_id:
        return reactor_params_schema(None)
    try:
        return reactor_params_schema(LocalReactorModel.get(reactor_id))
    except LocalReactorModel.DoesNotExist:
        return reactor_params_schema(None)


@role_required("viewer")
@require_safe
def control_list_view(request: HttpRequest) -> HttpResponse:
    reactors = [value for value, _ in _reactor_choices()]
    services = sorted({c.service for c in catalog_controls()}, key=str.lower)
    form = ControlFilterForm(
        request.GET, standards=standard_list(), services=services, reactors=reactors
    )
    listed, error = None, None
    if form.is_valid():
        try:
            listed = control_list(
                filters=form.filters(), sort=form.cleaned_data["sort"] or "control"
            )
        except ValidationError as exc:
            error = str(exc)
    context = {"form": form, "listed": listed, "error": error, "mode_labels": MODE_LABELS}
    return render(request, "controls/list.html", context, status=200 if listed else 400)


def _detail(
    request: HttpRequest, control_id: str, *, status: int = 200, **context: Any
) -> HttpResponse:
    try:
        detail = control_get(control_id=control_id)
    except NotFoundError as exc:
        raise Http404(str(exc)) from exc
    control, reactors = detail.control, _reactor_choices(control_id)
    version = {"version": control.version or 0}
    context.setdefault(
        "configure_form",
        ControlConfigureForm(
            initial={
                "reactor_id": control.reactor_id or "",
                "mode": control.mode or "off",
                "ticket": control.ticket or "off",
                "params_reactor": control.reactor_id or "",
            }
            | version,
            reactors=reactors,
            params_schema=_params_schema(control.reactor_id),
            params=control_params(control),
        ),
    )
    context.setdefault("exemption_form", ExemptionAddForm(initial=version))
    exemptions = [(e, exemption_expired(e)) for e in control.exemptions or []]
    context |= {"detail": detail, "control": control, "exemptions": exemptions}
    context |= {"control_params": control_params(control)}
    context |= {"remove_form": ExemptionRemoveForm(initial=version), "mode_labels": MODE_LABELS}
    return render(request, "controls/detail.html", context, status=status)


@role_required("viewer")
@require_safe
def control_detail_view(request: HttpRequest, control_id: str) -> HttpResponse:
    return _detail(request, control_id)


_AUDIT_ACTIONS = {
    "configure_form": "control.configure",
    "exemption_form": "control.exemption_add",
    "remove_form": "control.exemption_remove",
}


def _save(
    request: HttpRequest, control_id: str, form_name: str, form: Any, save: Callable[[], Any]
) -> HttpResponse:
    """Run ``save`` for a valid ``form`` and audit it; re-render the page with what went wrong
    otherwise."""
    if not form.is_valid():
        return _detail(request, control_id, status=400, **{form_name: form})
    try:
        saved = save()
    except ControlConflictError as exc:
        data = request.POST.copy()
        data["version"] = str((exc.current.version if exc.current else 0) or 0)
        kept = type(form)(data, **getattr(form, "options", {}))
        return _detail(request, control_id, status=409, conflict=exc, **{form_name: kept})
    except ControlParamsError as exc:
        form.params_problems_add(exc.problems)
        return _detail(request, control_id, status=400, error=str(exc), **{form_name: form})
    except ValidationError as exc:
        return _detail(request, control_id, status=400, error=str(exc), **{form_name: form})
    except NotFoundError as exc:
        raise Http404(str(exc)) from exc
    audit_record(
        request=request,
        action=_AUDIT_ACTIONS[form_name],
        target_type="control",
        target_id=control_id,
        after={
            "reactor_id": saved.reactor_id,
            "mode": saved.mode or "off",
            "ticket": saved.ticket or "off",
            "params": control_params(saved),
            "exemptions": [e.exemption_id for e in saved.exemptions or []],
            "version": saved.version,
        },
    )
    messages.success(request, f"Control {control_id} saved.")
    return redirect("control_detail", control_id=control_id)


@role_required("operator")
@require_POST
def control_configure_view(request: HttpRequest, control_id: str) -> HttpResponse:
    reactors = _reactor_choices(control_id)
    params_reactor = request.POST.get("params_reactor") or ""
    form = ControlConfigureForm(
        request.POST,
        reactors=reactors,
        params_schema=_params_schema(params_reactor if params_reactor in dict(reactors) else None),
    )
    return _save(
        request,
        control_id,
        "configure_form",
        form,
        lambda: control_assign_reactor(
            control_id=control_id,
            expected_version=form.cleaned_data["version"],
            reactor_id=form.cleaned_data["reactor_id"] or None,
            mode=form.cleaned_data["mode"],
            actor=request.user.get_username(),
            params=form.params_for(),
            ticket=form.cleaned_data.get("ticket") or None,
        ),
    )


@role_required("operator")
@require_POST
def exemption_add_view(request: HttpRequest, control_id: str) -> HttpResponse:
    form = ExemptionAddForm(request.POST)
    return _save(
        request,
        control_id,
        "exemption_form",
        form,
        lambda: control_exemption_add(
            control_id=control_id,
            expected_version=form.cleaned_data["version"],
            exemption=form.exemption(),
            actor=request.user.get_username(),
        ),
    )


@role_required("operator")
@require_POST
def exemption_remove_view(request: HttpRequest, control_id: str, exemption_id: str) -> HttpResponse:
    form = ExemptionRemoveForm(request.POST)
    return _save(
        request,
        control_id,
        "remove_form",
        form,
        lambda: control_exemption_remove(
            control_id=control_id,
            expected_version=form.cleaned_data["version"],
            exemption_id=exemption_id,
            actor=request.user.get_username(),
        ),
    )
