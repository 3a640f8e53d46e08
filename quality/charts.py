"""Geometry of the quality dashboards' inline SVG charts (templates only draw what is here).

Values are on a 0–100 scale; every bar and point carries its 95 % interval as a whisker.
Everything is an attribute (no inline styles: the CSP forbids them).
"""


COLOURS = {"auto": "#1d4e89", "audit": "#e07b00"}


def _x(value: float, *, left: float, width: float) -> str:
    return f"{left + width * max(0.0, min(100.0, value)) / 100:.1f}"


def attribute_bars(cells: list, *, width: int = 300, bar_height: int = 18, gap: int = 10,
                   label_width: int = 150) -> dict:
    """Horizontal bars 0–100 per attribute with interval whiskers, from
    ``[(AttributeState, Estimate, source)]``. An attribute with nothing to show gets an
    empty track; an unverified one is marked for greying."""
    rows = []
    for index, (attribute, estimate, source) in enumerate(cells):
        y = index * (bar_height + gap)
        # Drawn inside a group translated by ``y``: the whisker's height is the bar's own.
        row = {"name": attribute.name, "y": y, "mid": f"{bar_height / 2:.1f}",
               "estimate": estimate, "source": source,
               "unverified": attribute.automatic and not attribute.verified,
               "length": "0", "whisker": None}
        if estimate.has_value:
            row["length"] = f"{width * max(0.0, min(100.0, estimate.value)) / 100:.1f}"
            row["text_x"] = f"{label_width + width + 6:.1f}"
            if estimate.has_interval:
                row["whisker"] = {"x1": _x(estimate.low, left=label_width, width=width),
                                  "x2": _x(estimate.high, left=label_width, width=width)}
        rows.append(row)
    return {"rows": rows, "height": max(1, len(rows)) * (bar_height + gap),
            "width": label_width + width + 90, "bar_x": label_width, "bar_width": width,
            "bar_height": bar_height}


def score_trend(weeks: list[dict], *, width: int = 560, height: int = 170, pad: int = 28) -> dict:
    """Weekly lines of the automatic and the audit score (0–100) with whiskers; a week
    without a value breaks nothing (its point is left out)."""
    step = (width - 2 * pad) / max(1, len(weeks) - 1)

    def y(value: float) -> str:
        return f"{height - pad - (height - 2 * pad) * max(0.0, min(100.0, value)) / 100:.1f}"

    series = {}
    for name in ("auto", "audit"):
        points = []
        for index, week in enumerate(weeks):
            estimate = week[name]
            if not estimate.has_value:
                continue
            point = {"week": week["week"], "x": f"{pad + index * step:.1f}",
                     "y": y(estimate.value), "estimate": estimate}
            if estimate.has_interval:
                point["y_low"], point["y_high"] = y(estimate.low), y(estimate.high)
            points.append(point)
        series[name] = {"name": name, "colour": COLOURS[name], "points": points,
                        "polyline": " ".join(f"{p['x']},{p['y']}" for p in points)}
    labels = [{"week": w["week"], "x": f"{pad + i * step:.1f}"} for i, w in enumerate(weeks)]
    return {"series": [series["auto"], series["audit"]], "labels": labels,
            "width": width, "height": height, "pad": pad, "baseline": height - pad,
            "top_y": pad, "mid_y": y(50), "right": width - pad}
