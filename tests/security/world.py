"""A small demo-like world for the cross-app security and fuzzing tests.

One user of every role (the town operator sits in 南庄镇), and one object of each kind the API
serves (incident, hall with counters and a ticket, online case, catchment plan and school, vendor,
supervised person with a check-in, notarisation), all over the tiny district of tests/builders.py.
Text fields carry HTML/JS so the escaping tests can look for it.
"""
from __future__ import annotations

from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token

from gridops.accounts.models import Department, Role
from tests.builders import build_tiny_district, make_user

NANZHUANG, ZUMIAO = "440604101", "440604001"
NZ_GRID = "44060410101001001"
NZ_POINT = (113.01, 23.005)
SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ID_NUMBER = "11010519491231002X"
PHONE = "13800138000"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# The roles of the brief, in table order; "anonymous" is no user at all.
ROLES = ["anonymous", "citizen", "grid_worker", "department_handler", "town_operator", "district_operator",
         "planner", "counter_clerk", "reviewer", "justice_officer"]


def token_for(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


def build_world() -> dict:
    from gridops.approvals import identity
    from gridops.core.resident_id import resident_id_with_check
    from gridops.approvals.services import cases as approvals_cases
    from gridops.approvals.services import queue as approvals_queue
    from gridops.approvals.models import ClerkAssignment, Counter, DocumentType, Hall, HallKind, Item, ItemDocument
    from gridops.education.models import CatchmentMember, CatchmentPlan, PlanStatus, School, SchoolGrade
    from gridops.incidents.models import Category, CategoryKind, EventType, Source
    from gridops.incidents.services.intake import incident_report
    from gridops.ledger import records
    from gridops.ledger.services import corrections as ledger_corrections
    from gridops.ledger.services import log as ledger_log
    from gridops.ledger.services import vendors as ledger_vendors

    zones = build_tiny_district()
    cg = Department.objects.create(code="cg", name="城市管理和综合执法局", short_name="城管")
    sc = Department.objects.create(code="shichang", name="区市场监督管理局", short_name="市场监管")
    users = {
        "citizen": make_user("citizen", Role.CITIZEN, phone=PHONE),
        "grid_worker": make_user("grid_worker", Role.GRID_WORKER, zone=zones[NANZHUANG], grids=[zones[NZ_GRID]]),
        "department_handler": make_user("department_handler", Role.DEPARTMENT_HANDLER, department=cg),
        "town_operator": make_user("town_operator", Role.TOWN_OPERATOR, zone=zones[NANZHUANG]),
        "district_operator": make_user("district_operator", Role.DISTRICT_OPERATOR, zone=zones["440604"]),
        "planner": make_user("planner", Role.PLANNER, zone=zones["440604"]),
        "counter_clerk": make_user("counter_clerk", Role.COUNTER_CLERK),
        "reviewer": make_user("reviewer", Role.REVIEWER, department=sc),
        "justice_officer": make_user("justice_officer", Role.JUSTICE_OFFICER),
        # The command centre's wall display: not a column of ROLES (the matrix's SCREEN table).
        "screen": make_user("screen", Role.SCREEN, zone=zones["440604"]),
    }

    # Two crossing streets through Nanzhuang, as the demo has a street graph: without one the
    # nearest-workers read answers 503 ("no road graph is loaded"), which the fuzzers count as a
    # server error whenever they happen to send valid coordinates.
    from shapely.geometry import LineString

    from geodata.loaders.roads import roads_from_lines

    lon, lat = NZ_POINT
    roads_from_lines([LineString([(lon - 0.01, lat), (lon + 0.01, lat)]), LineString([(lon, lat - 0.01), (lon, lat + 0.01)])])

    category = Category.objects.create(code="01", name="市容环境", kind=CategoryKind.COMPONENT)
    manhole = EventType.objects.create(code="0101001", name="井盖缺失", category=category, department=cg,
                                       response_hours=2, resolution_hours=24, pinyin_full="jinggaiqueshi",
                                       pinyin_initials="jgqs")
    incident, _ = incident_report(reporter=users["citizen"], lon=NZ_POINT[0], lat=NZ_POINT[1], event_type=manhole,
                                  source=Source.CITIZEN, description="井盖 " + SCRIPT)

    hall = Hall.objects.create(code="H440604101", name="南庄镇行政服务中心", kind=HallKind.TOWN_CENTRE,
                               zone=zones[NANZHUANG], location=Point(*NZ_POINT, srid=4326),
                               opening_hours={d: [["00:00", "23:59"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
    counter = Counter.objects.create(hall=hall, number=1)
    ClerkAssignment.objects.create(user=users["counter_clerk"], hall=hall)
    item = Item.objects.create(code="shichang001", name="食品经营许可证核发", department=sc, category="licence",
                               applicant_kind="person", legal_limit_days=20, promised_limit_days=5, online=True)
    ItemDocument.objects.create(item=item, document_type=DocumentType.objects.create(code="id_card", name="身份证"))
    applicant = identity.identity_verify_at_counter(
        clerk=users["counter_clerk"], account=users["citizen"],
        id_number=resident_id_with_check("44060419900101001"), name="张三" + SCRIPT, phone=PHONE)
    ticket = approvals_queue.ticket_issue(hall=hall, item=item, applicant=applicant)
    case = approvals_cases.case_submit_online(user=users["citizen"], applicant=applicant, item=item,
                                        uploads={"id_card": SimpleUploadedFile("id.pdf", PDF, "application/pdf")},
                                        delivery_method="pickup", delivery_address="")

    school = School.objects.create(code="P1", name="祖庙第一小学" + SCRIPT, level="primary",
                                   location=Point(113.03, 23.005, srid=4326), zone=zones["44060400101001001"])
    SchoolGrade.objects.create(school=school, grade=1, classes=1, seats=40, enrolled=40, enrolled_hukou=20)
    plan = CatchmentPlan.objects.create(name="2026年招生范围", school_year=2026, status=PlanStatus.DRAFT)
    CatchmentMember.objects.create(plan=plan, school=school, zone=zones["44060400101001001"])

    vendor = ledger_vendors.vendor_register(actor=users["district_operator"], data={
        "name": "菜档" + SCRIPT, "licence_no": "L-1", "market": "南庄市场", "stall_no": "A1", "goods": "蔬菜",
        "lon": NZ_POINT[0], "lat": NZ_POINT[1]})
    person = ledger_corrections.supervision_create(actor=users["justice_officer"], data={
        "case_no": "SQ-1", "name": "王某某", "zone_codes": [NANZHUANG], "user_id": users["citizen"].pk})
    checkin = ledger_corrections.checkin_submit(actor=users["justice_officer"], person=person, lon=NZ_POINT[0], lat=NZ_POINT[1])
    notary = ledger_log.append_record("notary", records.notary_record("ab" * 32, "合同"))
    ledger_log.sign_head()
    return {
        "zones": zones, "users": users, "incident": incident, "event_type": manhole, "hall": hall,
        "counter": counter, "ticket": ticket, "case": case, "item": item, "applicant": applicant,
        "school": school, "plan": plan, "vendor": vendor, "person": person, "checkin": checkin,
        "notary_entry": notary, "departments": {"cg": cg, "shichang": sc},
    }
