"""`manage.py check --deploy` is clean under production settings (secrets from the environment)."""
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_check(env_overrides: dict) -> subprocess.CompletedProcess:
    # Only what production would have: no test-process leftovers such as DJANGO_ALLOW_ASYNC_UNSAFE.
    dropped = ("SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "DEBUG")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(env_overrides)
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_production_settings_pass_the_deploy_check():
    result = run_check({"DJANGO_SETTINGS_MODULE": "gridops.settings.production", "SECRET_KEY": secrets.token_urlsafe(50),
                        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgis://postgres@127.0.0.1:5432/gridops"),
                        "ALLOWED_HOSTS": "gridops.example.cn"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = run_check({"DJANGO_SETTINGS_MODULE": "gridops.settings.production"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
