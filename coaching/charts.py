"""Geometry of the overview's inline SVG charts (the templates only draw what is here).

Everything is computed as attributes (no inline styles: the CSP forbids them).
"""

import math

DONUT_RADIUS = 15.91549430918954  # circumference 100: dash lengths are percentages


def donut(slices: list[dict]) -> list[dict]:
    """Add ``dasharray``/``dashoffset``/``percent`` to each slice with a count."""
    total = sum(s["count"] for s in slices)
    result, start = [], 0.0
    for s in slices:
        if not s["count"]:
            continue
        share = 100.0 * s["count"] / total
        result.append({
            **s,
            "percent": round(share),
            "dasharray": f"{share:.3f} {100 - share:.3f}",
            # Start at 12 o'clock and go clockwise.
            "dashoffset": f"{(25 - start) % 100:.3f}",
        })
        start += share
    return result


def bars(rows: list[dict], *, width: int = 220, bar_height: int = 22, gap: int = 8,
         label_width: int = 130) -> dict:
    """Horizontal bars scaled to the largest count, after a column of labels."""
    largest = max((r["count"] for r in rows), default=0) or 1
    drawn = []
    for index, row in enumerate(rows):
        length = max(2.0, width * row["count"] / largest) if row["count"] else 0.0
        drawn.append({**row, "y": index * (bar_height + gap), "length": f"{length:.1f}",
                      "text_x": f"{label_width + length + 6:.1f}"})
    return {"rows": drawn, "height": max(1, len(rows)) * (bar_height + gap),
            "width": label_width + width + 40, "bar_height": bar_height, "bar_x": label_width}


def trend(points: list[dict], *, width: int = 520, height: int = 140, pad: int = 24) -> dict:
    """A line over weekly counts with its axis ticks."""
    largest = max((p["count"] for p in points), default=0)
    top = max(1, math.ceil(largest / 5) * 5) if largest > 5 else max(1, largest)
    step = (width - 2 * pad) / max(1, len(points) - 1)
    coords = []
    for index, point in enumerate(points):
        x = pad + index * step
        y = height - pad - (height - 2 * pad) * point["count"] / top
        coords.append({**point, "x": f"{x:.1f}", "y": f"{y:.1f}"})
    return {
        "points": coords,
        "polyline": " ".join(f"{c['x']},{c['y']}" for c in coords),
        "width": width, "height": height, "pad": pad, "top": top,
        "baseline": height - pad, "top_y": pad, "right": width - pad,
    }
