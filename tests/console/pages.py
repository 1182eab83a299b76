"""Every page and every form of the console, for the tests that walk them all."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock
from urllib.parse import quote, urlencode

import botocore.client
from django.urls import reverse

from tests.console.conftest import REACTOR, Seeded


def read_urls(seeded: Seeded) -> list[str]:
    """Every GET page, with each findings filter, sort and kind of search."""
    findings = reverse("finding_list")
    hostile = seeded.hostile
    queries = [
        {},
        {"severity": "CRITICAL"},
        {"compliance": "FAILED"},
        {"workflow": "NEW"},
        {"record_state": "ARCHIVED"},
        {"account": "111111111111"},
        {"region": "us-east-1"},
        {"control": "S3.5"},
        {"resource_type": "AwsS3Bucket"},
        {"product": "GuardDuty"},
        {"sort": "-severity"},
        {"sort": "first_observed"},
        {"sort": "updated"},
        {"severity": "MEDIUM", "account": "111111111111"},
        {"q": "s3.2"},
        {"q": hostile.resource_id},
        {"q": "public read"},
        {"q": "S3", "search_in": "title"},
        {"q": "arn:aws:s3:::", "search_in": "resource"},
        {"group": "control"},
        {"group": "account", "severity": "CRITICAL"},
        {"group": "resource"},
    ]
    return [
        reverse("home"),
        *(f"{findings}?{urlencode(q)}" for q in queries),
        f"{reverse('finding_detail')}?id={quote(hostile.finding_id, safe='')}",
        f"{reverse('finding_detail')}?id={quote(seeded.findings[0].finding_id, safe='')}",
        reverse("control_list"),
        f"{reverse('control_list')}?severity=CRITICAL&sort=severity",
        f"{reverse('control_list')}?reactor={REACTOR}",
        f"{reverse('control_list')}?mode=auto&q=bucket",
        f"{reverse('control_list')}?service=S3&sort=-failed",
        reverse("control_detail", args=["S3.5"]),
        reverse("execution_list"),
        f"{reverse('execution_list')}?status=failed",
        f"{reverse('execution_list')}?control_id=S3.5",
        reverse("execution_detail", args=[seeded.executions[1].execution_id]),
    ]


def write_urls() -> list[tuple[str, dict[str, str]]]:
    """Every POST URL with a body that an operator's save would accept."""
    return [
        (
            reverse("control_configure", args=["S3.2"]),
            {"reactor_id": REACTOR, "mode": "auto", "version": "0"},
        ),
        (
            reverse("control_exemption_add", args=["S3.2"]),
            {"account": "111111111111", "reason": "test", "version": "0"},
        ),
        (
            reverse("control_exemption_remove", args=["S3.2", "abc123"]),
            {"version": "0"},
        ),
    ]


@contextmanager
def aws_calls() -> Iterator[list[str]]:
    """The names of the AWS operations made inside the block."""
    calls: list[str] = []
    real = botocore.client.BaseClient._make_api_call

    def record(self: Any, operation: str, params: dict[str, Any]) -> Any:
        calls.append(operation)
        return real(self, operation, params)

    with mock.patch.object(botocore.client.BaseClient, "_make_api_call", record):
        yield calls
