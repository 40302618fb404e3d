"""Issue 11 finding 10: the image builds and runs the production configuration.

No Docker engine runs on the development machines, so the files are checked for what matters
(production settings, no demo step, an unprivileged user, secrets only from the environment, the
proxy's internal media location matching the app's setting), and the image's entrypoint itself is
started here with production settings: uvicorn answers behind the (simulated) proxy with DEBUG off.
"""
from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE = (ROOT / "docker-compose.yml").read_text()
NGINX = (ROOT / "docker" / "nginx.conf").read_text()


def test_the_image_is_the_production_configuration():
    assert re.search(r"DJANGO_SETTINGS_MODULE=gridops\.settings\.production", DOCKERFILE)
    assert "load_demo" not in DOCKERFILE and "settings.local" not in DOCKERFILE
    assert re.search(r"^USER (?!root)\w+", DOCKERFILE, re.M)
    assert 'ENTRYPOINT ["/app/docker/entrypoint.sh"]' in DOCKERFILE
    assert not re.search(r"^ENV .*SECRET_KEY", DOCKERFILE, re.M)  # no secret baked into a layer


def test_secrets_stay_out_of_git_and_the_image():
    for ignore in (".gitignore", ".dockerignore"):
        lines = {line.strip().rstrip("/") for line in (ROOT / ignore).read_text().splitlines()}
        assert {".env", "docker/certs"} <= lines, ignore


def test_compose_takes_every_secret_from_the_environment():
    for name in ("SECRET_KEY", "GRIDOPS_LEDGER_SIGNING_KEY", "POSTGRES_PASSWORD"):
        assert re.search(rf"\$\{{{name}:\?", COMPOSE), name
    assert "gridops.settings.production" in COMPOSE
    assert "trust" not in COMPOSE and "load_demo" not in COMPOSE
    assert '"127.0.0.1:8443:443"' in COMPOSE  # published on loopback, behind TLS
    accel = re.search(r"GRIDOPS_MEDIA_ACCEL_REDIRECT: (\S+)", COMPOSE).group(1)
    assert re.search(rf"location {re.escape(accel)} {{\s*internal;", NGINX)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, **headers):
    """(status, headers, body); the headers answer case-insensitively (uvicorn sends lower case)."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_the_entrypoint_serves_production_settings_behind_the_proxy(tmp_path):
    port = _free_port()
    dropped = ("DJANGO_SETTINGS_MODULE", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE", "SECRET_KEY")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(DJANGO_SETTINGS_MODULE="gridops.settings.production", SECRET_KEY=secrets.token_urlsafe(50),
               ALLOWED_HOSTS="gridops.example.cn", GRIDOPS_MIGRATE_ON_START="0", GRIDOPS_BIND_HOST="127.0.0.1",
               GRIDOPS_BIND_PORT=str(port), WEB_CONCURRENCY="1", MEDIA_ROOT=str(tmp_path),
               PATH=f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}")
    env.setdefault("DATABASE_URL", "postgis://postgres@127.0.0.1:5432/gridops")
    log = open(tmp_path / "uvicorn.log", "w")
    process = subprocess.Popen([str(ROOT / "docker" / "entrypoint.sh"), "web"], env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # a loaded machine takes a while to import GDAL and Django
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert process.poll() is None, (tmp_path / "uvicorn.log").read_text()
                time.sleep(0.2)
        host = {"Host": "gridops.example.cn"}
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            opener.open(urllib.request.Request(base + "/accounts/login/", headers=host), timeout=60)
            plain = 200
        except urllib.error.HTTPError as error:
            plain = error.code
        assert plain == 301  # plain HTTP is sent to HTTPS
        status, headers, body = _get(base + "/accounts/login/", **host, **{"X-Forwarded-Proto": "https"})
        assert status == 200 and "Strict-Transport-Security" in headers
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        missing, _, body = _get(base + "/no-such-page/", **host, **{"X-Forwarded-Proto": "https"})
        assert missing == 404 and b"URLconf" not in body  # DEBUG is off: no technical 404 page
        wrong_host, _, _ = _get(base + "/accounts/login/", Host="evil.example", **{"X-Forwarded-Proto": "https"})
        assert wrong_host == 400
    finally:
        process.terminate()
        process.wait(10)
        log.close()


def test_production_settings_refuse_to_load_the_demo_accounts(settings):
    import pytest
    from django.core.management import CommandError, call_command

    settings.GRIDOPS_ALLOW_DEMO = False  # what gridops/settings/production.py says
    with pytest.raises(CommandError, match="production"):
        call_command("load_demo")
    assert "GRIDOPS_ALLOW_DEMO = False" in (ROOT / "gridops" / "settings" / "production.py").read_text()
