"""Import of the approval item catalogue from documents.csv and items.csv.

The same shape as the event catalogue (MapIt's loader): every row is checked and every problem
reported with file, line, field and reason; nothing changes unless `commit=True`, and then all
of it in one transaction. Items are upserted by code, items absent from the file are deactivated
(old cases keep pointing at them), and an item's document list is replaced by the file's.

Files (UTF-8, header row):
- documents.csv: code,name,reuse_days
- items.csv: code,name,department_code,category,applicant_kind,legal_limit_days,promised_limit_days,
  on_the_spot,online,fee,documents   (booleans 0/1; documents separated by ';', '?' marks optional)
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction

from gridops.accounts.models import Department
from gridops.core.errors import InvalidInput
from gridops.core.loaders import LoaderReport, Problem
from gridops.core.numbers import parse_number

from .models import ApplicantKind, DocumentType, Item, ItemCategory, ItemDocument

CODE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
DOCUMENT_COLUMNS = ["code", "name", "reuse_days"]
ITEM_COLUMNS = ["code", "name", "department_code", "category", "applicant_kind", "legal_limit_days",
                "promised_limit_days", "on_the_spot", "online", "fee", "documents"]
BOOLEANS = {"0": False, "1": True, "false": False, "true": True, "否": False, "是": True}
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "approvals"


@dataclass
class Report(LoaderReport):
    """`LoaderReport` with the repairs made on the way (a hall's zone found from its point)."""

    repairs: list[str] = field(default_factory=list)


def read_rows(path: Path, columns: list[str], report: Report) -> list[tuple[int, dict]]:
    """Rows of a CSV with their line numbers; a missing file or column is a problem, not a crash."""
    if not path.exists():
        report.problems.append(Problem.at_row(path.name, 0, "-", "file not found"))
        return []
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [col for col in columns if col not in (reader.fieldnames or [])]
        if missing:
            report.problems.append(Problem.at_row(path.name, 1, ",".join(missing), "missing column(s)"))
            return []
        return [(line, {k: (v or "").strip() for k, v in row.items() if k}) for line, row in enumerate(reader, start=2)]


def _int(value: str, problem, name: str, low: int = 0, high: int = 3650) -> int | None:
    try:
        return parse_number(value, name, low=low, high=high, whole=True)
    except InvalidInput as exc:  # a loader reports every problem instead of stopping
        problem(name, exc.message)
        return None


def _bool(value: str, problem, name: str) -> bool | None:
    if value.lower() not in BOOLEANS:
        problem(name, f"use 0 or 1, not {value!r}")
        return None
    return BOOLEANS[value.lower()]


def _check_documents(rows, report: Report) -> dict[str, dict]:
    seen: dict[str, dict] = {}
    for line, row in rows:
        def problem(name, reason, line=line):
            report.problems.append(Problem.at_row("documents.csv", line, name, reason))

        if not CODE_RE.match(row["code"]):
            problem("code", f"bad code {row['code']!r}")
            continue
        if row["code"] in seen:
            problem("code", f"duplicate code {row['code']}")
            continue
        if not row["name"]:
            problem("name", "empty name")
        days = _int(row["reuse_days"], problem, "reuse_days")
        seen[row["code"]] = {"name": row["name"], "reuse_days": days or 0}
    return seen


def _check_items(rows, documents: dict, departments: dict, report: Report) -> dict[str, dict]:
    seen: dict[str, dict] = {}
    for line, row in rows:
        def problem(name, reason, line=line):
            report.problems.append(Problem.at_row("items.csv", line, name, reason))

        code = row["code"]
        if not CODE_RE.match(code):
            problem("code", f"bad code {code!r}")
            continue
        if code in seen:
            problem("code", f"duplicate code {code}")
            continue
        if not row["name"] or len(row["name"]) > 128:
            problem("name", "empty or longer than 128 characters")
        if row["department_code"] not in departments:
            problem("department_code", f"unknown department {row['department_code']!r} (load the departments first)")
        if row["category"] not in ItemCategory.values:
            problem("category", f"use one of {', '.join(ItemCategory.values)}")
        if row["applicant_kind"] not in ApplicantKind.values:
            problem("applicant_kind", f"use one of {', '.join(ApplicantKind.values)}")
        legal = _int(row["legal_limit_days"], problem, "legal_limit_days", 0, 365)
        promised = _int(row["promised_limit_days"], problem, "promised_limit_days", 0, 365)
        if legal is not None and promised is not None and promised > legal:
            problem("promised_limit_days", f"the promise ({promised}) exceeds the legal limit ({legal})")
        on_spot = _bool(row["on_the_spot"], problem, "on_the_spot")
        online = _bool(row["online"], problem, "online")
        try:
            fee = Decimal(row["fee"] or "0")
            if fee < 0:
                raise InvalidOperation
        except InvalidOperation:
            problem("fee", f"not an amount: {row['fee']!r}")
            fee = Decimal(0)
        needs = []
        for token in filter(None, row["documents"].split(";")):
            doc = token.lstrip("?")
            if doc not in documents:
                problem("documents", f"unknown document {doc!r}")
            needs.append((doc, not token.startswith("?")))
        if not any(required for _, required in needs):
            problem("documents", "an item needs at least one required document")
        seen[code] = {
            "name": row["name"], "department": departments.get(row["department_code"]), "category": row["category"],
            "applicant_kind": row["applicant_kind"], "legal_limit_days": legal, "promised_limit_days": promised,
            "on_the_spot": on_spot, "online": online, "fee": fee, "needs": needs,
        }
    return seen


def import_catalogue(directory: Path | str = DEFAULT_DIR, *, commit: bool = False, log=print) -> Report:
    """Validate the catalogue files and, with `commit`, upsert them in one transaction."""
    directory = Path(directory)
    report = Report()
    documents = _check_documents(read_rows(directory / "documents.csv", DOCUMENT_COLUMNS, report), report)
    departments = {d.code: d for d in Department.objects.all()}
    items = _check_items(read_rows(directory / "items.csv", ITEM_COLUMNS, report), documents, departments, report)
    report.counts = {"document types": len(documents), "items": len(items),
                     "departments": len({i["department"].code for i in items.values() if i["department"]})}
    for problem in report.problems:
        log(str(problem))
    if not report.ok or not commit:
        return report
    with transaction.atomic():
        types = {}
        for code, values in documents.items():
            types[code], _ = DocumentType.objects.update_or_create(code=code, defaults=values)
        existing = {item.code: item for item in Item.objects.all()}
        for code, values in items.items():
            needs = values.pop("needs")
            item = existing.get(code) or Item(code=code)
            for name, value in values.items():
                setattr(item, name, value)
            item.is_active = True
            item.save()
            ItemDocument.objects.filter(item=item).delete()
            ItemDocument.objects.bulk_create(
                [ItemDocument(item=item, document_type=types[doc], required=required) for doc, required in needs]
            )
        report.counts["deactivated"] = Item.objects.exclude(code__in=items).filter(is_active=True).update(is_active=False)
    report.committed = True
    return report
