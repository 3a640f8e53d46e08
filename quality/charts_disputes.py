"""Geometry of the dispute analytics' overturn-rate bars (inline SVG drawn by the
template; no inline styles: the CSP forbids them). Rates are shares 0–1; every bar carries
its 95 % Wilson interval as a whisker, and a dashed line marks the flag threshold."""

from .selectors_disputes import FLAG_LOWER_BOUND, OverturnRow

CHART_ROWS = 12


def _x(share: float, *, left: float, width: float) -> str:
    return f"{left + width * max(0.0, min(1.0, share)):.1f}"


def overturn_bars(rows: list[OverturnRow], *, width: int = 300, bar_height: int = 18,
                  gap: int = 10, label_width: int = 150, limit: int = CHART_ROWS) -> dict:
    """Horizontal bars of the first ``limit`` rows (the page orders them worst first)."""
    top = 16  # room for the flag's label above the bars
    bars = []
    for index, row in enumerate(rows[:limit]):
        y = top + index * (bar_height + gap)
        share = row.share
        bars.append({
            "row": row, "y": y, "mid": f"{bar_height / 2:.1f}",  # inside the row's translated group
            "length": f"{width * (share.rate or 0.0):.1f}",
            "whisker": {"x1": _x(share.low, left=label_width, width=width),
                        "x2": _x(share.high, left=label_width, width=width)},
            "text_x": f"{label_width + width + 6:.1f}",
            "colour": ("#c0392b" if row.flagged else "#1d4e89") if share.enough else "#ced4da",
        })
    height = top + max(1, len(bars)) * (bar_height + gap)
    return {"rows": bars, "height": height + 14, "axis_y": height, "top": top,
            "width": label_width + width + 90, "bar_x": label_width, "bar_width": width,
            "bar_height": bar_height, "bar_end": label_width + width,
            "threshold_x": _x(FLAG_LOWER_BOUND, left=label_width, width=width),
            "threshold": f"{100 * FLAG_LOWER_BOUND:.0f}%", "shown": len(bars),
            "total": len(rows)}
