"""Issue 12, the planner's page in Chromium: a draft made and published in the page, the move
mode visible with a count of picked grids, the what-if result brought into view, only schools of
the level on view in the serving list, and the legend reading as a ratio."""
import pytest
from django.urls import reverse

from gridops.accounts.models import Role
from gridops.education.models import CatchmentPlan, PlanStatus
from tests.browser_support import screenshot

from tests.builders import make_user

from .conftest import PUBLISH
from .test_page import _click_latlng

pytestmark = pytest.mark.django_db(transaction=True)


def open_planner(new_context, user):
    page = new_context(user=user, viewport={"width": 1280, "height": 720}).new_page()
    page.goto(reverse("education-planner"))
    page.wait_for_selector("body[data-loaded=catchments]")
    return page


def test_draft_made_and_published_in_the_page(edu, new_context):
    page = open_planner(new_context, make_user("head", Role.PLANNER, permissions=PUBLISH))
    assert "学位缺口率（缺口 / 学位数）" in page.inner_text(".legend")
    page.click("#plans summary")
    page.fill("#plan-new input[name=name]", "2026年招生范围（草案）")
    page.click("#plan-new button[type=submit]")
    page.wait_for_selector("#plan-message.ok")
    draft = CatchmentPlan.objects.get(name="2026年招生范围（草案）")
    assert draft.status == PlanStatus.DRAFT and draft.based_on_id == edu["plan"].pk
    assert page.input_value("#plan") == str(draft.pk)
    page.click("#plan-publish")  # asks first
    assert CatchmentPlan.objects.get(pk=draft.pk).status == PlanStatus.DRAFT
    page.click("#plan-publish")
    page.wait_for_function("document.getElementById('plan-message').textContent.includes('已发布')")
    assert CatchmentPlan.objects.get(pk=draft.pk).status == PlanStatus.PUBLISHED
    assert CatchmentPlan.objects.get(pk=edu["plan"].pk).status == PlanStatus.ARCHIVED
    screenshot(page, "education-plan-published")


def test_a_planner_without_the_permission_cannot_publish(edu, new_context):
    page = open_planner(new_context, make_user("junior", Role.PLANNER))
    page.click("#plans summary")
    page.fill("#plan-new input[name=name]", "草案")
    page.click("#plan-new button[type=submit]")
    page.wait_for_selector("#plan-message.ok")
    assert page.is_disabled("#plan-publish") and not page.is_disabled("#plan-save-whatif")


def test_move_mode_shows_and_counts_and_the_result_comes_into_view(edu, new_context):
    page = open_planner(new_context, make_user("mover", Role.PLANNER))
    assert not page.is_visible("#mode-banner")
    page.click("#whatif-box summary")
    page.click("#whatif-start")
    assert page.is_visible("#mode-banner") and page.get_attribute("#whatif-start", "aria-pressed") == "true"
    assert page.get_attribute("#map", "data-mode") == "pick-target"
    page.wait_for_selector("body[data-grids=loaded]")
    _click_latlng(page, 23.018, 113.038)   # P2's catchment
    _click_latlng(page, 23.002, 113.038)   # grid g2
    page.wait_for_function("document.getElementById('picked-count').textContent.includes('已选 1 个微网格')")
    screenshot(page, "education-move-mode")
    page.evaluate("document.querySelector('.edu-side').scrollTop = 0")
    page.click("#whatif-run")
    page.wait_for_selector("body[data-loaded=whatif]")
    page.wait_for_function("""(() => { const r = document.getElementById('whatif-result').getBoundingClientRect();
        return r.top >= 0 && r.top < window.innerHeight; })()""")
    screenshot(page, "education-whatif-in-view")
    page.click("#whatif-clear")
    assert not page.is_visible("#mode-banner") and page.get_attribute("#whatif-start", "aria-pressed") == "false"


def test_serving_list_shows_only_the_level_on_view(edu, new_context):
    page = open_planner(new_context, make_user("viewer", Role.PLANNER))
    page.wait_for_timeout(500)  # fitBounds has settled, so the click lands where it is meant to
    _click_latlng(page, 23.008, 113.022)   # grid g1, off P1's marker: served by P1 (primary) and J1 (junior)
    page.wait_for_selector("#school-info h4")
    listed = page.inner_text("#school-info ul")
    assert "祖庙第一小学" in listed and "初级中学" not in listed
