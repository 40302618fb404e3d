"""Importers: the shipped catalogue validates and imports; bad rows are reported, nothing changes."""
import sys
from pathlib import Path

import pytest

from gridops.approvals.catalogue import DEFAULT_DIR, import_catalogue
from gridops.approvals.models import Counter, Hall, Item, Terminal
from gridops.approvals.network import load_service_network

from . import factories as f

sys.path.insert(0, str(DEFAULT_DIR))
import build_items  # noqa: E402


@pytest.fixture
def departments(db):
    for code, name in build_items.DEPARTMENTS.items():
        f.department(code, name)


def test_the_build_script_reproduces_the_shipped_file():
    rows = build_items.build_rows()
    shipped = (DEFAULT_DIR / "items.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == len(shipped) - 1 >= 300
    assert shipped[1].startswith(rows[0]["code"] + "," + rows[0]["name"])


@pytest.mark.django_db
def test_shipped_catalogue_dry_run_then_commit(departments):
    dry = import_catalogue(commit=False, log=lambda line: None)
    assert dry.ok and not dry.committed and Item.objects.count() == 0
    assert dry.counts["departments"] == 18 and dry.counts["items"] >= 300
    done = import_catalogue(commit=True, log=lambda line: None)
    assert done.committed and Item.objects.filter(is_active=True).count() == dry.counts["items"]
    food = Item.objects.get(name="食品经营许可证核发")
    assert food.department.code == "shichang" and not food.on_the_spot and food.online
    assert set(food.item_documents.values_list("document_type__code", flat=True)) >= {"biz_licence", "lease"}
    assert import_catalogue(commit=True, log=lambda line: None).counts["deactivated"] == 0  # re-run harmless


@pytest.mark.django_db
def test_problems_are_reported_with_line_and_field(departments, tmp_path):
    (tmp_path / "documents.csv").write_text("code,name,reuse_days\nid_card,身份证,abc\n", encoding="utf-8")
    (tmp_path / "items.csv").write_text(
        "code,name,department_code,category,applicant_kind,legal_limit_days,promised_limit_days,on_the_spot,"
        "online,fee,documents\n"
        "x1,甲,nowhere,licence,person,20,5,0,1,0,id_card\n"
        "x2,乙,shichang,licence,person,5,20,2,1,0,id_card;passport\n", encoding="utf-8")
    lines = []
    report = import_catalogue(tmp_path, commit=True, log=lines.append)
    assert not report.ok and not report.committed and Item.objects.count() == 0
    found = {(p.file, p.row, p.field) for p in report.problems}
    assert found >= {("documents.csv", 2, "reuse_days"), ("items.csv", 2, "department_code"),
                     ("items.csv", 3, "promised_limit_days"), ("items.csv", 3, "on_the_spot"),
                     ("items.csv", 3, "documents")}
    assert len(lines) == len(report.problems)


@pytest.mark.django_db
def test_service_network_centres_and_stations(tmp_path):
    zones = f.zone_tree()
    (tmp_path / "halls.csv").write_text(
        "code,name,kind,zone_code,lon,lat,address,phone,counters,terminals_24h,hours\n"
        "H440604101,南庄镇行政服务中心,town_centre,440604101,113.05,23.05,南庄,1,6,1,centre\n"
        "H440604001,祖庙街道行政服务中心,town_centre,440604001,113.05,23.05,祖庙,1,4,0,centre\n"  # outside 祖庙
        "BAD,坏,mall,440604999,x,y,,,1,0,centre\n", encoding="utf-8")
    report = load_service_network(tmp_path / "halls.csv", commit=True, log=lambda line: None)
    assert not report.committed and Hall.objects.count() == 0
    assert [(p.row, p.field) for p in report.problems] == [(4, "zone_code")]
    (tmp_path / "halls.csv").write_text("\n".join((tmp_path / "halls.csv").read_text().splitlines()[:3]) + "\n")
    report = load_service_network(tmp_path / "halls.csv", commit=True, log=lambda line: None)
    assert report.committed and len(report.repairs) == 1 and "H440604001" in report.repairs[0]
    zumiao = Hall.objects.get(code="H440604001")
    assert zones["zumiao"].geom.contains(zumiao.location)  # moved inside the zone it serves
    station = Hall.objects.get(kind="village_station")
    assert station.zone == zones["village"] and zones["village"].geom.contains(station.location)
    assert Counter.objects.filter(hall__code="H440604101").count() == 6
    assert Terminal.objects.get().is_24h and Path(DEFAULT_DIR / "halls.csv").exists()
