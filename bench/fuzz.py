"""Fuzzing at bench scale: the suite's fuzz tests (tests/test_fuzz_untrusted_input.py: OAuth, client
registration, /mcp in both eras with fuzzed bodies, headers, content types and encodings, the
dashboard's token form, the REST API; tests/mcpgateway/api/test_schema_fuzz.py: every REST operation
from its OpenAPI schema with schemathesis, as a member and as an admin) with many more examples
than CI runs, against a real uvicorn worker, on the database the environment names.

    ./dev bench fuzz [--examples 300]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gateway REDIS_URL=redis://127.0.0.1:6379/6 ./dev bench fuzz

Prints the cases (Hypothesis examples; each is one HTTP request or more) per test and in total, and
every 5xx (a failing test names the request). Target (issue #12): >= 10,000 cases, 0 answers 5xx.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
FUZZ_TESTS = ["tests/test_fuzz_untrusted_input.py", "tests/mcpgateway/api/test_schema_fuzz.py"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=300, help="Hypothesis examples per test (per REST operation)")
    args = parser.parse_args()

    from cryptography.fernet import Fernet

    env = {
        **os.environ, "FUZZ_EXAMPLES": str(args.examples), "DEBUG": "0", "SECRET_KEY": "bench-only-" + "x" * 50,
        "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(), "VAR_DIR": tempfile.mkdtemp(prefix="gateway-fuzz-bench-"),
        "TEST_DATABASE_NAME": f"test_gateway_fuzz_{os.getpid()}",
    }
    command = [sys.executable, "-m", "pytest", *FUZZ_TESTS, "-p", "no:cacheprovider", "-q", "--hypothesis-show-statistics", "-o", "addopts=-ra"]
    database = urlsplit(env["DATABASE_URL"]).scheme if env.get("DATABASE_URL") else "sqlite"  # never its password
    print(f"{' '.join(command[2:])} with FUZZ_EXAMPLES={args.examples}, database {database}", flush=True)
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    print(summary(run.stdout))
    if run.returncode or os.environ.get("FUZZ_BENCH_VERBOSE"):
        print(run.stdout[-20_000:])
        print(run.stderr[-5_000:])
        raise SystemExit(run.returncode)


def summary(output: str) -> str:
    """Cases per test from Hypothesis's statistics (--hypothesis-show-statistics): the explicit and
    generate phases' examples; schemathesis's operations are one test each, under one name."""
    per_test: dict[str, int] = {}
    current = None
    for line in output.splitlines():
        heading = re.match(r"^(\S+::.+):$", line.strip())
        if heading:
            current = heading.group(1)
            continue
        counted = re.search(r"(\d+) passing(?: examples?)?, (\d+) failing", line)
        if counted and current:
            per_test[current] = per_test.get(current, 0) + int(counted.group(1)) + int(counted.group(2))
    result = re.search(r"^=*\s*(\d+ (?:passed|failed).*?)\s*=*$", output, re.M)
    lines = [f"{cases:>7}  {test}" for test, cases in sorted(per_test.items())]
    lines.append(f"{sum(per_test.values()):>7}  cases in total (target >= 10,000); pytest: {result.group(1) if result else 'no result line'}")
    failures = re.findall(r"^(?:FAILED|ERROR) .*$", output, re.M)
    lines.append(f"answers 5xx or worker tracebacks: {len(failures)} (target 0)")
    lines += [f"  {failure}" for failure in failures]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
