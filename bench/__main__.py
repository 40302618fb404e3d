"""Run the benchmarks: `python -m bench [name ...]` (all when no name is given).

Each `bench/<name>.py` exposes `run() -> dict` and measures our code against a baseline in the
same process (raw SQL, a direct call), because the machines are noisy and only ratios travel.
Results go to `bench/results/<name>.json`, and a readable summary to `bench/results/latest.md`.
The benchmarks run against their own database (`gridops_bench`), migrated and loaded with the
demo district, so they never disturb the demo or the tests.
"""
import importlib
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

BENCHES = ["locate", "education", "ledger", "approvals", "incidents", "history", "push", "tiles", "throughput"]
RESULTS = Path(__file__).resolve().parent / "results"


def _prepare_django(demo_steps: list[str] | None) -> None:
    os.environ.setdefault("DATABASE_URL", "postgis://postgres@127.0.0.1:5432/gridops_bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridops.settings.local")
    # A Redis namespace of their own: a bench's events never reach `make run` or the tests.
    if not os.environ.get("CACHE_PREFIX", "").endswith("-bench"):
        os.environ["CACHE_PREFIX"] = os.environ.get("CACHE_PREFIX", "gridops") + "-bench"
    os.environ["DEBUG"] = "0"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    _ensure_database(connection.settings_dict)
    call_command("migrate", verbosity=0, interactive=False)
    from gridops.core.demo import run_demo_steps

    run_demo_steps(log=lambda message: None, only=demo_steps)
    # Plans as a maintained database has them: the seeding above rewrites rows (dead tuples) and
    # PostgreSQL has no statistics for tables it has never analysed; with autovacuum off (as on
    # these machines) the runs measured planner guesses on bloated tables, worse with every run.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


def _ensure_database(settings_dict: dict) -> None:
    import psycopg2

    name = settings_dict["NAME"]
    conn = psycopg2.connect(
        dbname="postgres", user=settings_dict.get("USER") or "postgres",
        host=settings_dict.get("HOST") or "127.0.0.1", port=settings_dict.get("PORT") or 5432,
        password=settings_dict.get("PASSWORD") or None,
    )
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def _demo_steps_needed(names: list[str]) -> list[str] | None:
    """The demo steps the chosen benches declare in `DEMO_STEPS` (all steps if one does not)."""
    needed: list[str] = []
    for name in names:
        spec = importlib.util.find_spec(f"bench.{name}")
        source = Path(spec.origin).read_text() if spec and spec.origin else ""
        if "DEMO_STEPS = [" not in source:
            return None
        declared = source.split("DEMO_STEPS = [", 1)[1].split("]", 1)[0]
        needed += [item.strip().strip("\"'") for item in declared.split(",") if item.strip()]
    return needed


def _write_summary() -> None:
    """latest.md from every stored result (a run of some benches keeps the others' figures)."""
    summary = [f"# Bench results (updated {time.strftime('%Y-%m-%d %H:%M:%S %Z')})", ""]
    for path in sorted(RESULTS.glob("*.json")):
        summary += [f"## {path.stem}", "", "```json", path.read_text().strip(), "```", ""]
    (RESULTS / "latest.md").write_text("\n".join(summary))


def _dedicated_database(names: list[str]) -> None:
    """A bench that must never touch a shared database names its own (`DATABASE = "..."`, e.g.
    `scale`, which COPYs tens of millions of rows): DATABASE_URL is pointed at it."""
    for name in names:
        spec = importlib.util.find_spec(f"bench.{name}")
        source = Path(spec.origin).read_text() if spec and spec.origin else ""
        if '\nDATABASE = "' in source:
            database = source.split('\nDATABASE = "', 1)[1].split('"', 1)[0]
            base = os.environ.get("DATABASE_URL", "postgis://postgres@127.0.0.1:5432/gridops_bench")
            os.environ["DATABASE_URL"] = base.rsplit("/", 1)[0] + "/" + database


def main(argv: list[str]) -> int:
    names = argv or BENCHES
    _dedicated_database(names)
    _prepare_django(_demo_steps_needed(names))
    RESULTS.mkdir(exist_ok=True)
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        started = time.perf_counter()
        result = module.run()
        result["bench_seconds"] = round(time.perf_counter() - started, 2)
        (RESULTS / f"{name}.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
        print(f"{name}: {json.dumps(result, ensure_ascii=False)}")
    _write_summary()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
