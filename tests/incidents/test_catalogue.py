"""The catalogue importer: validate everything, report every problem, dry run unless commit."""
import pytest
from django.core.management import CommandError, call_command

from gridops.accounts.models import Department
from gridops.incidents.catalogue import import_catalogue, pinyin_keys
from gridops.incidents.models import Category, EventType

pytestmark = pytest.mark.django_db

HEADER = "code,name,category_code,major_class,minor_class,department_code,priority,response_hours,resolution_hours,emergency,keywords\n"


def write(tmp_path, departments=None, categories=None, types=None):
    (tmp_path / "departments.csv").write_text(departments or "code,name,short_name\ncg,城市管理和综合执法局,城管\nsw,水务局,水务\n", encoding="utf-8")
    (tmp_path / "categories.csv").write_text(categories or "code,name,kind\n01,市容环境,部件\n02,街面秩序,事件\n", encoding="utf-8")
    (tmp_path / "event_types.csv").write_text(HEADER + (types or (
        "0101001,井盖缺失,01,公用设施,井盖,cg,重要,2,24,0,窨井;下水道\n"
        "0201001,道路积水,02,街面秩序,积水,sw,一般,4,72,0,内涝\n")), encoding="utf-8")
    return tmp_path


def test_pinyin_keys():
    assert pinyin_keys("井盖缺失") == ("jinggaiqueshi", "jgqs")
    assert pinyin_keys("LED屏损坏") == ("ledpingsunhuai", "ledpsh")


def test_dry_run_changes_nothing_then_commit_loads(tmp_path):
    folder = write(tmp_path)
    report = import_catalogue(folder)
    assert report.ok and not report.committed
    assert report.counts["event_types"]["created"] == 2
    assert EventType.objects.count() == 0 and Department.objects.count() == 0
    report = import_catalogue(folder, commit=True)
    assert report.committed
    manhole = EventType.objects.get(code="0101001")
    assert manhole.priority == "important" and manhole.department.code == "cg"
    assert manhole.pinyin_initials == "jgqs" and manhole.keywords == "窨井;下水道"
    again = import_catalogue(folder, commit=True)
    assert again.counts["event_types"] == {"created": 0, "updated": 0, "unchanged": 2, "deactivated": 0}


def test_upsert_by_code_and_deactivate_missing(tmp_path):
    import_catalogue(write(tmp_path), commit=True)
    report = import_catalogue(write(tmp_path, types="0101001,井盖破损,01,公用设施,井盖,cg,紧急,1,8,1,\n"), commit=True)
    assert report.counts["event_types"]["updated"] == 1 and report.counts["event_types"]["deactivated"] == 1
    manhole = EventType.objects.get(code="0101001")
    assert manhole.name == "井盖破损" and manhole.emergency and manhole.priority == "urgent"
    assert not EventType.objects.get(code="0201001").active


def test_every_problem_is_reported_with_row_and_reason(tmp_path):
    bad_types = (
        "0101001,井盖缺失,01,,,cg,重要,2,24,0,\n"
        "0101001,重复编码,01,,,cg,重要,2,24,0,\n"       # line 3: duplicate code
        "0101002,未知大类,99,,,cg,重要,2,24,0,\n"       # line 4: unknown category
        "0101003,未知部门,01,,,zz,重要,2,24,0,\n"       # line 5: unknown department
        "0101004,坏优先级,01,,,cg,很急,2,24,0,\n"       # line 6
        "0101005,坏时限,01,,,cg,一般,abc,-1,0,\n"       # line 7: two problems
        "0101006,响应晚于办结,01,,,cg,一般,48,24,0,\n"   # line 8
        "0101007,坏标志,01,,,cg,一般,2,24,maybe,\n"      # line 9
        ",无编码,01,,,cg,一般,2,24,0,\n"                # line 10
        "0101008,井盖缺失,01,,,cg,一般,2,24,0,\n"       # line 11: same name in category
    )
    folder = write(tmp_path, categories="code,name,kind\n01,市容环境,部件\n02,坏类,其他\n", types=bad_types)
    report = import_catalogue(folder, commit=True)
    assert not report.ok and not report.committed
    found = {(p.file, p.row, p.field) for p in report.problems}
    assert {
        ("categories.csv", 3, "kind"),
        ("event_types.csv", 3, "code"), ("event_types.csv", 4, "category_code"),
        ("event_types.csv", 5, "department_code"), ("event_types.csv", 6, "priority"),
        ("event_types.csv", 7, "response_hours"), ("event_types.csv", 7, "resolution_hours"),
        ("event_types.csv", 8, "response_hours"), ("event_types.csv", 9, "emergency"),
        ("event_types.csv", 10, "code"), ("event_types.csv", 11, "name"),
    } <= found
    assert Category.objects.count() == 0 and EventType.objects.count() == 0


def test_missing_file_and_columns(tmp_path):
    (tmp_path / "departments.csv").write_text("code,name\ncg,城管\n", encoding="utf-8")
    report = import_catalogue(tmp_path)
    assert ("departments.csv", 1, "header") in {(p.file, p.row, p.field) for p in report.problems}
    assert any(p.file == "event_types.csv" and p.field == "file" for p in report.problems)


def test_command_is_a_dry_run_unless_commit(tmp_path, capsys):
    folder = write(tmp_path)
    call_command("import_catalogue", str(folder))
    assert EventType.objects.count() == 0
    call_command("import_catalogue", str(folder), "--commit")
    assert EventType.objects.count() == 2
    write(tmp_path, types="x y,bad,01,,,cg,一般,2,24,0,\n")
    with pytest.raises(CommandError, match="1 problem"):
        call_command("import_catalogue", str(folder), "--commit")
