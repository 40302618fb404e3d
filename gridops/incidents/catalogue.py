"""Catalogue import: departments, categories and event types from three CSV files.

A city replaces our catalogue with its own through this loader (MapIt's loader shape): every row
is validated and every problem reported with its file, row and reason; nothing changes unless
`commit=True`, and then everything changes in one transaction or not at all. Rows are upserted
by code, so a re-import is harmless; event types missing from a new file are deactivated (old
incidents keep pointing at them).

Files (UTF-8, header row):
- departments.csv: code,name,short_name
- categories.csv: code,name,kind            (kind 部件 | 事件 | 社会治理)
- event_types.csv: code,name,category_code,major_class,minor_class,department_code,priority,
  response_hours,resolution_hours,emergency,keywords  (priority 紧急 | 重要 | 一般; emergency 0/1;
  keywords separated by ';')
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from pypinyin import Style, lazy_pinyin

from gridops.accounts.models import Department
from gridops.core import refcache
from gridops.core.errors import InvalidInput
from gridops.core.loaders import LoaderReport, Problem
from gridops.core.numbers import parse_number

from .models import Category, CategoryKind, EventType, Priority

CODE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
FILES = {
    "departments": ("departments.csv", ["code", "name", "short_name"]),
    "categories": ("categories.csv", ["code", "name", "kind"]),
    "event_types": ("event_types.csv", [
        "code", "name", "category_code", "major_class", "minor_class", "department_code", "priority",
        "response_hours", "resolution_hours", "emergency", "keywords"]),
}
# The files use the Chinese names (labels are translated, so they are not used for matching).
PRIORITIES = {"紧急": Priority.URGENT, "重要": Priority.IMPORTANT, "一般": Priority.NORMAL} | {p.value: p.value for p in Priority}
KINDS = {"部件": CategoryKind.COMPONENT, "事件": CategoryKind.EVENT, "社会治理": CategoryKind.SOCIAL} | {
    k.value: k.value for k in CategoryKind}
BOOLEANS = {"0": False, "1": True, "false": False, "true": True, "否": False, "是": True, "": False}


class ImportReport(LoaderReport):
    """`LoaderReport` whose counts are per kind of row: {"event_types": {"created": 3, ...}, ...}."""

    def summary(self) -> str:
        parts = [f"{name}: " + ", ".join(f"{k} {v}" for k, v in sorted(c.items())) for name, c in self.counts.items()]
        return f"catalogue {self.state}; " + "; ".join(parts) + (f"; {len(self.problems)} problem(s)" if self.problems else "")


def pinyin_keys(text: str) -> tuple[str, str]:
    """(full pinyin, initials) of a name, lowercase without spaces: 井盖缺失 → jinggaiqueshi, jgqs."""
    def keep(chars: str) -> list[str]:
        return [c.lower() for c in chars if c.isalnum()]

    full = "".join(lazy_pinyin(text, style=Style.NORMAL, errors=keep))
    initials = "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors=keep))
    return full[:512], initials[:128]


def _read(path: Path, columns: list[str], label: str, problems: list[Problem]) -> list[tuple[int, dict]]:
    if not path.exists():
        problems.append(Problem.at_row(label, 0, "file", f"missing file {path}"))
        return []
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            missing = [c for c in columns if c not in header]
            if missing:
                problems.append(Problem.at_row(label, 1, "header", f"missing column(s): {', '.join(missing)}"))
                return []
            rows = []
            for line, raw in enumerate(reader, start=2):
                if None in raw:
                    problems.append(Problem.at_row(label, line, "row", "more values than columns"))
                    continue
                rows.append((line, {k.strip(): (v or "").strip() for k, v in raw.items() if k}))
            return rows
    except (UnicodeDecodeError, csv.Error) as exc:
        problems.append(Problem.at_row(label, 0, "file", f"unreadable CSV: {exc}"))
        return []


def _required(row: dict, names: list[str], label: str, line: int, problems: list[Problem]) -> bool:
    ok = True
    for name in names:
        if not row.get(name):
            problems.append(Problem.at_row(label, line, name, "required"))
            ok = False
    return ok


def _unique_code(row: dict, seen: dict, label: str, line: int, problems: list[Problem]) -> bool:
    code = row["code"]
    if not CODE_RE.match(code):
        problems.append(Problem.at_row(label, line, "code", f"invalid code {code!r} (letters, digits, _ . - up to 32)"))
        return False
    if code in seen:
        problems.append(Problem.at_row(label, line, "code", f"duplicate code {code!r} (first on line {seen[code]})"))
        return False
    seen[code] = line
    return True


def _hours(value: str, name: str, label: str, line: int, problems: list[Problem]) -> float | None:
    try:
        hours = parse_number(value, name, low=0, high=24 * 365)
    except InvalidInput as exc:  # a loader reports every problem instead of stopping
        problems.append(Problem.at_row(label, line, name, exc.message))
        return None
    if hours == 0:
        problems.append(Problem.at_row(label, line, name, "must be more than 0 hours"))
        return None
    return hours


def validate(directory: Path) -> tuple[dict, list[Problem]]:
    """Parse and check the three files; returns (clean rows per kind, problems)."""
    problems: list[Problem] = []
    rows = {kind: _read(Path(directory) / name, cols, name, problems) for kind, (name, cols) in FILES.items()}
    clean: dict[str, list[dict]] = {"departments": [], "categories": [], "event_types": []}

    seen: dict = {}
    for line, row in rows["departments"]:
        if _required(row, ["code", "name", "short_name"], "departments.csv", line, problems) and \
                _unique_code(row, seen, "departments.csv", line, problems):
            if len(row["name"]) > 64 or len(row["short_name"]) > 16:
                problems.append(Problem.at_row("departments.csv", line, "name", "name ≤ 64 and short_name ≤ 16 characters"))
                continue
            clean["departments"].append({"code": row["code"], "name": row["name"], "short_name": row["short_name"]})

    seen = {}
    for line, row in rows["categories"]:
        if _required(row, ["code", "name", "kind"], "categories.csv", line, problems) and \
                _unique_code(row, seen, "categories.csv", line, problems):
            if row["kind"] not in KINDS:
                problems.append(Problem.at_row("categories.csv", line, "kind", f"unknown kind {row['kind']!r}; use 部件, 事件 or 社会治理"))
                continue
            clean["categories"].append({"code": row["code"], "name": row["name"][:64], "kind": KINDS[row["kind"]]})

    departments = {d["code"] for d in clean["departments"]} | set(Department.objects.values_list("code", flat=True))
    categories = {c["code"] for c in clean["categories"]} | set(Category.objects.values_list("code", flat=True))
    seen, names = {}, {}
    label = "event_types.csv"
    for line, row in rows["event_types"]:
        needed = ["code", "name", "category_code", "department_code", "priority", "response_hours", "resolution_hours"]
        if not (_required(row, needed, label, line, problems) and _unique_code(row, seen, label, line, problems)):
            continue
        before = len(problems)
        if len(row["name"]) > 64:
            problems.append(Problem.at_row(label, line, "name", "at most 64 characters"))
        if row["category_code"] not in categories:
            problems.append(Problem.at_row(label, line, "category_code", f"unknown category {row['category_code']!r}"))
        if row["department_code"] not in departments:
            problems.append(Problem.at_row(label, line, "department_code", f"unknown department {row['department_code']!r}"))
        if row["priority"] not in PRIORITIES:
            problems.append(Problem.at_row(label, line, "priority", f"unknown priority {row['priority']!r}; use 紧急, 重要 or 一般"))
        emergency = row.get("emergency", "").lower()
        if emergency not in BOOLEANS:
            problems.append(Problem.at_row(label, line, "emergency", f"use 0 or 1, got {row['emergency']!r}"))
        response = _hours(row["response_hours"], "response_hours", label, line, problems)
        resolution = _hours(row["resolution_hours"], "resolution_hours", label, line, problems)
        if response and resolution and response > resolution:
            problems.append(Problem.at_row(label, line, "response_hours", "response deadline after resolution deadline"))
        key = (row["category_code"], row["name"])
        if key in names:
            problems.append(Problem.at_row(label, line, "name", f"same name in the same category as line {names[key]}"))
        names.setdefault(key, line)
        keywords = ";".join(k.strip() for k in row.get("keywords", "").split(";") if k.strip())
        if len(keywords) > 255:
            problems.append(Problem.at_row(label, line, "keywords", "at most 255 characters"))
        if len(problems) > before:
            continue
        full, initials = pinyin_keys(row["name"])
        clean["event_types"].append({
            "code": row["code"], "name": row["name"], "category_code": row["category_code"],
            "major_class": row.get("major_class", "")[:64], "minor_class": row.get("minor_class", "")[:64],
            "department_code": row["department_code"], "priority": PRIORITIES[row["priority"]],
            "response_hours": response, "resolution_hours": resolution, "emergency": BOOLEANS[emergency],
            "keywords": keywords, "pinyin_full": full, "pinyin_initials": initials,
        })
    if not clean["event_types"] and not any(p.file == label for p in problems):
        problems.append(Problem.at_row(label, 0, "file", "no event types"))
    return clean, problems


def _upsert(model, rows: list[dict], fields: list[str]) -> dict:
    existing = {obj.code: obj for obj in model.objects.all()}

    def changed(row) -> bool:
        return row["code"] in existing and any(getattr(existing[row["code"]], f) != row[f] for f in fields)

    created = sum(1 for r in rows if r["code"] not in existing)
    updated = sum(1 for r in rows if changed(r))
    if any(f.name == "updated_at" for f in model._meta.fields):
        # Open311's changeset: only rows that are new or changed get a new time.
        now = timezone.now()
        rows = [{**r, "updated_at": existing[r["code"]].updated_at if r["code"] in existing and not changed(r) else now}
                for r in rows]
        fields = [*fields, "updated_at"]
    objs = [model(**r) for r in rows]
    model.objects.bulk_create(objs, update_conflicts=True, unique_fields=["code"], update_fields=fields,
                              batch_size=1000)
    return {"created": created, "updated": updated, "unchanged": len(rows) - created - updated}


def import_catalogue(directory, *, commit: bool = False, log=None) -> ImportReport:
    """Validate the catalogue in `directory`; write it (one transaction) only when `commit`."""
    clean, problems = validate(Path(directory))
    report = ImportReport(problems=problems)
    report.counts = {kind: {"rows": len(rows)} for kind, rows in clean.items()}
    if problems:
        for problem in problems if log else ():
            log(str(problem))
        return report
    with transaction.atomic():
        report.counts["departments"] = _upsert(Department, clean["departments"], ["name", "short_name"])
        report.counts["categories"] = _upsert(Category, clean["categories"], ["name", "kind"])
        departments = dict(Department.objects.values_list("code", "id"))
        categories = dict(Category.objects.values_list("code", "id"))
        types = []
        for row in clean["event_types"]:
            row = dict(row)
            row["department_id"] = departments[row.pop("department_code")]
            row["category_id"] = categories[row.pop("category_code")]
            row["active"] = True
            types.append(row)
        fields = [f for f in types[0] if f != "code"]
        report.counts["event_types"] = _upsert(EventType, types, fields)
        codes = [t["code"] for t in types]
        report.counts["event_types"]["deactivated"] = (
            EventType.objects.filter(active=True).exclude(code__in=codes).update(active=False,
                                                                                updated_at=timezone.now()))
        if not commit:
            transaction.set_rollback(True)
        else:
            refcache.bump()  # bulk writes bypass save(): reference caches must still move
    report.committed = commit
    return report


DEMO_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "catalogue"


def load_demo_catalogue(log) -> None:
    """Demo step: load fixtures/catalogue/ when present; quick when already loaded."""
    if not (DEMO_DIR / "event_types.csv").exists():
        log("catalogue: fixtures/catalogue/ not present yet, skipped")
        return
    report = import_catalogue(DEMO_DIR, commit=True, log=log)
    log(report.summary())
