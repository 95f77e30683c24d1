"""The official MCP conformance suite's active server scenarios against the fixture server, served
through the gateway's own bridge (the test settings mount it at /mcp-conformance).

Needs Node >= 22 and the suite; tests/support/install_npm_tools.sh installs both into
tests/conformance/node_modules (npm registry). Known failures, with reasons: expected-failures.yml.
"""

import subprocess
from pathlib import Path

import pytest

from tests.conftest import make_personal_access_token
from tests.support.processes import GatewayProcesses, install_npm_tools

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

HERE = Path(__file__).parent
CONFORMANCE_PACKAGE = "@modelcontextprotocol/conformance@0.1.16"


def test_the_conformance_suite_passes_its_active_server_scenarios(tmp_path, django_user_model):
    node = install_npm_tools(HERE, CONFORMANCE_PACKAGE)
    person = django_user_model.objects.create_user(username="conformance", password="a long and unusual password")
    processes = GatewayProcesses()
    # Requests carry this person's token, so the suite runs through gateway sessions too.
    base = processes.start(MCP_CONFORMANCE_TOKEN=make_personal_access_token(person))
    try:
        run = subprocess.run(
            [node, str(HERE / "node_modules/@modelcontextprotocol/conformance/dist/index.js"), "server",
             "--url", f"{base}/mcp-conformance", "--suite", "active",
             "--expected-failures", str(HERE / "expected-failures.yml"), "-o", str(tmp_path)],
            capture_output=True, text=True, timeout=600,
        )
    finally:
        processes.stop()
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
