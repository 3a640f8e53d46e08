"""Web workers start without the scientific stack (issue 22): numpy, scipy, scikit-learn
and krippendorff are imported where the recommender, the learned scorers and the
statistics panels first use them, not when ``config.wsgi`` is imported."""

import os
import subprocess
import sys
from pathlib import Path

import scipy.stats

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("numpy", "scipy", "sklearn", "krippendorff")


def _run(code: str) -> str:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True, timeout=120)
    return done.stdout.strip()


def test_wsgi_import_loads_no_scientific_module():
    out = _run("import config.wsgi, sys; "
               f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    assert out == "[]"


def test_url_conf_loads_no_scientific_module():
    # The first request imports every view module through the URLconf.
    out = _run("import config.wsgi, sys; from django.urls import get_resolver; "
               "get_resolver().url_patterns; "
               f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    assert out == "[]"


def test_recommender_loads_the_stack_on_first_use():
    out = _run(
        "import config.wsgi, sys; from skills.recommender import TextIndex; "
        "before = 'sklearn' in sys.modules; "
        "index = TextIndex.fit(texts=['printer jam', 'vpn down'], item_ids=[1, 2], "
        "skills=[{7}, {8}]); "
        "found = index.neighbours(['printer jam again'], k=1, min_similarity=0.1); "
        "print(before, 'sklearn' in sys.modules, found[0][0][0])"
    )
    assert out == "False True 1"


def test_normal_quantile_constant_is_scipys():
    from quality.stats import CONFIDENCE, Z

    assert float(scipy.stats.norm.ppf(1 - (1 - CONFIDENCE) / 2)) == Z
