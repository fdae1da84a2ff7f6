"""Statistics for organic A/B experiments: pure functions, no database and no I/O.

The unit is the post. Each post (one network variant) gives one number read at the experiment's age: its
engagement rate (interactions / impressions) where impressions are known, else its interactions. Samples are
small (5–40 posts an arm), skewed, with ties and zeros, so nothing here assumes normality. Every arm after the
first is compared with the first; an arm with fewer than 2 posts gets no comparison.

The test, per pair (arm vs reference), is chosen from the data and named in `Comparison.note`:

* every value equal: nothing to test; p = 1, effect 0, CI [0, 0] (labelled as the permutation test, whose
  null distribution is then a single point);
* the smaller arm has at most 8 posts and no value ties: the exact Mann–Whitney U test;
* the smaller arm has at most 8 posts and values tie (zeros, equal counts): a permutation test on the difference
  in means, exact over every split of the posts when there are at most 20,000 splits, else 9,999 random splits
  drawn with `seed`; two-sided as twice the smaller tail (SciPy's convention). Mann–Whitney's exact table
  assumes no ties and its normal approximation is poor at this size; the permutation test is exact whatever the
  ties, and it tests the very number reported as `effect`;
* larger arms: Mann–Whitney U, asymptotic, with the tie and continuity corrections.

Mann–Whitney's U is the arm's: the pairs (arm post, reference post) in which the arm's post scored higher, ties
counting ½. It asks whether the arm's posts tend to beat the reference's, a question a single viral post
cannot answer alone, which is why it is the default on skewed data.

`effect` is the difference in means (arm − reference) in the metric's units, with a 95 % CI from the BCa
bootstrap (9,999 resamples, the two arms resampled separately, `seed`), or the percentile bootstrap where BCa
is undefined (an arm whose posts all scored the same). With 5 posts an arm a bootstrap interval is somewhat too
narrow: read it as a range of plausible effects, not a guarantee. `relative` is `effect` over the reference's
mean, and the verdict shows the CI as a share of that same mean.

Impressions. When every post has them, `compare(…, proportions=…)` also gets each arm's summed interactions
and impressions. A pooled two-proportion z-test on those sums is computed and quoted in the note, but it is
never the reported test: it counts every impression as an independent trial, whereas impressions of one post
share its hook, hour and audience, and posts differ far more than coin flips would, so its p-value is much too
small (an interaction per impression is not even a yes/no trial). Per-post rates remain the unit.

More than two arms: the p-values are Holm-adjusted over the comparisons made (said in the note); the CIs are
not adjusted. The verdict is one sentence: the effect with its p and CI when p < alpha (flagged as tentative
if the CI of the mean still includes zero, as when Mann–Whitney sees a shift that one outlier hides in the
mean), else "no detectable difference" with the CI, since absence of evidence is not evidence of absence (saying
so where that CI excludes zero all the same: a few posts driving the mean, or a bootstrap too narrow on tiny arms).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from scipy import stats  # type: ignore[import-untyped]  # SciPy ships no py.typed

MANN_WHITNEY = "Mann–Whitney U"
PERMUTATION = "permutation (difference in means)"
TWO_PROPORTION_Z = "two-proportion z"  # quoted in notes only: see the module's docstring

SMALL = 8  # posts in the smaller arm, at most, for the exact tests
EXACT_SPLITS = 20_000  # a permutation test enumerates every split up to this many
RESAMPLES = 9_999  # random splits of a permutation test, and bootstrap resamples
CONFIDENCE = 0.95
MINUS = "\u2212"

Values = NDArray[np.float64]


@dataclass(frozen=True)
class ArmSummary:
    """One arm's posts: how many, their mean and median (None when there are none)."""

    label: str
    n: int
    mean: float | None
    median: float | None


@dataclass(frozen=True)
class Comparison:
    """One arm against the reference (the first arm)."""

    arm: str  # the arm compared…
    reference: str  # …with this one
    test: str  # MANN_WHITNEY or PERMUTATION (TWO_PROPORTION_Z is quoted in `note`, never reported)
    statistic: float  # U of the arm (Mann–Whitney), or the difference in means (permutation)
    p_value: float  # two-sided; Holm-adjusted when there are several comparisons (the note says so)
    effect: float  # difference in means (arm − reference), in the metric's units
    ci_low: float  # 95 % CI of `effect`
    ci_high: float
    relative: float | None  # effect / the reference's mean (None when that mean is 0)
    note: str  # how the test and the CI were chosen


def _values(values: Sequence[float]) -> Values:
    array = np.asarray(values, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(array)):
        raise ValueError("an experiment's values must be finite numbers")
    return array


def summarize(label: str, values: Sequence[float]) -> ArmSummary:
    """The arm's count, mean and median."""
    array = _values(values)
    if array.size == 0:
        return ArmSummary(label, 0, None, None)
    return ArmSummary(label, int(array.size), float(np.mean(array)), float(np.median(array)))


def compare(
    arms: Mapping[str, Sequence[float]],
    *,
    proportions: Mapping[str, tuple[int, int]] | None = None,
    seed: int = 0,
) -> list[Comparison]:
    """Every arm after the first against the first, on per-post values (see the module's docstring).

    `proportions` maps an arm to (summed interactions, summed impressions) when every post has impressions: the
    pooled two-proportion z-test is then quoted in the note, for reference. Arms with fewer than 2 posts (and all
    of them, when the reference has fewer) get no comparison. `seed` makes resampling reproducible.
    """
    labels = list(arms)
    if not labels:
        return []
    reference = labels[0]
    ref = _values(arms[reference])
    others = [(label, _values(arms[label])) for label in labels[1:]]
    if ref.size < 2:
        return []
    out: list[Comparison] = []
    for label, values in others:
        if values.size < 2:
            continue
        found = _compare_pair(label, values, reference, ref, seed)
        if proportions is not None and label in proportions and reference in proportions:
            found = replace(found, note=found.note + "; " + _z_note(proportions[label], proportions[reference]))
        out.append(found)
    if len(out) > 1:
        adjusted = holm([c.p_value for c in out])
        out = [
            replace(c, p_value=p, note=f"{c.note}; p Holm-adjusted over {len(out)} comparisons "
                                       f"(unadjusted {c.p_value:.3g}), CI not adjusted")
            for c, p in zip(out, adjusted, strict=True)
        ]
    return out


def _compare_pair(label: str, x: Values, reference: str, y: Values, seed: int) -> Comparison:
    ref_mean = float(np.mean(y))
    effect = float(np.mean(x)) - ref_mean
    relative = effect / ref_mean if ref_mean != 0 else None
    pooled = np.concatenate([x, y])
    if np.all(pooled == pooled[0]):
        return Comparison(label, reference, PERMUTATION, 0.0, 1.0, 0.0, 0.0, 0.0, relative,
                          "all values are equal: nothing to test (p = 1, CI 0 to 0)")
    test, statistic, p_value, why = _test(x, y, seed)
    low, high, how = _interval(x, y, seed)
    return Comparison(label, reference, test, statistic, min(1.0, p_value), effect, low, high, relative,
                      f"{why}; {how}")


def _mean_difference(x: Values, y: Values, axis: int = -1) -> Values:
    difference: Values = np.mean(x, axis=axis) - np.mean(y, axis=axis)
    return difference


def _test(x: Values, y: Values, seed: int) -> tuple[str, float, float, str]:
    """(test, statistic, two-sided p, why this test) for arm x against reference y."""
    sizes = f"{x.size} and {y.size} posts"
    ties = np.unique(np.concatenate([x, y])).size < x.size + y.size
    if min(x.size, y.size) > SMALL:
        result = stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic", use_continuity=True)
        corrections = "tie and continuity corrections" if ties else "continuity correction"
        return (MANN_WHITNEY, float(result.statistic), float(result.pvalue),
                f"asymptotic Mann–Whitney U (normal approximation, {corrections}): {sizes}")
    if not ties:
        result = stats.mannwhitneyu(x, y, alternative="two-sided", method="exact")
        return (MANN_WHITNEY, float(result.statistic), float(result.pvalue),
                f"exact Mann–Whitney U: small samples ({sizes}) with no ties")
    splits = math.comb(x.size + y.size, x.size)
    exact = splits <= EXACT_SPLITS
    result = stats.permutation_test(
        (x, y), _mean_difference, permutation_type="independent", vectorized=True, alternative="two-sided",
        n_resamples=np.inf if exact else RESAMPLES, rng=np.random.default_rng(seed),
    )
    how = f"exact over all {splits:,} splits" if exact else f"{RESAMPLES:,} random splits, seed {seed}"
    return (PERMUTATION, float(result.statistic), float(result.pvalue),
            f"permutation test on the difference in means ({how}): small samples ({sizes}) with ties, "
            "where Mann–Whitney's exact table does not hold")


def _interval(x: Values, y: Values, seed: int) -> tuple[float, float, str]:
    """The bootstrap CI of the difference in means: BCa, else percentile where BCa is undefined."""
    for method in ("BCa", "percentile"):
        with warnings.catch_warnings():
            # Degenerate resamples (an arm of equal values) warn and give NaN under BCa: the fallback's cue.
            warnings.simplefilter("ignore", stats.DegenerateDataWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                result = stats.bootstrap(
                    (x, y), _mean_difference, vectorized=True, paired=False, confidence_level=CONFIDENCE,
                    n_resamples=RESAMPLES, method=method, rng=np.random.default_rng(seed),
                )
            except (ValueError, FloatingPointError):
                continue
        low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
        if math.isfinite(low) and math.isfinite(high):
            name = "BCa" if method == "BCa" else "percentile (BCa is undefined on these data)"
            return low, high, f"95 % CI: {name} bootstrap, {RESAMPLES:,} resamples, seed {seed}"
    effect = float(np.mean(x) - np.mean(y))
    return effect, effect, "95 % CI: every resample gives the same difference"


def two_proportion_z(successes: int, trials: int, ref_successes: int, ref_trials: int) -> tuple[float, float]:
    """The pooled two-proportion z-test of successes/trials against ref_successes/ref_trials: (z, two-sided p)."""
    if trials <= 0 or ref_trials <= 0:
        raise ValueError("a two-proportion z-test needs trials in both groups")
    pooled = (successes + ref_successes) / (trials + ref_trials)
    if not 0 <= pooled <= 1:
        raise ValueError("successes must be between 0 and the trials")
    se = math.sqrt(pooled * (1 - pooled) * (1 / trials + 1 / ref_trials))
    if se == 0:
        return 0.0, 1.0
    z = (successes / trials - ref_successes / ref_trials) / se
    return z, math.erfc(abs(z) / math.sqrt(2))


def _z_note(arm: tuple[int, int], reference: tuple[int, int]) -> str:
    (s1, n1), (s2, n2) = arm, reference
    if n1 <= 0 or n2 <= 0 or not (0 <= s1 <= n1 and 0 <= s2 <= n2):
        return f"no {TWO_PROPORTION_Z}: the summed interactions and impressions are not proportions"
    z, p = two_proportion_z(s1, n1, s2, n2)
    return (f"pooled {TWO_PROPORTION_Z} over impressions, for reference only: z = {z:.2f}, p = {p:.2g} (it counts "
            "every impression as an independent trial, which overstates the precision when posts differ)")


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the order given."""
    m = len(p_values)
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(sorted(range(m), key=lambda k: p_values[k])):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def verdict(comparisons: Sequence[Comparison], *, alpha: float = 0.05, metric: str = "engagement rate") -> str:
    """One honest sentence: each arm's effect with its p and CI where p < alpha, else no detectable difference."""
    if not comparisons:
        return f"nothing to compare yet: each arm needs at least 2 posts with a {metric}"
    return "; ".join(_clause(c, alpha, metric) for c in comparisons)


def _clause(c: Comparison, alpha: float, metric: str) -> str:
    p = _p_text(c.p_value, alpha) + (", Holm-adjusted" if "Holm" in c.note else "")
    ci = f"95 % CI {_amount(c.ci_low, c)} to {_amount(c.ci_high, c)}"
    if c.p_value < alpha:
        text = f"{c.arm}: {_amount(c.effect, c)} {metric} vs {c.reference} ({p}, {ci})"
        if c.ci_low <= 0 <= c.ci_high:
            text += ", though the CI of the mean still includes no change: treat it as tentative"
        return text
    text = f"no detectable difference between {c.arm} and {c.reference} ({p}; {ci})"
    if c.ci_low > 0 or c.ci_high < 0:  # the test and the CI of the mean disagree
        if c.test == MANN_WHITNEY:  # the posts do not consistently beat the reference's: a few drive the mean
            return text + ": only the mean differs, maybe through a few posts; more posts would settle it"
        return text + ": the bootstrap CI, too narrow on so few posts, excludes no change but the test does not; " \
                      "more posts would settle it"
    return text if c.ci_low == c.ci_high else text + ": more posts would narrow it"


def _p_text(p: float, alpha: float) -> str:
    if p < 0.001:
        return "p < 0.001"
    shown = f"{p:.2g}"
    if (float(shown) < alpha) != (p < alpha):  # 0.0496 must not read "0.05"
        shown = f"{p:.3g}"
    return f"p = {shown}"


def _amount(value: float, c: Comparison) -> str:
    """`value` as a share of the reference's mean where it is known, else in the metric's units."""
    if c.relative is not None and c.relative != 0:
        percent = value / (c.effect / c.relative) * 100
        if percent == 0:
            return "0 %"
        shown = f"{percent:+.0f}" if abs(percent) >= 1 else f"{percent:+.1g}"
        return shown.replace("-", MINUS) + " %"
    if value == 0:
        return "0"
    shown = f"{value:+,.0f}" if abs(value) >= 100 else f"{value:+.3g}"
    return shown.replace("-", MINUS)
