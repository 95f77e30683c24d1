"""The official MCP conformance suite's server scenarios against the fixture server, served through
the gateway's own bridge (the test settings mount it at /mcp-conformance) by a gateway worker:

- 0.1 (the released line): its active scenarios, known failures in expected-failures.yml;
- 0.2 (the newest alpha): what the 2026-07-28 and the 2025-11-25 revisions require, run at each
  one's wire, plus what it runs unscored; known failures, exactly, in expected-failures-0.2.yml.

Needs Node >= 22 and both suites; tests/support/install_npm_tools.sh installs them into
tests/conformance/node_modules (npm registry).
"""

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import make_personal_access_token
from tests.support.processes import GatewayProcesses, install_npm_tools

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

HERE = Path(__file__).parent
SUITE_0_1 = "@modelcontextprotocol/conformance@0.1.16"
SUITE_0_2 = "conformance-0.2@npm:@modelcontextprotocol/conformance@0.2.0-alpha.12"  # installed as node_modules/conformance-0.2
EXPECTED_FAILURES_0_2 = yaml.safe_load((HERE / "expected-failures-0.2.yml").read_text())


@pytest.fixture(scope="module")
def node() -> str:
    return install_npm_tools(HERE, SUITE_0_1, SUITE_0_2)


@pytest.fixture
def fixture_url(django_user_model):
    """A worker serving the fixture. The suite sends no token: its requests act as this person's
    token, so they go through gateway sessions and connections like any client's."""
    person = django_user_model.objects.create_user(username="conformance", password="a long and unusual password")
    processes = GatewayProcesses()
    yield f"{processes.start(MCP_CONFORMANCE_TOKEN=make_personal_access_token(person))}/mcp-conformance"
    processes.stop()


def run_suite(node: str, package_dir: str, url: str, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [node, str(HERE / "node_modules" / package_dir / "dist/index.js"), "server", "--url", url, *arguments],
        capture_output=True, text=True, timeout=300,
    )


def test_suite_0_1_passes_its_active_server_scenarios(node, fixture_url, tmp_path):
    run = run_suite(node, "@modelcontextprotocol/conformance", fixture_url, "--suite", "active",
                    "--expected-failures", str(HERE / "expected-failures.yml"), "-o", str(tmp_path))
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]


def failing_scenarios(results: Path) -> tuple[set[str], set[str]]:
    """The scenarios of a run (its -o directory: one `server-<scenario>-<time>/checks.json` each), and
    those with a failing or warning check (the suite's own baselines count warnings too)."""
    ran, failing = set(), set()
    for checks in results.glob("server-*/checks.json"):
        scenario = re.fullmatch(r"server-(.+)-\d{4}-\d{2}-\d{2}T.*", checks.parent.name).group(1)
        ran.add(scenario)
        if any(check["status"] in ("FAILURE", "WARNING") for check in json.loads(checks.read_text())):
            failing.add(scenario)
    return ran, failing


@pytest.mark.parametrize("revision", ["2026-07-28", "2025-11-25"])
def test_suite_0_2_fails_exactly_its_expected_scenarios(node, fixture_url, tmp_path, revision):
    expected = EXPECTED_FAILURES_0_2[revision]
    assert all(isinstance(reason, str) and reason.strip() for reason in expected.values()), "every entry needs its reason"

    run = run_suite(node, "conformance-0.2", fixture_url, "--requirements", revision, "-o", str(tmp_path))
    announced = re.search(r"Running requirements \S+ \((\d+) scenarios\)", run.stdout)
    ran, failing = failing_scenarios(tmp_path)

    assert announced and len(ran) == int(announced.group(1)), run.stdout[-3000:] + run.stderr[-2000:]
    unexpected, now_passing = failing - set(expected), set(expected) - failing
    assert not unexpected and not now_passing, (
        f"failing but not expected: {sorted(unexpected)}; expected but passing (remove from the list): {sorted(now_passing)}\n"
        + run.stdout[-6000:]
    )
