"""Geometry of a plan page's chart (the template only draws it): the agent's weekly score
for the behaviour on a 0–100 axis, the plan period as a shaded band and the target as a
dashed line. Weeks without a score leave a gap. Attributes only (the CSP forbids inline
styles)."""


def behaviour_chart(weeks: list, *, target: int, today=None, width: int = 640,
                    height: int = 220, pad: int = 34) -> dict | None:
    """``None`` when there are no weeks to draw. ``today`` (a date) is marked in its week."""
    if not weeks:
        return None
    inner_w, inner_h = width - 2 * pad, height - 2 * pad
    step = inner_w / max(1, len(weeks))

    def y(value: float) -> float:
        return height - pad - inner_h * value / 100

    points, segments, current = [], [], []
    for index, week in enumerate(weeks):
        x = pad + step * (index + 0.5)
        point = {"week": week, "x": f"{x:.1f}",
                 "y": f"{y(week.value):.1f}" if week.value is not None else None,
                 "label_x": f"{x:.1f}"}
        points.append(point)
        if week.value is None:
            if current:
                segments.append(current)
            current = []
        else:
            current.append(f"{x:.1f},{y(week.value):.1f}")
    if current:
        segments.append(current)
    inside = [index for index, week in enumerate(weeks) if week.in_plan]
    band = None
    if inside:
        band = {"x": f"{pad + step * inside[0]:.1f}",
                "width": f"{step * (inside[-1] - inside[0] + 1):.1f}"}
    today_x = next((f"{pad + step * (index + 0.5):.1f}" for index, week in enumerate(weeks)
                    if today is not None and week.start <= today <= week.end), None)
    return {
        "today_x": today_x,
        "width": width, "height": height, "pad": pad, "right": width - pad,
        "baseline": f"{y(0):.1f}", "top_y": f"{y(100):.1f}", "mid_y": f"{y(50):.1f}",
        "target_y": f"{y(target):.1f}", "target": target, "band": band,
        "band_y": f"{y(100):.1f}", "band_h": f"{inner_h:.1f}",
        "points": points, "lines": [" ".join(s) for s in segments],
        "label_y": height - pad + 16, "every": max(1, len(weeks) // 8),
    }
