"""Text reports of foresight for the command line (the closing note's backtest table)."""
from __future__ import annotations

from datetime import date

from gridops.incidents.models import Category

from . import analysis, services
from .selectors import grid_frame


def backtest_table(*, until: date | None = None) -> str:
    """One Markdown row per category (and all together): backtest errors and the method kept."""
    grids = grid_frame()
    rows = ["| category | origins | n | model RMSE | naive RMSE | model MAE | naive MAE | method |",
            "|---|---|---|---|---|---|---|---|"]
    for category_id, label in [(None, "all")] + list(Category.objects.order_by("code").values_list("pk", "name")):
        made = analysis.next_week(category_id=category_id, until=until, grids=grids)
        test = made["backtest"]
        if test is None:
            rows.append(f"| {label} | – | – | – | – | – | – | {made['method']} (too little history) |")
            continue
        rows.append(f"| {label} | {test['origins']} | {test['observations']} | {test['model_rmse']:.3f} | "
                    f"{test['naive_rmse']:.3f} | {test['model_mae']:.3f} | {test['naive_mae']:.3f} | {made['method']} |")
    return "\n".join(rows)


def warn(*, until: date | None = None) -> str:
    raised = services.raise_warnings(until=until)
    return f"{len(raised)} new warning(s)" + "".join(f"\n- {w.grid_id}: {w.reason}" for w in raised)
