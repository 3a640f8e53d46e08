"""The intervals every dashboard number carries, against values worked out by hand."""

import math

import pytest

from quality.stats import mean_interval, scaled, weighted_mean_interval, wilson_interval

T_3 = 3.1824463052837078  # Student's t, 97.5 % quantile, 3 degrees of freedom
T_1 = 12.706204736174694  # … 1 degree of freedom
Z = 1.959963984540054


def test_mean_interval_of_one_two_three_four():
    # mean 2.5; sample variance (30 − 10²/4) / 3 = 5/3; se = √(5/3 / 4)
    mean, low, high = mean_interval(4, 10, 30)
    half = T_3 * math.sqrt(5 / 3 / 4)
    assert mean == pytest.approx(2.5, abs=1e-6)
    assert low == pytest.approx(2.5 - half, abs=1e-6)
    assert high == pytest.approx(2.5 + half, abs=1e-6)
    assert (low, high) == pytest.approx((0.445739743, 4.554260257), abs=1e-6)


def test_mean_interval_needs_two_values_for_an_interval_and_one_for_a_mean():
    assert mean_interval(1, 80, 6400) == (80, None, None)
    assert mean_interval(0, 0, 0) == (None, None, None)


def test_equal_values_have_a_zero_width_interval_despite_rounding():
    mean, low, high = mean_interval(3, 0.3, 0.030000000000000006)
    assert (mean, low, high) == pytest.approx((0.1, 0.1, 0.1), abs=1e-9)


def test_wilson_interval_of_eight_out_of_ten():
    share, low, high = wilson_interval(8, 10)
    centre = (0.8 + Z * Z / 20) / (1 + Z * Z / 10)
    half = Z * math.sqrt(0.8 * 0.2 / 10 + Z * Z / 400) / (1 + Z * Z / 10)
    assert share == 0.8
    assert low == pytest.approx(centre - half, abs=1e-6)
    assert high == pytest.approx(centre + half, abs=1e-6)
    assert (low, high) == pytest.approx((0.490162472, 0.943317849), abs=1e-6)


def test_wilson_interval_at_zero_stays_inside_zero_to_one():
    share, low, high = wilson_interval(0, 5)
    assert (share, low) == (0.0, 0.0)
    assert high == pytest.approx(Z * Z / 5 / (1 + Z * Z / 5), abs=1e-6)  # 0.434482465
    assert wilson_interval(0, 0) == (None, None, None)


def test_weighted_mean_interval_combines_attribute_means():
    # weight 10: 2 of 4 pass (mean .5, variance 1/3); weight 30: 2 of 2 pass (variance 0)
    mean, low, high = weighted_mean_interval([(10, 4, 2, 2), (30, 2, 2, 2), (5, 0, 0, 0)])
    se = math.sqrt((10 / 40) ** 2 * (1 / 3) / 4)
    assert mean == pytest.approx(0.875, abs=1e-6)
    assert low == pytest.approx(0.875 - T_1 * se, abs=1e-6)
    assert high == pytest.approx(0.875 + T_1 * se, abs=1e-6)
    assert weighted_mean_interval([(10, 0, 0, 0)]) == (None, None, None)


@pytest.mark.parametrize(("n", "enough"), [(9, False), (10, True), (11, True)])
def test_the_too_few_threshold_is_the_tenants_minimum(n, enough):
    estimate = scaled(mean_interval(n, n * 0.5, n * 0.5), n=n, minimum=10, factor=100)
    assert (estimate.n, estimate.enough, estimate.value) == (n, enough, pytest.approx(50.0))
