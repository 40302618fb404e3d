"""Event-type search: Chinese words, full pinyin, pinyin initials; ranked."""
import pytest

from gridops.incidents.selectors import event_types_search

from .factories import EventTypeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def types(world):
    EventTypeFactory(code="0101010", name="井盖破损", keywords="窨井")
    EventTypeFactory(code="0101011", name="雨水井盖移位")
    EventTypeFactory(code="0101012", name="交通护栏损坏", keywords="井盖旁")
    EventTypeFactory(code="0101013", name="违规广告", active=False)


@pytest.mark.parametrize("q, first, names", [
    ("jg", "井盖缺失", {"井盖缺失", "井盖破损", "雨水井盖移位"}),
    ("井盖", "井盖缺失", {"井盖缺失", "井盖破损", "雨水井盖移位", "交通护栏损坏"}),
    ("jinggai", "井盖缺失", {"井盖缺失", "井盖破损", "雨水井盖移位"}),
    ("JGPS", "井盖破损", {"井盖破损"}),
    ("窨井", "井盖缺失", {"井盖缺失", "井盖破损"}),
    ("违规", None, set()),
    ("zzzz", None, set()),
])
def test_search(types, q, first, names):
    found = [t.name for t in event_types_search(q)]
    assert set(found) == names
    if first:
        assert found[0] == first


def test_exact_name_ranks_first_and_limit(types):
    assert [t.name for t in event_types_search("井盖破损")][0] == "井盖破损"
    assert len(event_types_search("jg", limit=1)) == 1
    assert len(event_types_search("")) == 6


def test_the_common_reading_of_initials_ranks_first(world):
    """"jg" is a prefix of 景观灯 but 井盖 is what most names mean by it."""
    EventTypeFactory(code="0201001", name="景观灯不亮")
    for n, prefix in enumerate(["上水", "污水", "雨水", "电力"]):
        EventTypeFactory(code=f"03{n:05d}", name=f"{prefix}井盖破损")
    names = [t.name for t in event_types_search("jg", limit=3)]
    assert names[0] == "井盖缺失" and all("井盖" in n for n in names)
    assert "景观灯不亮" in [t.name for t in event_types_search("jg")]
    assert [t.name for t in event_types_search("jgd")] == ["景观灯不亮"]


def test_codes_and_category_filter(types):
    assert [t.code for t in event_types_search("010101")] == ["0101010", "0101011", "0101012"]
    assert event_types_search("jg", category="nope") == []


def test_words_in_order_with_others_between(types):
    """Issue 12: "垃圾满溢" found nothing although 其他垃圾桶满溢 is in the catalogue."""
    EventTypeFactory(code="0302018", name="其他垃圾桶满溢")
    EventTypeFactory(code="0302019", name="垃圾满溢")
    assert [t.name for t in event_types_search("垃圾满溢")] == ["垃圾满溢", "其他垃圾桶满溢"]
    assert event_types_search("满溢垃圾") == []


def test_english_words_find_chinese_types(types):
    """Issue 12: "manhole" found nothing; the glossary gives names English words, after pinyin."""
    found = [t.name for t in event_types_search("manhole")]
    assert set(found) == {"井盖缺失", "井盖破损", "雨水井盖移位"}
    assert [t.name for t in event_types_search("Manhole Cover")][0] == found[0]
    assert event_types_search("ma") == [] or all("井盖" not in t.name for t in event_types_search("ma"))
