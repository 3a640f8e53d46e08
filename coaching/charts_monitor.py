"""Geometry of the coaching monitor's before/after chart (the template only draws it):
the coached agent and the comparison group at the two periods, and the dashed line the
coached agent would have followed with the comparison group's change — the gap at
"after" is the estimated effect. Attributes only (the CSP forbids inline styles)."""

COLOURS = {"coached": "#1d4e89", "comparison": "#e07b00", "expected": "#6c757d"}


def before_after(effect, *, width: int = 360, height: int = 200, pad: int = 32) -> dict | None:
    """``None`` when either group has no level before and after."""
    values = (effect.coached_before, effect.coached_after, effect.comparison_before,
              effect.comparison_after)
    if any(v is None for v in values):
        return None
    expected = effect.coached_before + effect.comparison_change
    low = max(0.0, min(*values, expected) - 5)
    high = min(100.0, max(*values, expected) + 5)
    span = (high - low) or 1.0

    def y(value: float) -> str:
        return f"{height - pad - (height - 2 * pad) * (value - low) / span:.1f}"

    x0, x1 = pad + 40, width - pad - 40
    lines = [
        {"name": "Coached", "colour": COLOURS["coached"], "dash": "",
         "y0": y(effect.coached_before), "y1": y(effect.coached_after),
         "before": effect.coached_before, "after": effect.coached_after},
        {"name": "Comparison group", "colour": COLOURS["comparison"], "dash": "",
         "y0": y(effect.comparison_before), "y1": y(effect.comparison_after),
         "before": effect.comparison_before, "after": effect.comparison_after},
        {"name": "Coached, had it moved like the comparison group",
         "colour": COLOURS["expected"], "dash": "4 4",
         "y0": y(effect.coached_before), "y1": y(expected),
         "before": effect.coached_before, "after": expected},
    ]
    return {"lines": lines, "width": width, "height": height, "x0": x0, "x1": x1,
            "baseline": height - pad, "top_y": pad, "low": round(low), "high": round(high),
            "label_y": height - pad + 18}
