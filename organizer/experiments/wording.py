"""An experiment's status in words, for the CLI (`organizer experiment status`) and the app's experiment view."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from organizer.experiments.service import Status


def value(number: float | None, metric: str) -> str:
    """A value of the experiment's metric as people read it."""
    if number is None:
        return "-"
    return f"{number:.2%}" if metric == "engagement_rate" else f"{number:.1f}"


def difference(number: float, metric: str) -> str:
    """A difference of rates in percentage points (not a relative change), of counts as counts."""
    return f"{number * 100:+.2f} points" if metric == "engagement_rate" else f"{number:+.1f}"


def status_lines(found: Status, zone: ZoneInfo, *, waiting_shown: int = 8) -> list[str]:
    """The question, each arm, the test, the verdict, the warnings, what is not counted yet, the conclusion."""
    lines = [f"{found.key} ({found.state}) · {found.variable} · {found.metric.replace('_', ' ')} at "
             f"{found.eval_hours} h · at least {found.min_posts} posts an arm"]
    if found.hypothesis:
        lines.append(f"  hypothesis: {found.hypothesis}")
    for arm in found.arms:
        lines.append(f"  {arm.label:<6} n = {arm.n:<3} mean {value(arm.mean, found.metric):>7}  median "
                     f"{value(arm.median, found.metric):>7}")
    for c in found.comparisons:
        lines.append(f"  {c.arm} vs {c.reference}: {c.test}, p = {c.p_value:.3f}; difference "
                     f"{difference(c.effect, found.metric)} (95 % CI {difference(c.ci_low, found.metric)} to "
                     f"{difference(c.ci_high, found.metric)})")
    lines.append(f"  verdict: {found.verdict}")
    lines.extend(f"  warning: {w}" for w in found.warnings)
    waiting = [p for p in found.posts if p.value is None]
    if waiting:
        named = ", ".join(f"{p.ref} {p.channel} ({p.why_not})" for p in waiting[:waiting_shown])
        lines.append(f"  not counted yet ({len(waiting)}): {named}" + (" …" if len(waiting) > waiting_shown else ""))
    if found.conclusion:
        lines.append(f"  conclusion: {found.conclusion}")
    return lines
