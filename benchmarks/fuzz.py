"""The API fuzz at its full budget (50 examples per operation), outside `make test`.

`make test` runs tests/console/api/test_fuzz.py with 10 examples per operation in the examples
and fuzzing phases; this runs the same test with ``OUROBOROS_FUZZ_EXAMPLES`` (default 50) in all
four phases (coverage and stateful too) and prints JSON: the budget, the requests the API
answered, the seconds it took and whether every check held.

    .venv/bin/python benchmarks/fuzz.py [--examples 50]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=50)
    args = parser.parse_args()
    env = {
        **os.environ,
        "OUROBOROS_FUZZ_EXAMPLES": str(args.examples),
        "OUROBOROS_FUZZ_PHASES": "examples,coverage,fuzzing,stateful",
        "OUROBOROS_STRICT": "0",
    }
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rP", "tests/console/api/test_fuzz.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    answered = re.search(r"requests answered by the API: (\d+)", done.stdout)
    print(
        json.dumps(
            {
                "benchmark": "api_fuzz",
                "examples_per_operation": args.examples,
                "phases": env["OUROBOROS_FUZZ_PHASES"],
                "requests_answered": int(answered[1]) if answered else None,
                "seconds": round(time.perf_counter() - started, 1),
                "passed": done.returncode == 0,
            }
        )
    )
    if done.returncode:
        print(done.stdout[-5000:], file=sys.stderr)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
