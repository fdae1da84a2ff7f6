"""organizer.experiments.stats against published worked examples, enumeration by hand, and the edge cases."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from organizer.experiments.stats import (
    MANN_WHITNEY,
    PERMUTATION,
    ArmSummary,
    Comparison,
    compare,
    holm,
    summarize,
    two_proportion_z,
    verdict,
)


def _exact_u_p(arm: list[float], reference: list[float]) -> tuple[float, float]:
    """U of `arm` and the two-sided exact p, by enumerating every split of the (untied) pooled values."""
    pooled = arm + reference

    def u(xs: list[float], ys: list[float]) -> float:
        return sum((x > y) + 0.5 * (x == y) for x in xs for y in ys)

    observed = u(arm, reference)
    splits = [u([pooled[i] for i in idx], [pooled[i] for i in range(len(pooled)) if i not in idx])
              for idx in itertools.combinations(range(len(pooled)), len(arm))]
    low = sum(s <= observed for s in splits) / len(splits)
    high = sum(s >= observed for s in splits) / len(splits)
    return observed, min(1.0, 2 * min(low, high))


# --- Mann–Whitney U -------------------------------------------------------------------------------------------

def test_mann_whitney_scipy_documented_example() -> None:
    # SciPy's scipy.stats.mannwhitneyu docstring, after Rosie Shier, "Statistics: 2.3 The Mann-Whitney U Test",
    # Mathematics Learning Support Centre, 2004: ages at diagnosis, U_M = 17, U_F = 3, exact two-sided p = 0.1111.
    males = [19, 22, 16, 29, 24]
    females = [20, 11, 17, 12]
    (c,) = compare({"females": females, "males": males})
    assert (c.arm, c.reference, c.test) == ("males", "females", MANN_WHITNEY)
    assert c.statistic == 17
    assert c.p_value == pytest.approx(0.1111, abs=1e-4)
    assert c.note.startswith("exact Mann–Whitney U: small samples")
    (other,) = compare({"males": males, "females": females})
    assert other.statistic == 3  # U_F
    assert other.p_value == pytest.approx(c.p_value)


def test_mann_whitney_tortoise_and_hare() -> None:
    # Wikipedia, "Mann–Whitney U test", Illustration of calculation methods: 6 tortoises and 6 hares finish in the
    # order T H H H H H T T T T T H, so U_T = 11 (hares beaten by tortoises) and U_H = 25. Wikipedia gives no p,
    # only that 11 is above the two-sided 5 % critical value (5) for 6 and 6: not significant. Finishing places are
    # the values (lower is faster), so the tortoises' U counts hares with a higher (slower) place: the hares' arm.
    tortoises = [1, 7, 8, 9, 10, 11]
    hares = [2, 3, 4, 5, 6, 12]
    (c,) = compare({"tortoises": tortoises, "hares": hares})
    assert c.statistic == 11  # U_T
    (flipped,) = compare({"hares": hares, "tortoises": tortoises})
    assert flipped.statistic == 25  # U_H, and U_T + U_H = 6 × 6
    u, p = _exact_u_p([float(v) for v in hares], [float(v) for v in tortoises])  # all 924 splits
    assert u == 11
    assert c.p_value == pytest.approx(p) == pytest.approx(286 / 924)  # 143 of the 924 splits have U ≤ 11
    assert c.p_value > 0.05


def test_mann_whitney_asymptotic_with_ties_matches_the_normal_formula() -> None:
    # Larger arms with ties: U's normal approximation with tie-corrected variance and continuity correction,
    # computed here by hand (e.g. Conover, Practical Nonparametric Statistics, the large-sample formula).
    reference = [0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 5, 8]
    arm = [0, 1, 2, 2, 3, 4, 5, 5, 6, 7, 9, 12, 15]
    (c,) = compare({"A": reference, "B": arm})
    assert c.test == MANN_WHITNEY
    assert c.note.startswith("asymptotic Mann–Whitney U (normal approximation, tie and continuity corrections)")
    n1, n2 = len(arm), len(reference)
    pooled = arm + reference
    ranks = [sum(v < w for v in pooled) + (sum(v == w for v in pooled) + 1) / 2 for w in pooled]
    u = sum(ranks[:n1]) - n1 * (n1 + 1) / 2
    assert c.statistic == u
    ties = sum(t**3 - t for t in (pooled.count(v) for v in set(pooled)))
    n = n1 + n2
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1))))
    z = (abs(u - n1 * n2 / 2) - 0.5) / sigma
    assert c.p_value == pytest.approx(math.erfc(z / math.sqrt(2)), rel=1e-9)


# --- two-proportion z -----------------------------------------------------------------------------------------

def test_two_proportion_z_textbook_example() -> None:
    # Illowsky & Dean, Collaborative Statistics / OpenStax Introductory Statistics, "Comparing Two Independent
    # Population Proportions", the hives example: 20 of 200 adults on medication A and 12 of 200 on medication B;
    # pooled proportion 0.08, two-sided p-value = 0.1404 (z = 0.04 / √(0.08 · 0.92 · 2/200) = 1.474).
    z, p = two_proportion_z(20, 200, 12, 200)
    assert round(z, 3) == 1.474
    assert round(p, 3) == 0.140
    assert round(p, 4) == 0.1404
    z_down, p_down = two_proportion_z(12, 200, 20, 200)
    assert round(z_down, 3) == -1.474
    assert p_down == pytest.approx(p)


def test_two_proportion_z_degenerate_and_invalid() -> None:
    assert two_proportion_z(0, 100, 0, 50) == (0.0, 1.0)
    with pytest.raises(ValueError):
        two_proportion_z(1, 0, 1, 10)
    with pytest.raises(ValueError):
        two_proportion_z(30, 10, 30, 10)


def test_proportions_are_quoted_but_per_post_rates_stay_the_unit() -> None:
    a = [0.010, 0.012, 0.020, 0.015, 0.011, 0.030]
    b = [0.014, 0.022, 0.018, 0.025, 0.016, 0.040]
    (c,) = compare({"A": a, "B": b}, proportions={"A": (12, 200), "B": (20, 200)})
    (plain,) = compare({"A": a, "B": b})
    assert c.test == MANN_WHITNEY
    assert (c.p_value, c.ci_low, c.ci_high) == (plain.p_value, plain.ci_low, plain.ci_high)
    assert "pooled two-proportion z over impressions, for reference only: z = 1.47, p = 0.14" in c.note
    (odd,) = compare({"A": a, "B": b}, proportions={"A": (0, 0), "B": (20, 200)})
    assert "no two-proportion z" in odd.note


# --- permutation ----------------------------------------------------------------------------------------------

def test_permutation_exact_by_hand() -> None:
    # A = 0, 0, 1 and B = 1, 2, 2 (ties): the difference in means is 5/3 − 1/3 = 4/3. Of the C(6, 3) = 20 ways to
    # deal the six values into B, only 2 reach a sum of 5 (one of the two 1s with both 2s), none more:
    # P(≥ 4/3) = 2/20, and the two-sided p is twice that, 0.2 (by symmetry also P(|difference| ≥ 4/3) = 4/20).
    (c,) = compare({"A": [0, 0, 1], "B": [1, 2, 2]})
    assert c.test == PERMUTATION
    assert c.statistic == pytest.approx(4 / 3) == pytest.approx(c.effect)
    assert c.p_value == pytest.approx(0.2)
    assert "exact over all 20 splits" in c.note
    assert c.relative == pytest.approx(4.0)


def test_permutation_random_splits_near_the_enumerated_p() -> None:
    # 5 posts against 30 with ties: C(35, 5) = 324,632 splits, too many to enumerate in the module (it draws
    # 9,999); enumerated here, with the same two-sided convention (twice the smaller tail).
    reference = [0, 0, 0, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 5, 5, 6, 7, 8, 9, 12, 0, 1, 2, 3, 4, 5, 6, 2, 1, 0]
    arm = [3, 4, 6, 9, 9]
    pooled = np.array(arm + reference, dtype=float)
    deals = np.array(list(itertools.combinations(range(pooled.size), len(arm))))
    sums = pooled[deals].sum(axis=1)
    differences = sums / len(arm) - (pooled.sum() - sums) / len(reference)
    observed = float(np.mean(arm) - np.mean(reference))
    exact = min(1.0, 2 * min(np.mean(differences >= observed - 1e-9), np.mean(differences <= observed + 1e-9)))
    assert exact == pytest.approx(0.0821, abs=1e-4)
    (c,) = compare({"A": reference, "B": arm})
    assert c.test == PERMUTATION
    assert "9,999 random splits, seed 0" in c.note
    assert c.p_value == pytest.approx(exact, abs=0.015)  # ≈ 5 standard errors of a 9,999-split estimate


# --- Holm -----------------------------------------------------------------------------------------------------

def test_holm_known_examples() -> None:
    # Wikipedia, "Holm–Bonferroni method", Example: p1..p4 = 0.01, 0.04, 0.03, 0.005 at α = 0.05 rejects H1 and H4
    # only; adjusted p = max over the smaller ones of (m − rank + 1)·p: 0.005·4, 0.01·3, 0.03·2, then 0.04·1 → 0.06.
    adjusted = holm([0.01, 0.04, 0.03, 0.005])
    assert adjusted == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert [p < 0.05 for p in adjusted] == [True, False, False, True]
    # Three p-values by hand: 0.01·3 = 0.03, 0.02·2 = 0.04, 0.03·1 = 0.03 lifted to 0.04 (monotone); capped at 1.
    assert holm([0.03, 0.01, 0.02]) == pytest.approx([0.04, 0.03, 0.04])
    assert holm([0.6, 0.5]) == [1.0, 1.0]
    assert holm([]) == []


def test_three_arms_are_holm_adjusted() -> None:
    a = [0.010, 0.012, 0.020, 0.015, 0.011, 0.030]
    b = [0.030, 0.032, 0.028, 0.041, 0.036, 0.050]
    c = [0.011, 0.013, 0.019, 0.017, 0.014, 0.031]
    both = compare({"A": a, "B": b, "C": c})
    assert [(x.arm, x.reference) for x in both] == [("B", "A"), ("C", "A")]
    raw = [compare({"A": a, "B": b})[0].p_value, compare({"A": a, "C": c})[0].p_value]
    assert [x.p_value for x in both] == pytest.approx(holm(raw))
    assert all("Holm-adjusted over 2 comparisons" in x.note for x in both)
    assert "Holm-adjusted" in verdict(both)


# --- edge cases -----------------------------------------------------------------------------------------------

def test_summarize() -> None:
    assert summarize("A", [1, 2, 3, 10]) == ArmSummary("A", 4, 4.0, 2.5)
    assert summarize("B", []) == ArmSummary("B", 0, None, None)
    with pytest.raises(ValueError):
        summarize("C", [1.0, float("nan")])


@pytest.mark.filterwarnings("error")
def test_all_values_equal() -> None:
    (c,) = compare({"A": [0.02] * 6, "B": [0.02] * 5})
    assert (c.p_value, c.effect, c.ci_low, c.ci_high, c.relative) == (1.0, 0.0, 0.0, 0.0, 0.0)
    assert verdict([c]) == "no detectable difference between B and A (p = 1; 95 % CI 0 to 0)"
    (zeros,) = compare({"A": [0, 0, 0], "B": [0, 0]})
    assert (zeros.p_value, zeros.ci_low, zeros.ci_high, zeros.relative) == (1.0, 0.0, 0.0, None)


@pytest.mark.filterwarnings("error")
def test_each_arm_constant_but_different_falls_back_to_percentile() -> None:
    (c,) = compare({"A": [1, 1, 1], "B": [2, 2, 2]})
    assert (c.effect, c.ci_low, c.ci_high) == (1.0, 1.0, 1.0)
    assert "percentile (BCa is undefined on these data)" in c.note
    assert c.p_value == pytest.approx(0.1)  # 1 of 20 splits per tail, doubled


def test_small_arms_get_no_comparison() -> None:
    assert compare({}) == []
    assert compare({"A": [1, 2, 3], "B": []}) == []
    assert compare({"A": [1, 2, 3], "B": [4]}) == []
    assert compare({"A": [1], "B": [1, 2, 3]}) == []  # the reference itself is too small
    found = compare({"A": [1, 2, 3], "B": [], "C": [4, 5, 6]})
    assert [c.arm for c in found] == ["C"]
    assert "Holm" not in found[0].note
    assert verdict([]).startswith("nothing to compare yet: each arm needs at least 2 posts")


def test_zeros_and_a_zero_reference_mean() -> None:
    (c,) = compare({"A": [0, 0, 0, 0, 0], "B": [0, 0, 0.02, 0.03, 0.05]})
    assert c.test == PERMUTATION
    assert c.relative is None
    assert c.effect == pytest.approx(0.02)
    assert math.isfinite(c.ci_low) and math.isfinite(c.ci_high) and c.ci_low <= c.effect <= c.ci_high
    sentence = verdict([c])  # no mean to take a share of: the metric's units
    assert sentence.startswith("no detectable difference between B and A (p = 0.17; 95 % CI +0.0")
    assert "the bootstrap CI, too narrow on so few posts, excludes no change but the test does not" in sentence
    assert "% to" not in sentence
    (d,) = compare({"A": [0, 0, 0, 0.01, 0.02], "B": [0, 0, 0.02, 0.03, 0.05]})
    assert d.relative == pytest.approx(d.effect / 0.006)


def test_non_finite_values_are_refused() -> None:
    with pytest.raises(ValueError):
        compare({"A": [1.0, 2.0], "B": [1.0, float("inf")]})


def test_same_seed_same_result() -> None:
    reference = [0, 0, 0, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 5, 5, 6, 7, 8, 9, 12]
    arm = [3, 4, 6, 9, 9, 0]
    first = compare({"A": reference, "B": arm}, seed=7)
    assert compare({"A": reference, "B": arm}, seed=7) == first
    other = compare({"A": reference, "B": arm}, seed=8)[0]
    assert (other.ci_low, other.ci_high, other.p_value) != (first[0].ci_low, first[0].ci_high, first[0].p_value)


# --- verdict --------------------------------------------------------------------------------------------------

def _comparison(p: float, effect: float, low: float, high: float, reference_mean: float | None = 0.1,
                note: str = "exact Mann–Whitney U: small samples (6 and 6 posts) with no ties") -> Comparison:
    relative = effect / reference_mean if reference_mean else None
    return Comparison("B", "A", MANN_WHITNEY, 30.0, p, effect, low, high, relative, note)


def test_verdict_significant_up_and_down() -> None:
    up = _comparison(0.03, 0.018, 0.002, 0.034)
    assert verdict([up]) == "B: +18 % engagement rate vs A (p = 0.03, 95 % CI +2 % to +34 %)"
    down = _comparison(0.004, -0.012, -0.020, -0.004)
    assert verdict([down], metric="interactions") == "B: −12 % interactions vs A (p = 0.004, 95 % CI −20 % to −4 %)"
    assert verdict([_comparison(0.0002, 0.05, 0.02, 0.08)]).startswith("B: +50 % engagement rate vs A (p < 0.001")


def test_verdict_not_significant() -> None:
    flat = _comparison(0.41, 0.004, -0.012, 0.025)
    assert verdict([flat]) == ("no detectable difference between B and A (p = 0.41; 95 % CI −12 % to +25 %): "
                               "more posts would narrow it")
    assert verdict([flat], alpha=0.5).startswith("B: +4 % engagement rate vs A (p = 0.41")


def test_verdict_honest_edges() -> None:
    near = _comparison(0.0496, 0.018, 0.002, 0.034)
    assert "(p = 0.0496," in verdict([near])  # not "0.05" for a significant result
    shaky = _comparison(0.03, 0.018, -0.001, 0.034)
    assert verdict([shaky]).endswith("though the CI of the mean still includes no change: treat it as tentative")
    outlier = _comparison(0.2, 0.05, 0.01, 0.12)
    assert "only the mean differs, maybe through a few posts" in verdict([outlier])
    units = _comparison(0.02, 12.5, 3.25, 21.0, reference_mean=None)
    assert verdict([units], metric="interactions") == "B: +12.5 interactions vs A (p = 0.02, 95 % CI +3.25 to +21)"
    two = [_comparison(0.41, 0.004, -0.012, 0.025), _comparison(0.03, 0.018, 0.002, 0.034)]
    assert verdict(two).count("; ") >= 2  # one sentence, one clause an arm


def test_verdict_end_to_end() -> None:
    a = [0.010, 0.012, 0.020, 0.015, 0.011, 0.013, 0.014, 0.016, 0.012, 0.018]
    b = [0.030, 0.032, 0.028, 0.041, 0.036, 0.025, 0.027, 0.033, 0.029, 0.035]
    (c,) = compare({"A": a, "B": b})
    assert c.p_value < 0.001 and c.ci_low > 0
    sentence = verdict([c])
    assert sentence.startswith(f"B: +{round(c.relative * 100) if c.relative else 0} % engagement rate vs A (p < 0.001")
