"""What the planner has to place, in which order: deadlines, publish limits and step chains."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from organizer.planner.model import WorkItem
from organizer.planner.timeline import floor_minute, utc

__all__ = ["Job", "make_jobs"]

_NEVER = datetime.max.replace(tzinfo=UTC)

# (priority, deadline, created_at, card_id, ref, title, minutes, popup): the brief's order, made total.
Key = tuple[int, datetime, datetime, int, str, str, int, bool]


@dataclass
class Job:
    """One item to place: minutes still to plan, its hard publish limit and the jobs it waits for."""

    item: WorkItem
    need: int  # minutes to place: remaining work minus kept work blocks
    limit: int | None  # the work must end by this minute (its own or an ancestor's publish time)
    limit_owner: WorkItem | None  # whose publish time `limit` is
    waits_for: tuple[int, ...] = ()  # indexes into the job list that must end before this one starts
    kept_end: int | None = None  # end of the card's kept work blocks, which count as its work too


def _tiebreak(item: WorkItem) -> tuple[datetime, int, str, str, int, bool]:
    """What orders items after priority and deadline: enough fields that input order never matters."""
    return (utc(item.created_at), item.card_id, item.ref, item.title, item.minutes, item.popup)


def _key(item: WorkItem) -> tuple[int, tuple[datetime, int, str, str, int, bool]]:
    """Sorting key for the item list itself (deadlines need the list, so they come later)."""
    return (item.priority, _tiebreak(item))


def _ancestors(item: WorkItem, by_id: Mapping[int, WorkItem]) -> list[WorkItem]:
    out: list[WorkItem] = []
    seen = {item.card_id}
    parent = by_id.get(item.parent_id) if item.parent_id is not None else None
    while parent is not None and parent.card_id not in seen:
        out.append(parent)
        seen.add(parent.card_id)
        parent = by_id.get(parent.parent_id) if parent.parent_id is not None else None
    return out


def _limit(item: WorkItem, by_id: Mapping[int, WorkItem]) -> tuple[datetime | None, WorkItem | None]:
    """The earliest publish time of the item and its ancestors: work for a post ends before it goes out."""
    if item.parent_id is None:  # most cards: no ancestors to walk
        return (item.publish_at, item) if item.publish_at is not None else (None, None)
    best: tuple[datetime | None, WorkItem | None] = (None, None)
    for owner in (item, *_ancestors(item, by_id)):
        if owner.publish_at is not None and (best[0] is None or utc(owner.publish_at) < utc(best[0])):
            best = (owner.publish_at, owner)
    return best


def _deadline(item: WorkItem, by_id: Mapping[int, WorkItem]) -> datetime:
    """min(due, publish, and for a step its parent's publish), for ordering; no deadline sorts last."""
    if item.parent_id is None and item.publish_at is None:  # the common case, without building a list
        return _NEVER if item.due_at is None else utc(item.due_at)
    times = [utc(t) for t in (item.due_at, item.publish_at) if t is not None]
    parent = by_id.get(item.parent_id) if item.parent_id is not None else None
    if parent is not None and parent.card_id != item.card_id and parent.publish_at is not None:
        times.append(utc(parent.publish_at))
    return min(times, default=_NEVER)


def _edges(items: Sequence[WorkItem], by_id: Mapping[int, WorkItem]) -> tuple[dict[int, list[int]], set[int]]:
    """Predecessors by item index (each step waits for the step before it, a parent for its last step),
    and the indexes of parents that have steps.
    """
    first: dict[int, int] = {}
    for i, it in enumerate(items):
        first.setdefault(it.card_id, i)
    children: dict[int, list[int]] = defaultdict(list)
    for i, it in enumerate(items):
        if not it.popup and it.parent_id is not None and it.parent_id in by_id and it.parent_id != it.card_id:
            children[it.parent_id].append(i)
    preds: dict[int, list[int]] = defaultdict(list)
    parents: set[int] = set()
    for parent_id in sorted(children):
        # Steps without a number come after numbered ones; equal numbers run in card order.
        steps = sorted(children[parent_id], key=lambda n: (items[n].step is None, items[n].step or 0, n))
        for before, after in itertools.pairwise(steps):
            preds[after].append(before)
        parent = first[parent_id]
        parents.add(parent)
        if not items[parent].popup:
            preds[parent].append(steps[-1])
    return preds, parents


def _depths(count: int, preds: Mapping[int, list[int]]) -> tuple[list[int], set[int]]:
    """Longest chain above each item, and the items on a parent cycle (their step links are dropped)."""
    succs: dict[int, list[int]] = defaultdict(list)
    indegree = [0] * count
    for node, ps in preds.items():
        for p in ps:
            succs[p].append(node)
            indegree[node] += 1
    depth = [0] * count
    ready = [i for i in range(count) if indegree[i] == 0]
    done = 0
    while ready:
        node = ready.pop()
        done += 1
        for nxt in succs[node]:
            depth[nxt] = max(depth[nxt], depth[node] + 1)
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                ready.append(nxt)
    cyclic = {i for i in range(count) if indegree[i] > 0}
    return depth, cyclic


def make_jobs(
    items: Sequence[WorkItem], kept_minutes: Mapping[int, int], kept_end: Mapping[int, int]
) -> tuple[list[Job], list[Job], list[WorkItem]]:
    """Split items into pop-up jobs and work jobs, each in placement order, and items without an estimate.

    Work order is (priority, deadline, created_at, card_id), except that a step chain moves together:
    each member sorts by the most urgent key among itself and the members after it, so an urgent last
    step pulls its earlier steps forward, and chain members with equal keys keep their step order.
    """
    # Each key computed once and kept for `base`; the input index breaks ties as a stable sort would.
    keyed = sorted((_key(it), n) for n, it in enumerate(items))
    items = [items[n] for _, n in keyed]
    by_id: dict[int, WorkItem] = {}
    for it in items:
        by_id.setdefault(it.card_id, it)  # duplicated ids: the first in key order stands for the card
    preds, parents = _edges(items, by_id)
    depth, cyclic = _depths(len(items), preds)
    # Links on a parent cycle (bad data) are dropped rather than guessed at.
    preds = {i: ps for i, ps in preds.items() if i not in cyclic}
    base: list[Key] = [(it.priority, _deadline(it, by_id), *key[1]) for it, (key, _) in zip(items, keyed, strict=True)]
    # Effective key: the minimum over each item and everything that waits for it. Deepest first, so a
    # successor's effective key is final before its predecessors read it.
    eff = list(base)
    for i in sorted(preds, key=lambda n: (-depth[n], n)):
        for p in preds[i]:
            eff[p] = min(eff[p], eff[i])

    no_estimate: list[WorkItem] = []
    popups: list[tuple[tuple[Key, int, Key], int]] = []
    work: list[tuple[tuple[Key, int, Key], int]] = []
    for i, it in enumerate(items):
        if it.minutes <= 0:
            # A parent whose work is all in its steps needs no estimate of its own.
            if i not in parents:
                no_estimate.append(it)
        elif it.popup:
            popups.append(((base[i], 0, base[i]), i))
        else:
            work.append(((eff[i], depth[i], base[i]), i))

    def waits(i: int, position: Mapping[int, int]) -> set[int]:
        # A predecessor with nothing to place (no estimate) passes its own waits on to its successor.
        out: set[int] = set()
        stack, seen = list(preds.get(i, [])), set()
        while stack:
            p = stack.pop()
            if p in position:
                out.add(position[p])
            elif p not in seen:
                seen.add(p)
                stack.extend(preds.get(p, []))
        return out

    def build(order: list[tuple[tuple[Key, int, Key], int]]) -> list[Job]:
        order.sort(key=lambda pair: pair[0])
        position = {i: n for n, (_, i) in enumerate(order)}
        jobs: list[Job] = []
        for _, i in order:
            it = items[i]
            publish, owner = _limit(it, by_id)
            jobs.append(Job(
                item=it,
                need=max(0, it.minutes - kept_minutes.get(it.card_id, 0)),
                limit=floor_minute(publish) if publish is not None else None,
                limit_owner=owner,
                waits_for=tuple(sorted(waits(i, position))) if i in preds else (),
                kept_end=kept_end.get(it.card_id),
            ))
        return jobs

    return build(popups), build(work), no_estimate
