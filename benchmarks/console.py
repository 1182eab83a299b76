"""Console at scale: server time and DynamoDB items read per page, against a Scan baseline.

Loads N synthetic findings (default 100,000), made from the real ASFF samples in
``tests/events/asff_findings`` (ids, accounts, regions, times, statuses varied; raw ASFF kept,
compressed, as the collectors store it), into DynamoDB Local in memory, then renders every page
type with Django's test Client (the whole middleware stack and template rendering: "server
time") and records, with a botocore ``after-call`` hook on the models' clients, the items
DynamoDB read (``ScannedCount`` of each Query, 1 per GetItem).

Scan baseline, in the same run: for each filter, a Scan with the same filter as a
FilterExpression, page after page, until a page of results is filled. That is the cheapest a
Scan can ever be, and it does not even serve the same page (it returns the first matches in
table order, unsorted); serving the real page (newest first) by Scan means reading every item
of the table, which ``same_page_scan_items_read`` states and ``--full-scan`` times (slow: in
DynamoDB Local every Scan page costs time in proportion to the whole table, ~15 s per page at
100,000 findings on a loaded 2-core machine, so a full Scan takes about an hour). Because of
that, the time ratio against DynamoDB Local overstates what AWS would show; the ratio of items
read (``speedup_items_read``) does not depend on the engine.

``acceptance`` checks the issue's lines for the default sort and every single filter, one entry
per line with the views that fail it; ``per_view`` has, for each of those views and the other
sorts, the numbers each line uses. Searches are reported apart (``search``): control id and
resource id / ARN are one Query each; words of a title are resolved first to control titles and
to the distinct titles of findings without a control (GuardDuty, Inspector...; the
``findings#title`` aggregate), then one Query per match (``expected_matches`` says how many
findings the data holds for the words).

Usage: ``.venv/bin/python benchmarks/console.py [--findings 100000] [--repeat 40]
[--scan-repeat 1] [--full-scan] [--on-disk]``; prints JSON. ``--on-disk`` keeps DynamoDB Local's
data in the temporary folder instead of memory (for 1,000,000 findings).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGE_SIZE = 50
ACCOUNTS = [f"{100000000000 + n * 7919:012d}" for n in range(20)]
REGIONS = ["us-east-1", "us-east-2", "eu-west-1", "ap-northeast-1"]
WORKFLOWS = ["NEW"] * 14 + ["NOTIFIED"] * 3 + ["RESOLVED"] * 2 + ["SUPPRESSED"]
#: Words of the GuardDuty sample's title: a finding without a control (see `_search`).
UNCONTROLLED_WORDS = "brute force"
SINGLE_FILTERS = (
    "severity",
    "compliance",
    "workflow",
    "record_state",
    "account",
    "region",
    "control",
    "resource_type",
    "product",
)
SORTS = ("sort_updated_ascending", "sort_severity", "sort_first_observed")


def _environment(data_dir: Path, url: str) -> None:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_DYNAMODB": url,
            "OUROBOROS_STAGE": "bench",
            "OUROBOROS_HUB_TABLE_PREFIX": "hub",
            "OUROBOROS_DATA_DIR": str(data_dir),
            "DJANGO_SETTINGS_MODULE": "console.settings.test",
            "DJANGO_ALLOWED_HOSTS": "testserver",
        }
    )
    from ouroboros.aws import reset_sessions
    from ouroboros.config import reset_config
    from ouroboros.models import bind_models

    reset_config()
    reset_sessions()
    bind_models()


@dataclass(frozen=True)
class FindingStub:
    """What the benchmark keeps of each finding once written (1,000,000 models do not fit)."""

    finding_id: str
    record_state: str
    control_id: str | None
    account_id: str
    region: str
    resource_id: str
    title: str


def _synthetic(first: int, count: int, seed: int = 7) -> list[Any]:
    """Findings ``first`` to ``first + count - 1`` of the data set (the same for any chunking)."""
    from tests.findings_factory import finding_from_asff, sample_asffs

    samples = sample_asffs()
    start = datetime(2024, 6, 1, tzinfo=UTC)
    findings = []
    for n in range(first, first + count):
        rng = random.Random(seed * 1_000_003 + n)  # per finding: chunks draw the same values
        asff = samples[n % len(samples)]
        updated = start - timedelta(seconds=n * 37 + rng.randint(0, 30))
        observed = updated - timedelta(hours=rng.randint(1, 24 * 60))
        compliance = (asff.get("Compliance") or {}).get("Status")
        if compliance and rng.random() < 0.15:
            compliance = "PASSED"
        overrides: dict[str, Any] = {
            "Id": f"{asff['Id']}/bench-{n}",
            "AwsAccountId": ACCOUNTS[n % len(ACCOUNTS)],
            "Region": REGIONS[(n // 7) % len(REGIONS)],
            "UpdatedAt": updated.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "FirstObservedAt": observed.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "RecordState": "ARCHIVED" if rng.random() < 0.1 else "ACTIVE",
            "workflow": rng.choice(WORKFLOWS),
            "resource_id": f"{asff['Resources'][0]['Id']}-{n % 3000}",
        }
        if compliance:
            overrides["compliance"] = compliance
        findings.append(finding_from_asff(asff, **overrides))
    return findings


def _generate_and_load(
    count: int, threads: int, chunk: int = 20_000
) -> tuple[list[FindingStub], dict[str, Counter[str]], float, float]:
    """Make and write ``count`` findings ``chunk`` at a time (memory stays flat); return the
    stubs, the aggregate deltas, and the seconds spent generating and loading."""
    from tests.findings_factory import aggregate_deltas

    stubs: list[FindingStub] = []
    deltas: dict[str, Counter[str]] = {}
    generate_s = load_s = 0.0
    for first in range(0, count, chunk):
        began = time.perf_counter()
        findings = _synthetic(first, min(chunk, count - first))
        generate_s += time.perf_counter() - began
        load_s += _load(findings, threads)
        for aggregate, counter in aggregate_deltas(findings).items():
            deltas.setdefault(aggregate, Counter()).update(counter)
        stubs += [
            FindingStub(
                f.finding_id,
                f.record_state,
                f.control_id,
                f.account_id,
                f.region,
                f.resource_id,
                f.title or "",
            )
            for f in findings
        ]
        if count >= 200_000:
            print(f"loaded {first + len(findings)} findings", file=sys.stderr, flush=True)
    return stubs, deltas, generate_s, load_s


def _batch_write(table: str, items: list[dict[str, Any]]) -> None:
    from ouroboros.aws import client

    dynamodb = client("dynamodb")
    requests = [{"PutRequest": {"Item": item}} for item in items]
    delay = 0.05
    while requests:
        response = dynamodb.batch_write_item(RequestItems={table: requests})
        requests = response.get("UnprocessedItems", {}).get(table, [])
        if requests:
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


def _load(models: list[Any], threads: int) -> float:
    """Write ``models`` with BatchWriteItem (25 a call) on ``threads`` threads; seconds taken."""
    if not models:
        return 0.0
    table = models[0].Meta.table_name
    items = [m.serialize() for m in models]
    chunks = [items[i : i + 25] for i in range(0, len(items), 25)]
    began = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda chunk: _batch_write(table, chunk), chunks))
    return time.perf_counter() - began


def _executions(findings: list[Any], count: int) -> list[Any]:
    from ouroboros.models import ExecutionModel

    rng = random.Random(11)
    start = datetime(2024, 6, 1, tzinfo=UTC)
    executions = []
    for n in range(count):
        finding = findings[rng.randrange(len(findings))]
        started = start - timedelta(minutes=n * 13)
        status = rng.choice(["succeeded"] * 6 + ["failed", "skipped", "rolled_back"])
        executions.append(
            ExecutionModel(
                f"{started.isoformat()}#{n:06d}",
                finding_id=finding.finding_id,
                control_id=finding.control_id,
                account_id=finding.account_id,
                region=finding.region,
                resource_id=finding.resource_id,
                reactor_id="aws-s3-2-remove-public-read",
                reactor_version="1.0.0",
                trigger=rng.choice(["event", "manual"]),
                status=status,
                dry_run=rng.random() < 0.2,
                started_at=started.isoformat(),
                finished_at=(started + timedelta(seconds=4)).isoformat(),
                duration_ms=4000,
                changes=[{"action": "s3:PutPublicAccessBlock"}],
            )
        )
    return executions


def _aggregates(deltas: dict[str, Counter[str]], executions: list[Any]) -> None:
    from ouroboros.aggregates import aggregate_add, aggregate_add_many

    # The facet counters make tens of thousands of buckets: 100 per TransactWriteItems call.
    aggregate_add_many(
        {
            (aggregate, bucket): count
            for aggregate, counter in deltas.items()
            for bucket, count in counter.items()
        }
    )
    from ouroboros.aggregates.remediation import execution_outcome

    per_day: Counter[str] = Counter(
        f"{e.started_at[:10]}#{outcome}"
        for e in executions
        if (
            outcome := execution_outcome(
                status=e.status, dry_run=bool(e.dry_run), trigger=e.trigger
            )
        )
    )
    aggregate_add("executions#day", dict(per_day))


class ReadCounter:
    """Counts DynamoDB calls and items read, from botocore ``after-call`` events."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.items = 0

    def __call__(self, model: Any, parsed: dict[str, Any], **_: Any) -> None:
        name = model.name
        self.calls[name] += 1
        if name in ("Query", "Scan"):
            self.items += int(parsed.get("ScannedCount", 0))
        elif name == "GetItem":
            self.items += 1 if parsed.get("Item") else 0
        elif name == "BatchGetItem":
            self.items += sum(len(v) for v in parsed.get("Responses", {}).values())

    def reset(self) -> None:
        self.calls.clear()
        self.items = 0


def _hook(counter: ReadCounter) -> None:
    from ouroboros.aws import client
    from ouroboros.models import CONSUMER_MODELS

    clients = [model._get_connection().connection.client for model in CONSUMER_MODELS]
    clients.append(client("dynamodb"))
    for botocore_client in {id(c): c for c in clients}.values():
        botocore_client.meta.events.register("after-call.dynamodb", counter)


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def _measure(
    client: Any, urls: dict[str, str], counter: ReadCounter, repeat: int
) -> dict[str, dict[str, Any]]:
    """Server time, CPU and items read of each page, requests taken round-robin over ``urls``.

    Round-robin rather than one view after the other: on a machine shared with other work, a
    burst of load then lands on every view alike instead of on whichever was being measured.
    """
    for url in urls.values():
        for _ in range(3):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
    samples: dict[str, dict[str, list[Any]]] = {
        name: {"times": [], "cpu": [], "reads": [], "calls": []} for name in urls
    }
    shown: dict[str, int] = {}
    for _ in range(repeat):
        for name, url in urls.items():
            counter.reset()
            began, began_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            sample = samples[name]
            sample["times"].append((time.perf_counter() - began) * 1000)
            sample["cpu"].append((time.process_time() - began_cpu) * 1000)
            sample["reads"].append(counter.items)
            sample["calls"].append(dict(counter.calls))
            shown[name] = response.content.decode().count('<td><span class="badge sev-')
    results = {}
    for name, url in urls.items():
        times, cpu, calls = samples[name]["times"], samples[name]["cpu"], samples[name]["calls"]
        assert all("Scan" not in c for c in calls), url
        results[name] = {
            "url": url,
            "p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(_percentile(times, 95), 2),
            # CPU of this process (Django, botocore) per request: what the machine's load
            # inflates least; DynamoDB Local's own time is in p50_ms / p95_ms only.
            "django_cpu_p50_ms": round(statistics.median(cpu), 2),
            "django_cpu_p95_ms": round(_percentile(cpu, 95), 2),
            "items_read_per_page": max(samples[name]["reads"]),
            "items_shown": shown[name],
            "dynamodb_calls": calls[-1],
        }
    return results


def _scan_baseline(filter_condition: Any, counter: ReadCounter, repeat: int) -> dict[str, Any]:
    """Scan the table with ``filter_condition`` until PAGE_SIZE matches are found."""
    from ouroboros.models import FindingModel

    connection = FindingModel._get_connection()
    times, reads = [], []
    for _ in range(repeat):
        counter.reset()
        began = time.perf_counter()
        found, start = 0, None
        while found < PAGE_SIZE:
            response = connection.scan(filter_condition=filter_condition, exclusive_start_key=start)
            found += len(response.get("Items", []))
            start = response.get("LastEvaluatedKey")
            if start is None:
                break
        times.append((time.perf_counter() - began) * 1000)
        reads.append(counter.items)
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(_percentile(times, 95), 2),
        "items_read_per_page": max(reads),
    }


def _full_scan_same_page(filter_condition: Any, counter: ReadCounter) -> dict[str, Any]:
    """The same page the Query serves (the newest PAGE_SIZE matches) by Scan: read everything."""
    from ouroboros.models import FindingModel

    connection = FindingModel._get_connection()
    counter.reset()
    began = time.perf_counter()
    matches: list[dict[str, Any]] = []
    start = None
    while True:
        response = connection.scan(filter_condition=filter_condition, exclusive_start_key=start)
        matches += response.get("Items", [])
        start = response.get("LastEvaluatedKey")
        if start is None:
            break
    matches.sort(key=lambda item: item["updated_at"]["S"], reverse=True)
    del matches[PAGE_SIZE:]
    return {
        "ms": round((time.perf_counter() - began) * 1000, 1),
        "items_read": counter.items,
    }


def _finding_urls(findings: list[Any]) -> dict[str, tuple[str, Any]]:
    """Findings list views: name -> (url, equivalent Scan filter) (None: no baseline)."""
    from django.urls import reverse

    from ouroboros.models import FindingModel as F

    active = F.record_state == "ACTIVE"
    sample = next(f for f in findings if f.record_state == "ACTIVE" and f.control_id == "S3.5")
    base = reverse("finding_list")
    views: dict[str, tuple[dict[str, str], Any]] = {
        "default_sort": ({}, active),
        "severity": ({"severity": "CRITICAL"}, active & (F.severity_label == "CRITICAL")),
        "compliance": ({"compliance": "PASSED"}, active & (F.compliance_status == "PASSED")),
        "workflow": ({"workflow": "SUPPRESSED"}, active & (F.workflow_status == "SUPPRESSED")),
        "record_state": ({"record_state": "ARCHIVED"}, F.record_state == "ARCHIVED"),
        "account": ({"account": ACCOUNTS[3]}, active & (F.account_id == ACCOUNTS[3])),
        "region": ({"region": "eu-west-1"}, active & (F.region == "eu-west-1")),
        "control": ({"control": "S3.5"}, active & (F.control_id == "S3.5")),
        "resource_type": (
            {"resource_type": "AwsIamUser"},
            active & (F.resource_type == "AwsIamUser"),
        ),
        "product": ({"product": "GuardDuty"}, active & (F.product_name == "GuardDuty")),
        # Two filters: a key plus a filter expression (no baseline: its Scan reads ~12 pages).
        "two_filters": ({"severity": "MEDIUM", "account": ACCOUNTS[3]}, None),
        # No finding has both (HIGH samples fall on even numbers, this account on odd ones): the
        # page reads up to its read budget, then offers to continue (`ouroboros.pagination`).
        "two_filters_no_match": ({"severity": "HIGH", "account": ACCOUNTS[5]}, None),
        "sort_updated_ascending": ({"sort": "updated"}, None),
        "sort_severity": ({"sort": "-severity"}, None),
        "sort_first_observed": ({"sort": "-first_observed"}, None),
        "search_control": ({"q": "s3.5"}, None),
        "search_resource": ({"q": sample.resource_id}, None),
        "search_title_words": ({"q": "public read"}, None),
        "search_title_words_no_control": ({"q": UNCONTROLLED_WORDS}, None),
        # Group-by (counts from the aggregates; the list's facets are on every view above).
        "group_by_control": ({"group": "control"}, None),
        "group_by_account_of_a_severity": ({"group": "account", "severity": "CRITICAL"}, None),
        "group_by_resource": ({"group": "resource"}, None),
    }
    return {name: (f"{base}?{urlencode(q)}", scan) for name, (q, scan) in views.items()}


def _other_urls(client: Any, findings: list[Any], executions: list[Any]) -> dict[str, str]:
    from django.urls import reverse

    html = client.get(reverse("finding_list")).content.decode()
    match = re.search(r'href="\?cursor=([^"&]+)[^"]*" id="next-page"', html)
    assert match, "the first findings page has no next page"
    first = unquote(match.group(1))
    detail_id = findings[5].finding_id
    return {
        "findings_page_2": f"{reverse('finding_list')}?{urlencode({'cursor': first})}",
        "finding_detail": f"{reverse('finding_detail')}?{urlencode({'id': detail_id})}",
        "controls_list": reverse("control_list"),
        "controls_filtered": f"{reverse('control_list')}?severity=HIGH&sort=-failed",
        "control_detail": reverse("control_detail", args=["S3.5"]),
        "executions_list": reverse("execution_list"),
        "executions_by_status": f"{reverse('execution_list')}?status=failed",
        "execution_detail": reverse("execution_detail", args=[executions[7].execution_id]),
        "dashboard": reverse("home"),
    }


def _exports(counter: ReadCounter, findings: list[Any]) -> dict[str, Any]:
    """Time of an export job (CSV) of a few views, run in this process, and what it read."""
    from django.conf import settings

    from console.jobs.exports import export_run
    from console.jobs.models import ExportJob

    settings.EXPORT_RUNNER = "inline"
    views = {"control_S3.5": "control=S3.5", "account": f"account={ACCOUNTS[3]}"}
    results = {}
    for name, query in views.items():
        job = ExportJob.objects.create(query=query, format="csv")
        counter.reset()
        began = time.perf_counter()
        export_run(job_id=str(job.id))
        seconds = time.perf_counter() - began
        job.refresh_from_db()
        results[name] = {
            "status": job.status,
            "rows": job.rows,
            "seconds": round(seconds, 2),
            "rows_per_second": round(job.rows / seconds) if seconds else None,
            "calls": dict(counter.calls),
            "items_read": counter.items,
        }
    return results


def _django_client() -> Any:
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.test import Client

    # No setup_test_environment(): its instrumented template rendering would add to server time.
    call_command("migrate", verbosity=0, interactive=False)
    user = User.objects.create_user("bench-viewer")
    user.groups.add(Group.objects.get(name="viewer"))
    client = Client()
    client.force_login(user)
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--executions", type=int, default=3_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument(
        "--scan-repeat",
        type=int,
        default=1,
        help="Scans per filter for the baseline; 0 skips it (at 1,000,000 findings DynamoDB "
        "Local spends minutes per Scan page)",
    )
    parser.add_argument(
        "--full-scan", action="store_true", help="also time the Scan serving the same page (slow)"
    )
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--on-disk",
        action="store_true",
        help="DynamoDB Local on disk, not in memory (1,000,000 findings need more than 24 GB)",
    )
    args = parser.parse_args()

    from emulator.dynamodb_local import dynamodb_local_start

    with tempfile.TemporaryDirectory(prefix="ouroboros-bench-") as tmp:
        data_dir = Path(tmp)
        server = dynamodb_local_start(data_dir, in_memory=not args.on_disk)
        try:
            _environment(data_dir, server.url)
            result = run(args)
        finally:
            server.stop()
    print(json.dumps(result, indent=2))


def run(args: argparse.Namespace) -> dict[str, Any]:
    from ouroboros.controls.services import control_catalog_upsert
    from ouroboros.models import LocalReactorModel
    from ouroboros.models.tables import tables_ensure
    from ouroboros.securityhub.catalog import FSBP_STANDARD_ID, catalog_controls

    tables_ensure("all")  # the controls page and the dashboard read the Hub catalog too
    control_catalog_upsert(controls=catalog_controls(), standard_id=FSBP_STANDARD_ID)
    LocalReactorModel(
        "aws-s3-2-remove-public-read", version="1.0.0", sha256="ab" * 32, status="installed"
    ).save()
    findings, deltas, generate_s, load_s = _generate_and_load(args.findings, args.threads)
    executions = _executions(findings, args.executions)
    _load(executions, args.threads)
    _aggregates(deltas, executions)
    del deltas

    client = _django_client()
    counter = ReadCounter()
    _hook(counter)
    threading.current_thread().name = "bench"

    finding_urls = _finding_urls(findings)
    urls = {f"findings_list.{name}": url for name, (url, _) in finding_urls.items()}
    urls.update(_other_urls(client, findings, executions))
    pages = _measure(client, urls, counter, args.repeat)
    exports = _exports(counter, findings)
    baseline: dict[str, Any] = {}
    for name, (_, scan_filter) in finding_urls.items():
        if scan_filter is not None and args.scan_repeat > 0:
            baseline[f"findings_list.{name}"] = _scan_baseline(
                scan_filter, counter, args.scan_repeat
            )

    full_scan = (
        {
            name: _full_scan_same_page(_finding_urls(findings)[name][1], counter)
            for name in ("default_sort", "control")
        }
        if args.full_scan
        else {}
    )
    comparisons = {}
    for name, scan in baseline.items():
        page = pages[name]
        comparisons[name] = {
            "page_p50_ms": page["p50_ms"],
            "scan_p50_ms": scan["p50_ms"],
            "speedup_p50": round(scan["p50_ms"] / page["p50_ms"], 1),
            "page_items_read": page["items_read_per_page"],
            "scan_items_read": scan["items_read_per_page"],
            "speedup_items_read": round(
                scan["items_read_per_page"] / max(1, page["items_read_per_page"]), 1
            ),
        }
    per_view, acceptance = _acceptance(pages, comparisons, args.findings)
    acceptance["lists_and_searches_p95_under_50ms"] = _under_50ms(pages)
    return {
        "benchmark": "console",
        "command": " ".join(["benchmarks/console.py", *sys.argv[1:]]),
        "findings": args.findings,
        "active_findings": sum(1 for f in findings if f.record_state == "ACTIVE"),
        "executions": args.executions,
        "page_size": PAGE_SIZE,
        "repeat": args.repeat,
        "scan_repeat": args.scan_repeat,
        "generate_seconds": round(generate_s, 1),
        "load_seconds": round(load_s, 1),
        "load_items_per_second": round(args.findings / load_s) if load_s else None,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_1m_at_end": round(os.getloadavg()[0], 1),
        },
        "acceptance": acceptance,
        "per_view": per_view,
        "search": _search(pages, findings),
        "exports": exports,
        "pages": pages,
        "scan_baseline": baseline,
        "comparison": comparisons,
        "same_page_scan_items_read": args.findings,
        "full_scan_same_page": {
            name: {
                **result,
                "speedup": round(result["ms"] / pages[f"findings_list.{name}"]["p50_ms"], 1),
            }
            for name, result in full_scan.items()
        }
        or "not measured (--full-scan): a Scan serving the same page reads every item",
    }


def _acceptance(
    pages: dict[str, Any], comparisons: dict[str, Any], findings: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Per view the numbers of each acceptance line; per line pass/fail and what fails it."""
    gated = ["default_sort", *SINGLE_FILTERS]
    per_view: dict[str, Any] = {}
    for name in [*gated, *SORTS]:
        page = pages[f"findings_list.{name}"]
        comparison = comparisons.get(f"findings_list.{name}")
        per_view[name] = {
            "url": page["url"],
            "p50_ms": page["p50_ms"],
            "p95_ms": page["p95_ms"],
            "django_cpu_p95_ms": page["django_cpu_p95_ms"],
            "items_read_per_page": page["items_read_per_page"],
            "items_shown": page["items_shown"],
            "p95_under_100ms": page["p95_ms"] < 100,
            "items_read_at_most_2x_page": page["items_read_per_page"] <= 2 * PAGE_SIZE,
            "scan_first_matches_p50_ms": comparison["scan_p50_ms"] if comparison else None,
            "speedup_p50": comparison["speedup_p50"] if comparison else None,
            "speedup_items_read": comparison["speedup_items_read"] if comparison else None,
            "speedup_items_read_vs_same_page_scan": round(
                findings / max(1, page["items_read_per_page"]), 1
            ),
            "at_least_20x_faster_than_scan": (
                comparison["speedup_p50"] >= 20 if comparison else None
            ),
        }

    def line(views: list[str], key: str, note: str) -> dict[str, Any]:
        failing = [v for v in views if per_view[v][key] is False]
        missing = [v for v in views if per_view[v][key] is None]
        return {
            "pass": not failing and not missing,
            "failing": failing,
            "not_measured": missing,
            "checked": views,
            "note": note,
        }

    acceptance = {
        "findings_list_p95_under_100ms": line(
            gated, "p95_under_100ms", "server time, default sort and each single filter"
        ),
        "other_sorts_p95_under_100ms": line(
            list(SORTS),
            "p95_under_100ms",
            "not in the issue's acceptance; reported because the brief asks",
        ),
        "items_read_at_most_2x_page": line(
            [*gated, *SORTS], "items_read_at_most_2x_page", f"page size {PAGE_SIZE}"
        ),
        "at_least_20x_faster_than_scan": line(
            gated,
            "at_least_20x_faster_than_scan",
            "p50 against the cheapest Scan (first matches, unsorted) in this run",
        ),
    }
    return per_view, acceptance


def _under_50ms(pages: dict[str, Any]) -> dict[str, Any]:
    """Issue 25's line at 1,000,000 findings: every findings list view and search, p95 server
    time under 50 ms and at most 2x the page size read."""
    views = sorted(name for name in pages if name.startswith("findings_list."))
    failing = [
        name
        for name in views
        if pages[name]["p95_ms"] >= 50 or pages[name]["items_read_per_page"] > 2 * PAGE_SIZE
    ]
    return {
        "pass": not failing,
        "failing": failing,
        "checked": views,
        "note": "p95 server time < 50 ms and items read <= 2x page size (issue 25)",
    }


def _search(pages: dict[str, Any], findings: list[Any]) -> dict[str, Any]:
    """The search views, with how many findings each could match."""
    active = [f for f in findings if f.record_state == "ACTIVE"]

    def title_matches(words: str) -> int:
        parts = words.lower().split()
        return sum(1 for f in active if all(w in (f.title or "").lower() for w in parts))

    out: dict[str, Any] = {}
    for name, expected in (
        ("search_control", sum(1 for f in active if f.control_id == "S3.5")),
        ("search_resource", None),
        ("search_title_words", title_matches("public read")),
        ("search_title_words_no_control", title_matches(UNCONTROLLED_WORDS)),
    ):
        page = pages[f"findings_list.{name}"]
        out[name] = {
            key: page[key]
            for key in ("url", "p50_ms", "p95_ms", "items_read_per_page", "items_shown")
        }
        out[name]["expected_matches"] = expected
    return out


if __name__ == "__main__":
    main()
