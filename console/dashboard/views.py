"""Home page: headline counts read from DynamoDB aggregates (one Query each)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from console.access.roles import role_required
from ouroboros.aggregates import summary_counts


@role_required("viewer")
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/home.html", {"counts": summary_counts()})
