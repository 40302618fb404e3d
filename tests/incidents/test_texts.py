"""Issue 12: routing reasons and history notes the system writes read in English on English pages."""
import re

import pytest
from django.utils import translation

from gridops.incidents import rules, sla, texts

CJK = re.compile(r"[\u4e00-\u9fff]")


def candidate(by_type: bool, level: int = 4):
    return rules.RuleCandidate(rule_id=1, zone_level=level, zone_code="44060410101001001", zone_name="Grid 1",
                               by_event_type=by_type, department_id=1, department_name="City management")


SYSTEM_TEXTS = [
    rules.default_reason("Manhole cover missing", "Water bureau"),
    rules.rule_reason(candidate(True), "Manhole cover missing"),
    rules.rule_reason(candidate(False, level=1), "Manhole cover missing"),
    rules.default_reason("A", "B") + "；" + "疑似重复上报，等待指挥中心合并或立案",
    "紧急事件：区指挥中心同步接报，由值班人员确认派遣", "定位精度 250 米，超过自动派遣上限，需人工核实位置",
    "所在镇街未配置指挥分中心", "网格员上报，自动立案", "路由明确，自动派遣至Water bureau",
    "合并至 #12 same place", "合并重复上报 #13", *[label for label in sla.ESCALATION_LABELS.values() if label],
    "历史数据：按事件类型默认派遣至Water bureau", "超时升级", "历史数据导入", "非本部门职责，退回重新派遣",
    "已处置完毕", "核查属实", "无效上报，作废",
]


@pytest.mark.parametrize("text", SYSTEM_TEXTS)
def test_every_system_text_has_an_english_sentence(text):
    with translation.override("en"):
        english = texts.localized(text)
    assert not CJK.search(english), english
    with translation.override("zh-hans"):
        assert texts.localized(text) == text  # the record, as written


def test_typed_notes_are_data_and_stay_as_typed():
    with translation.override("en"):
        assert texts.localized("井盖已更换") == "井盖已更换"
        assert texts.actor_label(texts.SYSTEM) == "System"
    with translation.override("zh-hans"):
        assert texts.actor_label(texts.SYSTEM) == "系统"
