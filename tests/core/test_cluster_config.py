"""The cluster's configuration (deploy/cluster/, issue 16), checked in `make test`.

The fault tests themselves need root and a running cluster (`make test-cluster`); these catch,
in seconds, the edits that would only show there: a placeholder cluster.sh does not fill in, a
Patroni timing that Patroni refuses or that makes failover slower than the issue's 30 s, a
balancer that checks the wrong endpoint or pins clients to a node.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "cluster"
SCRIPT = (DEPLOY / "cluster.sh").read_text()
PLACEHOLDER = re.compile(r"@[A-Z0-9_]+@")


def filled(template: str) -> str:
    """The template with every placeholder replaced, as cluster.sh's sed does."""
    return PLACEHOLDER.sub("x", (DEPLOY / template).read_text())


def test_the_script_parses_and_fills_every_placeholder_of_its_templates():
    assert subprocess.run(["bash", "-n", str(DEPLOY / "cluster.sh")], capture_output=True).returncode == 0
    substituted = set(re.findall(r'-e "s\|(@[A-Z0-9_]+@)\|', SCRIPT))
    for template in ("patroni.yml.in", "haproxy.cfg.in"):
        used = set(PLACEHOLDER.findall((DEPLOY / template).read_text()))
        assert used, template
        assert used <= substituted, (template, used - substituted)


def test_patroni_keeps_a_synchronous_standby_and_fails_over_well_within_30_seconds():
    config = yaml.safe_load(filled("patroni.yml.in"))
    dcs = config["bootstrap"]["dcs"]
    # Patroni's own rule; a leader key that outlives it by more would delay promotion past the goal
    assert dcs["loop_wait"] + 2 * dcs["retry_timeout"] <= dcs["ttl"] <= 20
    assert dcs["synchronous_mode"] is True
    assert dcs["postgresql"]["use_pg_rewind"] is True
    # a cut-off node's open transaction must not hold a report's row lock for ever (found by the cut test)
    assert dcs["postgresql"]["parameters"]["idle_in_transaction_session_timeout"]
    remote = [line for line in config["postgresql"]["pg_hba"] if line.startswith("host")]
    assert remote and all(line.endswith("scram-sha-256") for line in remote), remote


def test_the_balancer_routes_by_patroni_role_and_readyz_with_no_stickiness():
    sections: dict[str, list[str]] = {}
    current = ""
    for line in filled("haproxy.cfg.in").splitlines():
        stripped = line.split("#", 1)[0].strip()
        if not stripped:
            continue
        if not line[0].isspace():
            current = stripped
        sections.setdefault(current, []).append(stripped)
    checks = {name: [line for line in body if line.startswith("http-check send")] for name, body in sections.items()}
    assert checks["listen pg_write"] == ["http-check send meth GET uri /primary"]
    assert checks["backend pg_replicas"] == ["http-check send meth GET uri /replica"]
    assert checks["backend app"][0].startswith("http-check send meth GET uri /readyz")
    app = sections["backend app"]
    assert "balance roundrobin" in app
    assert not [line for line in app if line.split()[0] in {"cookie", "stick", "stick-table", "hash-type"}], app
    assert any("on-marked-down shutdown-sessions" in line for line in sections["defaults"])
