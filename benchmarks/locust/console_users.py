"""Locust users for `benchmarks/console_load.py`: viewers browsing the console.

Not run on its own: the wrapper starts the console and writes the plan this file reads
(``OUROBOROS_LOAD_PLAN``: users and passwords, finding ids, control ids, accounts). Each simulated
user logs in with its own viewer account, then browses: dashboard, findings with filters, finding
detail, controls, control detail, executions. A response counts as a failure unless it is a 200
page of the console (a redirect to the login page is a failure too).
"""

from __future__ import annotations

import itertools
import json
import os
import random
from typing import Any

from locust import HttpUser, between, task

PLAN: dict[str, Any] = json.loads(open(os.environ["OUROBOROS_LOAD_PLAN"]).read())  # noqa: SIM115
_numbers = itertools.count()


class Viewer(HttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        user = PLAN["users"][next(_numbers) % len(PLAN["users"])]
        self.client.get("/login/", name="login page")
        token = self.client.cookies.get("csrftoken", "")
        with self.client.post(
            "/login/",
            {"username": user, "password": PLAN["password"], "csrfmiddlewaretoken": token},
            headers={"Referer": f"{self.host}/login/"},
            name="login",
            catch_response=True,
        ) as response:
            if response.status_code != 200 or "/login/" in response.url:
                response.failure(f"login of {user} failed ({response.status_code})")

    def _page(self, path: str, name: str, params: dict[str, str] | None = None) -> None:
        with self.client.get(path, params=params, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            elif "/login/" in response.url:
                response.failure("redirected to the login page")

    @task(2)
    def dashboard(self) -> None:
        self._page("/", "dashboard")

    @task(4)
    def findings(self) -> None:
        filters = random.choice(
            [
                {},
                {"severity": "HIGH"},
                {"compliance": "FAILED", "workflow": "NEW"},
                {"account": random.choice(PLAN["accounts"])},
                {"control": random.choice(PLAN["controls"])},
                {"severity": "CRITICAL", "account": random.choice(PLAN["accounts"])},
                {"record_state": "ARCHIVED"},
            ]
        )
        self._page("/findings/", "findings (filters)", filters)

    @task(3)
    def finding_detail(self) -> None:
        self._page("/findings/detail/", "finding detail", {"id": random.choice(PLAN["findings"])})

    @task(2)
    def controls(self) -> None:
        self._page("/controls/", "controls")

    @task(1)
    def control_detail(self) -> None:
        self._page(f"/controls/{random.choice(PLAN['controls'])}/", "control detail")

    @task(1)
    def executions(self) -> None:
        self._page("/executions/", "executions")
