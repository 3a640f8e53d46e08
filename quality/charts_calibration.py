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
PALETTE = ["#1d4e89", "#2a9d8f", "#8e44ad", "#c0392b", "#6c757d", "#b08900", "#17a2b8",
           "#d63384"]  # the automatic scorer's orange is kept for it


def _axis_min(values: list[float]) -> float:
    """0, or lower in steps of 0.2 when some α or interval end is negative (down to −1)."""
    low = min(values, default=0.0)
    if low >= 0:
        return 0.0
    return max(-1.0, math.floor(low * 5) / 5)


def alpha_chart(rows: list, *, width: int = 420, row_height: int = 26,
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


def drift_chart(sessions: list, series: list, *, low: float, high: float,
                lines: list[tuple[float, str, str]] = (), width: int = 760,
                height: int = 240, pad: int = 34, step: float = 0.2,
                fmt: str = "{:.1f}") -> dict:
    """Lines across ``sessions`` (x: the session's order of finishing) of ``series``
    (objects with ``label`` and ``points`` aligned to ``sessions``, a point's ``value``
    ``None`` when not measured), on a y axis ``[low, high]`` with whiskers where a point has
    ``low``/``high``, and horizontal reference ``lines`` (value, label, colour)."""
    span = (high - low) or 1.0
    left = pad + 10
    inner = width - left - pad
    x_step = inner / max(1, len(sessions) - 1)

    def x(i: int) -> float:
        return left + (i * x_step if len(sessions) > 1 else inner / 2)

    def y(value: float) -> str:
        share = (min(high, max(low, value)) - low) / span
        return f"{height - pad - (height - 2 * pad) * share:.1f}"

    drawn = []
    for number, item in enumerate(series):
        colour = AUTO if getattr(item, "is_auto", False) else PALETTE[number % len(PALETTE)]
        points = []
        for i, point in enumerate(item.points):
            if point.value is None:
                continue
            entry = {"x": f"{x(i):.1f}", "y": y(point.value), "point": point}
            if point.low is not None and point.high is not None:
                entry["y_low"], entry["y_high"] = y(point.low), y(point.high)
            points.append(entry)
        drawn.append({"series": item, "colour": colour, "points": points,
                      "dashed": getattr(item, "is_total", False),
                      "polyline": " ".join(f"{p['x']},{p['y']}" for p in points)})
    ticks = []
    value = low
    while value <= high + 1e-9:
        ticks.append({"y": y(value), "text_y": f"{float(y(value)) + 3:.1f}",
                      "label": fmt.format(value).replace("-0.0", "0.0")})
        value = round(value + step, 10)
    return {
        "series": drawn, "width": width, "height": height, "left": left,
        "right": width - pad, "top": pad, "baseline": height - pad, "ticks": ticks,
        "labels": [{"x": f"{x(i):.1f}", "session": s, "number": i + 1}
                   for i, s in enumerate(sessions)],
        "lines": [{"y": y(v), "text_y": f"{float(y(v)) - 3:.1f}", "label": label,
                   "colour": colour} for v, label, colour in lines if low <= v <= high],
        "text_x": left - 6, "label_y": height - 8,
    }


def alpha_drift_chart(sessions: list, series: list) -> dict:
    """α per attribute across sessions, lines at 0.667 and 0.8."""
    ends = [v for s in series for p in s.points for v in (p.value, p.low, p.high)
            if v is not None]
    return drift_chart(sessions, series, low=_axis_min(ends), high=1.0, lines=[
        (ALPHA_TENTATIVE, f"{ALPHA_TENTATIVE}", RED),
        (ALPHA_RELIABLE, f"{ALPHA_RELIABLE} target", "#198754")])


def deviation_drift_chart(sessions: list, series: list, *, threshold: float) -> dict:
    """Each evaluator's deviation from the final answers (points of 100) across sessions,
    a line at the alert threshold."""
    top = max([threshold, *(p.value for s in series for p in s.points
                            if p.value is not None)])
    high = min(100.0, max(10.0, math.ceil(top / 10) * 10))
    step = 5.0 if high <= 30 else (10.0 if high <= 60 else 20.0)
    return drift_chart(sessions, series, low=0.0, high=high, step=step, fmt="{:.0f}",
                       lines=[(threshold, f"alert {threshold:g}", RED)])
