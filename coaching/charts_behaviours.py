"""Geometry of behaviour coaching's inline SVG charts: a behaviour's weekly sparkline and
the bar with whiskers of a score's 95 % interval (the templates only draw what is here;
attributes only, the CSP forbids inline styles)."""

WIDTH, HEIGHT, PAD = 120, 28, 3


def sparkline(weeks: list[dict], *, width: int = WIDTH, height: int = HEIGHT) -> dict:
    """A line over the weeks that have a value (0–100 on a fixed scale, so sparklines
    compare), a dot on the last one; ``points`` empty when no week has a value."""
    step = (width - 2 * PAD) / max(1, len(weeks) - 1)
    coords = []
    for index, week in enumerate(weeks):
        if week["value"] is None:
            continue
        x = PAD + index * step
        y = height - PAD - (height - 2 * PAD) * week["value"] / 100
        coords.append({"x": f"{x:.1f}", "y": f"{y:.1f}", **week})
    return {
        "width": width, "height": height, "points": coords,
        "polyline": " ".join(f"{c['x']},{c['y']}" for c in coords),
        "last": coords[-1] if coords else None,
        "mid_y": f"{height / 2:.1f}",
    }


def interval_bar(estimate, *, width: int = 160, height: int = 14) -> dict | None:
    """A bar to the value and a whisker across the interval, on 0–100."""
    if estimate is None or estimate.value is None:
        return None
    scale = width / 100
    bar = {"width": width, "height": height, "length": f"{estimate.value * scale:.1f}",
           "mid": f"{height / 2:.1f}"}
    if estimate.has_interval:
        bar.update(low=f"{estimate.low * scale:.1f}", high=f"{estimate.high * scale:.1f}")
    return bar
