"""A card's post: set, derive and remove its variants, and check them (one user action = one transaction).

The master text is a card field (`card.post`, `organizer edit ID --post`); a variant is a row of
`post_variant`, and every change to one is recorded as a change of its card (the card's history snapshot
holds its variants), so undo and redo take it back like any edit.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, delete, select

from organizer import history
from organizer.config import Config
from organizer.models import Card, CardChannel, PostVariant, utcnow
from organizer.posts.count import Count, check
from organizer.posts.rules import NetworkRule, rules
from organizer.posts.variants import VariantFields, derive
from organizer.services.cards import card_ref, find_card
from organizer.validate import InputError


def rule_for(cfg: Config, channel: str) -> NetworkRule:
    """A channel's counting rule, with the limit the config sets for it (a Mastodon server's)."""
    rule = rules()[channel]
    return rule.with_limit(cfg.channel_limits[channel]) if channel in cfg.channel_limits else rule


def variants_of(session: Session, card: Card) -> list[PostVariant]:
    """A card's variants, in their order."""
    return list(session.exec(select(PostVariant).where(PostVariant.card_id == card.id)
                             .order_by(col(PostVariant.position), col(PostVariant.channel))))


def _changed(session: Session, card: Card, before: Any, summary: str, origin: str) -> None:
    card.updated_at = utcnow()
    session.add(card)
    session.flush()
    assert card.id is not None
    history.record(session, summary, [history.change("card", card.id, before,
                                                     history.snapshot(session, "card", card.id))], origin)


def set_variant(session: Session, cfg: Config, ref: str, f: VariantFields, *, origin: str = "cli") -> PostVariant:
    """Create or change one channel's variant of a card's post (a new one starts from the master text)."""
    card = find_card(session, ref)
    assert card.id is not None
    before = history.snapshot(session, "card", card.id)
    variant = session.get(PostVariant, (card.id, f.channel))
    if variant is None:
        position = len(variants_of(session, card))
        variant = PostVariant(card_id=card.id, channel=f.channel, position=position, text=card.post)
        _ensure_channel(session, card, f.channel)
    for name in ("text", "first_comment", "alt_text", "publish_at", "status", "url"):
        value = getattr(f, name)
        if value is not None:
            setattr(variant, name, value)
    for name in f.cleared:
        setattr(variant, name, None)
    session.add(variant)
    session.flush()
    _changed(session, card, before, f"{f.channel} variant of {card_ref(session, card)}", origin)
    return variant


def _ensure_channel(session: Session, card: Card, channel: str) -> None:
    """A variant's channel is one of the card's channels (the board shows them)."""
    assert card.id is not None
    if session.get(CardChannel, (card.id, channel)) is None:
        count = len(list(session.exec(select(CardChannel).where(CardChannel.card_id == card.id))))
        session.add(CardChannel(card_id=card.id, channel=channel, position=count))


def remove_variant(session: Session, ref: str, channel: str, *, origin: str = "cli") -> None:
    """Delete one channel's variant (the card keeps the channel)."""
    card = find_card(session, ref)
    assert card.id is not None
    if session.get(PostVariant, (card.id, channel)) is None:
        raise InputError(f"{card_ref(session, card)} has no {channel} variant")
    before = history.snapshot(session, "card", card.id)
    session.exec(delete(PostVariant).where(col(PostVariant.card_id) == card.id,
                                           col(PostVariant.channel) == channel))
    _changed(session, card, before, f"remove the {channel} variant of {card_ref(session, card)}", origin)


def derive_variants(session: Session, cfg: Config, ref: str, channels: list[str] | None = None, *,
                    hashtags_to_comment: bool = False, force: bool = False, origin: str = "cli") -> list[str]:
    """Draft a variant per channel from the master text; returns the channels drafted.

    The channels are the card's unless given. A channel that has a variant keeps it, unless `force` (and then
    only a draft is replaced: a variant marked ready, scheduled or published is the writer's, never overwritten).
    One history entry for the lot.
    """
    card = find_card(session, ref)
    assert card.id is not None
    if not card.post.strip():
        raise InputError(f"{card_ref(session, card)} has no master text to derive from: set it with "
                         f"organizer edit {card_ref(session, card)} --post TEXT")
    wanted = channels or [c.channel for c in session.exec(select(CardChannel).where(CardChannel.card_id == card.id)
                                                             .order_by(col(CardChannel.position)))]
    if not wanted:
        raise InputError(f"{card_ref(session, card)} has no channels: give --channel, e.g. --channel x")
    before = history.snapshot(session, "card", card.id)
    existing = {v.channel: v for v in variants_of(session, card)}
    drafted: list[str] = []
    for channel in wanted:
        variant = existing.get(channel)
        if variant is not None and not (force and variant.status == "draft"):
            continue
        text, comment = derive(card.post, rules()[channel], hashtags_to_comment=hashtags_to_comment
                               and channel == "instagram")
        if variant is None:
            variant = PostVariant(card_id=card.id, channel=channel, position=len(existing) + len(drafted))
            _ensure_channel(session, card, channel)
        variant.text = text
        if comment:
            variant.first_comment = comment
        session.add(variant)
        drafted.append(channel)
    if drafted:
        session.flush()
        _changed(session, card, before, f"derive {', '.join(drafted)} variants of {card_ref(session, card)}", origin)
    return drafted


def check_card(session: Session, cfg: Config, ref: str) -> list[Count]:
    """Every variant of a card counted for its network; the master for the card's channels when it has none."""
    card = find_card(session, ref)
    found = variants_of(session, card)
    if found:
        return [check(v.text, rule_for(cfg, v.channel), channel=v.channel, first_comment=v.first_comment)
                for v in found]
    channels = [c.channel for c in session.exec(select(CardChannel).where(CardChannel.card_id == card.id)
                                                  .order_by(col(CardChannel.position)))]
    if not card.post.strip() or not channels:
        raise InputError(f"{card_ref(session, card)} has no post to check: give it a master text (edit --post) and "
                         "channels, or variants (organizer variant ID CHANNEL --text …)")
    return [check(card.post, rule_for(cfg, c), channel=c) for c in channels]


def save_post(session: Session, cfg: Config, ref: str, master: str, texts: dict[str, str], *,
              origin: str = "tui") -> bool:
    """The editor's save: the master text and each channel's variant text, as one change (one undo step).

    A channel without a variant gets one. Returns whether anything changed.
    """
    from organizer.posts.variants import TEXT_MAX
    from organizer.validate import clean_text

    card = find_card(session, ref)
    assert card.id is not None
    before = history.snapshot(session, "card", card.id)
    changed = False
    master = clean_text(master, multiline=True)
    if len(master) > TEXT_MAX:
        raise InputError(f"the master text holds {len(master):,} characters: at most {TEXT_MAX:,}")
    if master != card.post:
        card.post, changed = master, True
    existing = {v.channel: v for v in variants_of(session, card)}
    for position, (channel, raw) in enumerate(texts.items()):
        if channel not in rules():
            raise InputError(f"channel {channel!r}: use one of {', '.join(rules())}")
        text = clean_text(raw, multiline=True)
        if len(text) > TEXT_MAX:
            raise InputError(f"the {channel} variant holds {len(text):,} characters: at most {TEXT_MAX:,}")
        variant = existing.get(channel)
        if variant is None:
            variant = PostVariant(card_id=card.id, channel=channel, position=len(existing) + position, text=text)
            _ensure_channel(session, card, channel)
        elif variant.text == text:
            continue
        variant.text = text
        session.add(variant)
        changed = True
    if changed:
        session.flush()
        _changed(session, card, before, f"edit the post of {card_ref(session, card)}", origin)
    return changed
