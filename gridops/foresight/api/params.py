"""The query parameters of the foresight API, validated once for every endpoint."""
from __future__ import annotations

from datetime import date

from django import forms

from gridops.core.errors import NotFound
from gridops.core.filtersets import cleaned_form
from gridops.incidents.models import Category

from .. import conf


class AnalysisForm(forms.Form):
    category = forms.CharField(required=False, max_length=16,
                               help_text="A category code; empty: all categories together")
    weeks = forms.IntegerField(required=False, min_value=2, max_value=104,
                               help_text="Complete weeks analysed (default GRIDOPS_FORESIGHT_WINDOW_WEEKS)")
    until = forms.DateField(required=False, input_formats=["%Y-%m-%d"],
                            help_text="The analysis ends with the week before the one holding this date "
                                      "(default today, Asia/Shanghai); that week is the one forecast")


def analysis_params(query) -> dict:
    """{category_id, weeks, until} from a query string; 400 naming a bad field, 404 for an
    unknown category code."""
    cleaned = cleaned_form(AnalysisForm(data=query.dict() if hasattr(query, "dict") else dict(query)))
    category_id = None
    if cleaned.get("category"):
        category_id = Category.objects.filter(code=cleaned["category"]).values_list("pk", flat=True).first()
        if category_id is None:
            raise NotFound(f"category {cleaned['category']!r} not found", field="category")
    until: date | None = cleaned.get("until")
    return {"category_id": category_id, "weeks": cleaned.get("weeks") or conf.window_weeks(), "until": until}
