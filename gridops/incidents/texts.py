"""System-written incident texts (routing reasons, history notes) in the reader's language.

The system writes these once, in Chinese, into the incident and its history (they are the record
and are shown as written in the Chinese UI). An English reader gets them through this table:
each text the code writes has one pattern here, and its English sentence. A note a person typed
matches none and is shown as typed (it is data).
"""
from __future__ import annotations

import re

from django.utils.translation import get_language, gettext_lazy as _

LEVELS = {"区": _("district"), "镇街": _("town"), "片区": _("area"), "村居": _("village"), "微网格": _("micro-grid")}

# (pattern of the stored Chinese text, the English sentence with the pattern's groups)
PATTERNS: list[tuple[re.Pattern, object]] = [(re.compile(p), t) for p, t in [
    (r"事件类型“(?P<type>.+?)”的默认责任部门为(?P<dept>.+)",
     _("The default department of the event type “{type}” is {dept}")),
    (r"(?P<level>区|镇街|片区|村居|微网格)“(?P<zone>.+?)”\((?P<code>\d+)\)的事件类型“(?P<type>.+?)”规则指定(?P<dept>.+)",
     _("The rule for the event type “{type}” in the {level} “{zone}” ({code}) names {dept}")),
    (r"(?P<level>区|镇街|片区|村居|微网格)“(?P<zone>.+?)”\((?P<code>\d+)\)的所属大类规则指定(?P<dept>.+)",
     _("The category's rule in the {level} “{zone}” ({code}) names {dept}")),
    (r"历史数据：按事件类型默认派遣至(?P<dept>.+)", _("Historical data: dispatched to the type's default department, {dept}")),
    (r"紧急事件：区指挥中心同步接报，由值班人员确认派遣",
     _("Emergency: the district centre is told at once and the duty officer confirms the dispatch")),
    (r"定位精度 (?P<m>\d+) 米，超过自动派遣上限，需人工核实位置",
     _("Position accurate to {m} m, beyond the limit for automatic dispatch: a person checks the place")),
    (r"所在镇街未配置指挥分中心", _("The town has no command sub-centre")),
    (r"疑似重复上报，等待指挥中心合并或立案", _("Suspected duplicate: waiting for the command centre to merge or register it")),
    (r"网格员上报，自动立案", _("Reported by a grid worker: registered automatically")),
    (r"路由明确，自动派遣至(?P<dept>.+)", _("Routing is clear: dispatched automatically to {dept}")),
    (r"合并至 #(?P<id>\d+)(?P<rest>.*)", _("Merged into #{id}{rest}")),
    (r"合并重复上报 #(?P<id>\d+)(?P<rest>.*)", _("Merged the duplicate report #{id}{rest}")),
    (r"超时未响应，升级至区指挥中心", _("No response in time: escalated to the district centre")),
    (r"超期未办结，区指挥中心督办", _("Not resolved in time: supervised by the district centre")),
    (r"超时升级", _("Escalated: overdue")),
    (r"历史数据导入", _("Imported from historical data")),
    (r"非本部门职责，退回重新派遣", _("Not this department's duty: returned for dispatch elsewhere")),
    (r"已处置完毕", _("Dealt with")),
    (r"核查属实", _("Checked: done as reported")),
    (r"无效上报，作废", _("Not a valid report: void")),
]]
SYSTEM = "系统"
SYSTEM_LABEL = _("System")


def _one(part: str) -> str:
    for pattern, template in PATTERNS:
        match = pattern.fullmatch(part)
        if match:
            values = match.groupdict()
            if "level" in values:
                values["level"] = str(LEVELS[values["level"]])
            return str(template).format(**values)
    return part


def localized(text: str) -> str:
    """A system-written text in the active language (Chinese: as stored). Reasons joined with
    "；" (routing reason；why it waits) are translated part by part."""
    if not text or (get_language() or "zh-hans").lower().startswith("zh"):
        return text
    return "; ".join(_one(part) for part in text.split("；"))


def actor_label(name: str) -> str:
    return str(SYSTEM_LABEL) if name == SYSTEM else name
