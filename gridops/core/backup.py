"""Backup and restore of the whole database with PostgreSQL's own tools (pg_dump / pg_restore).

A custom-format dump holds schema, data, PostGIS geometry, the ledger's triggers and sequences
exactly; restoring it into an empty database gives back every zone, incident and ledger entry.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from django.db import connections


class BackupError(RuntimeError):
    pass


def _libpq_env(settings_dict: dict) -> dict:
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if settings_dict.get(key):
            env[var] = str(settings_dict[key])
    return env


def _run(args: list[str], env: dict) -> None:
    result = subprocess.run(args, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{args[0]} failed: {result.stderr.strip()[:2000]}")


def backup_database(path: str | Path, *, alias: str = "default") -> Path:
    """Write a custom-format dump of the database to `path`."""
    settings_dict = connections[alias].settings_dict
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(target), settings_dict["NAME"]],
         _libpq_env(settings_dict))
    return target


def restore_database(path: str | Path, *, database: str | None = None, alias: str = "default") -> None:
    """Restore a dump into `database` (default: the configured one), which must be empty."""
    settings_dict = connections[alias].settings_dict
    name = database or settings_dict["NAME"]
    env = _libpq_env(settings_dict)
    if not Path(path).exists():
        raise BackupError(f"no backup file at {path}")
    check = subprocess.run(
        ["psql", "-tAc", "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'spatial_ref_sys'", name],
        env=env, capture_output=True, text=True,
    )
    if check.returncode != 0:
        raise BackupError(f"cannot reach database {name}: {check.stderr.strip()}")
    if int(check.stdout.strip() or 0) > 0:
        raise BackupError(f"database {name} is not empty; restore only into an empty database")
    _run(["pg_restore", "--no-owner", "--exit-on-error", "--single-transaction", "--dbname", name, str(path)], env)
