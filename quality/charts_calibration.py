"""Geometry of the calibration charts (inline SVG drawn by the templates; no inline styles:
the CSP forbids them).

- :func:`alpha_chart`: Krippendorff's α per attribute as a point with its bootstrap 95 %
  interval as a whisker, on an axis running to 1, with vertical lines at 0.667 (below:
  unreliable) and 0.8 (reliable); flagged attributes are drawn red.
- :func:`drift_chart`: one line per series (an evaluator's deviation, an attribute's α)
  across finished sessions, with the reference lines of the measure.
"""

import math

from .enums import ALPHA_RELIABLE, ALPHA_TENTATIVE

RED = "#c0392b"
BLUE = "#1d4e89"
GREY = "#adb5bd"
AUTO = "#e07b00"
# Enough distinct colours for the drift lines; they repeat beyond that (the table has all).
PALETTE = ["#1d4e89", "#e07b00", "#2a9d8f", "#8e44ad", "#c0392b", "#6c757d", "#b08900",
           "#17a2b8"]


def _axis_min(values: list[float]) -> float:
    """0, or lower in steps of 0.2 when some α or interval end is negative (down to −1)."""
    low = min(values, default=0.0)
    if low >= 0:
        return 0.0
    return max(-1.0, math.floor(low * 5) / 5)


def alpha_chart(rows: list, *, width: int = 320, row_height: int = 24,
                label_width: int = 150) -> dict:
    """Rows of α (objects with ``name``, ``alpha``, ``low``, ``high``, ``flagged``,
    ``is_total``) placed on a shared axis ``[axis_min, 1]``."""
    top = 18  # room for the reference lines' labels
    ends = [v for r in rows for v in (r.alpha, r.low, r.high) if v is not None]
    axis_min = _axis_min(ends)

    def x(value: float) -> str:
        share = (min(1.0, max(axis_min, value)) - axis_min) / (1.0 - axis_min)
        return f"{label_width + width * share:.1f}"

    points = []
    for index, row in enumerate(rows):
        point = {"row": row, "y": top + index * row_height,
                 "colour": RED if row.flagged else (GREY if row.alpha is None else BLUE),
                 "x": None, "whisker": None}
        if row.alpha is not None:
            point["x"] = x(row.alpha)
        if row.low is not None and row.high is not None:
            point["whisker"] = {"x1": x(row.low), "x2": x(row.high)}
        points.append(point)
    bottom = top + max(1, len(rows)) * row_height
    ticks = []
    step = 0.2
    value = axis_min
    while value <= 1.0 + 1e-9:
        ticks.append({"x": x(value), "label": f"{value:.1f}".replace("-0.0", "0.0")})
        value = round(value + step, 10)
    return {
        "rows": points, "top": top, "bottom": bottom, "height": bottom + 18,
        "width": label_width + width + 70, "left": label_width, "right": label_width + width,
        "row_height": row_height, "mid": row_height / 2, "cap_top": row_height / 2 - 5,
        "cap_bottom": row_height / 2 + 5, "text_x": f"{label_width + width + 8:.1f}",
        "tentative_x": x(ALPHA_TENTATIVE), "reliable_x": x(ALPHA_RELIABLE),
        "zero_x": x(0.0) if axis_min < 0 else None, "ticks": ticks, "axis_min": axis_min,
    }
