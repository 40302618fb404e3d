"""The rules that used to live in several copies (issue 15), each checked where it now lives once."""
import math

import pytest

from gridops.core.errors import InvalidInput
from gridops.core.loaders import LoaderReport, Problem
from gridops.core.numbers import parse_lon_lat, parse_number
from gridops.core.resident_id import resident_id_valid, resident_id_with_check

VALID = resident_id_with_check("44060419900101123")


@pytest.mark.parametrize("number, valid", [
    (VALID, True),
    (f"  {VALID.lower()} ", True),                       # spaces and a lower-case x are forgiven
    (VALID[:-1] + ("0" if VALID[-1] != "0" else "1"), False),
    ("4406041990010112²" + VALID[-1], False),            # isdigit() is true for '²' (int() then raised: a 500)
    ("４４０６０４１９９００１０１１２３" + VALID[-1], False),  # full-width digits matched \d
    ("٤٤٠٦٠٤١٩٩٠٠١٠١١٢٣" + VALID[-1], False),            # Arabic-Indic digits matched \d and int()
    ("", False), (None, False), ("12345", False),
])
def test_resident_id_is_ascii_digits_with_the_mod_11_2_check(number, valid):
    assert resident_id_valid(number) is valid


@pytest.mark.parametrize("value, kwargs, expected", [
    ("1.5", {}, 1.5), (2, {"whole": True}, 2), ("3.0", {"whole": True}, 3), (None, {"default": 7}, 7),
    ("", {"default": None}, None), ("0", {"low": 0, "high": 1}, 0.0),
])
def test_numbers_in_range(value, kwargs, expected):
    assert parse_number(value, "n", **kwargs) == expected


@pytest.mark.parametrize("value, kwargs, code", [
    (None, {}, "required"), (True, {}, "invalid"), ("nan", {}, "invalid"), ("inf", {}, "invalid"),
    ("1e400", {}, "invalid"), ("x", {}, "invalid"), ("3.5", {"whole": True}, "invalid"),
    ("-1", {"low": 0}, "out_of_range"), ("11", {"high": 10}, "out_of_range"),
])
def test_bad_numbers_are_a_400_naming_the_field(value, kwargs, code):
    with pytest.raises(InvalidInput) as refused:
        parse_number(value, "n", **kwargs)
    assert refused.value.field == "n" and refused.value.code == code


def test_lon_lat_name_the_field_and_say_when_they_look_swapped():
    assert parse_lon_lat("113.1", 23) == (113.1, 23.0)
    with pytest.raises(InvalidInput) as swapped:
        parse_lon_lat(23.0, 113.1, prefix="points[0].")
    assert swapped.value.field == "points[0].lat" and "swapped" in swapped.value.message
    with pytest.raises(InvalidInput) as missing:
        parse_lon_lat(113.1, None)
    assert missing.value.field == "lat" and not math.isnan(parse_lon_lat(0, 0)[0])


def test_a_loader_report_refuses_on_errors_not_on_repairs():
    report = LoaderReport(counts={"created": 2})
    report.problems.append(Problem.at_feature("#3 44060410101", "invalid geometry repaired", "repaired"))
    assert report.ok and report.state == "dry run" and report.summary("zones") == "zones dry run; created 2; 1 problem(s)"
    report.problems.append(Problem.at_row("items.csv", 4, "zone_code", "unknown zone"))
    assert not report.ok and report.state == "refused" and [str(p) for p in report.errors] == [
        "items.csv:4 [zone_code] unknown zone"]
