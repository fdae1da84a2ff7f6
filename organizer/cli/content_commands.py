"""CLI handlers for posts: `check` lints a text (or a card's variants), `variant` and `derive` write variants,
`links` lists a card's links with their UTM tags.

`check TEXT` is quick on purpose: stdlib, `regex` and the rules in data/ only (no ORM, no Textual), so a writer
can run it on every save from an editor or a hook. The commands about a card load the services inside.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
from datetime import UTC, datetime
from typing import Any

from organizer.cli.common import emit
from organizer.config import Config
from organizer.posts.count import Count, check
from organizer.posts.rules import UNITS, rules
from organizer.validate import InputError

MAX_TEXT = 1_000_000  # characters: far above any network's limit, far below what could exhaust memory


def resolve_channels(cfg: Config, wanted: list[str]) -> list[str]:
    """Channel keys from what was typed: a key, a name or a card code, case-insensitively; each once."""
    out: list[str] = []
    known = {key: key for key in rules()}
    for c in cfg.channels:
        known.update({c.key.casefold(): c.key, c.name.casefold(): c.key, c.code.casefold(): c.key})
    for item in wanted:
        for name in (part.strip() for part in item.split(",")):
            key = known.get(name.casefold()) if name else None
            if key is None or key not in rules():
                raise InputError(f"--channel {name!r}: use one of {', '.join(rules())}")
            if key not in out:
                out.append(key)
    return out


def _read_text(arg: str) -> str:
    if arg != "-":
        return arg
    data = sys.stdin.buffer.read(MAX_TEXT * 4 + 1)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"standard input is not UTF-8 text (byte {exc.start}): check reads UTF-8") from None
    if len(text) > MAX_TEXT:
        raise InputError(f"standard input holds over {MAX_TEXT:,} characters: check takes one post at a time")
    return text.removesuffix("\n")  # what `echo` and editors add is not part of the post


_CARD_ID = re.compile(r"^\s*(?:[A-Za-z][A-Za-z0-9]{0,11}-)?\d{1,9}\s*$")


def with_voice(result: Count, text: str, cfg: Config, board: str | None) -> Count:
    """A count with the brand voice's findings added to its problems (`[voice]`, `[voice.BOARD]`)."""
    if not cfg.voice:
        return result
    from organizer.posts.voice import findings, profile

    found = findings(text, result.channel, profile(cfg.voice, board.upper() if board else None))
    return dataclasses.replace(result, problems=result.problems + tuple(found)) if found else result


def cmd_check(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Count a text as each network counts it; exit 1 when it breaks a rule (like a linter).

    `check ID` (a card ID and no --channel) checks every variant of that card instead.
    """
    if not args.channel and _CARD_ID.match(args.text):
        return _check_card(args, cfg, location)
    if not args.channel:
        raise InputError("check needs at least one --channel (e.g. --channel x --channel bluesky), or a card ID")
    text = _read_text(args.text)
    results = []
    for key in resolve_channels(cfg, args.channel):
        rule = rules()[key]
        if key in cfg.channel_limits:
            rule = rule.with_limit(cfg.channel_limits[key])
        results.append(with_voice(check(text, rule), text, cfg, args.board))
    if args.json:
        emit([r.as_json() for r in results])
    else:
        print(render(results))
    return 0 if all(r.ok for r in results) else 1


def render(results: list[Count]) -> str:
    """One line per network (`X  212/280 weighted characters  ok`), then its problems, warnings and hints."""
    width = max(len(r.network) for r in results)
    lines = []
    for r in results:
        verdict = "ok" if r.ok else "OVER" if r.remaining < 0 else "PROBLEM"
        extra = f", {r.extra['bytes']}/{rules()[r.channel].max_bytes} bytes" if "bytes" in r.extra else ""
        lines.append(f"{r.network:<{width}}  {r.length}/{r.limit} {UNITS[r.unit]}{extra}  {verdict}")
        lines.extend(f"  ✗ {p}" for p in r.problems)
        lines.extend(f"  ! {w}" for w in r.warnings)
        lines.extend(f"  · {h}" for h in r.hints)
    return "\n".join(lines)


def _check_card(args: argparse.Namespace, cfg: Config, location: str) -> int:
    from organizer.cli.common import open_db
    from organizer.services import cards, posts

    with open_db(location).read() as s:
        card = cards.find_card(s, args.text)
        board = cards.card_ref(s, card).split("-")[0]
        texts = {v.channel: v.text for v in posts.variants_of(s, card)}
        results = [with_voice(r, texts.get(r.channel, card.post), cfg, board)
                   for r in posts.check_card(s, cfg, args.text)]
    if args.json:
        emit([r.as_json() for r in results])
    else:
        print(render(results))
    return 0 if all(r.ok for r in results) else 1


def cmd_variant(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Set (or with --rm remove) one channel's variant of a card; print it, or the card's post as JSON."""
    from organizer.cli.common import open_db
    from organizer.posts.variants import read_variant
    from organizer.services import cards, posts

    raw: dict[str, Any] = {"channel": args.channel_name, "status": args.status, "url": args.url,
                           "publish": args.publish}
    for name in ("text", "first_comment", "alt_text"):
        value = getattr(args, name)
        raw[name] = _read_text(value) if value is not None else None
    fields = read_variant(raw, cfg, now=datetime.now(UTC))
    store = open_db(location)
    given = any(v is not None for k, v in raw.items() if k != "channel") or args.rm
    if given:
        with store.write() as s:
            if args.rm:
                posts.remove_variant(s, args.id, fields.channel)
            else:
                posts.set_variant(s, cfg, args.id, fields)
    with store.read() as s:
        card = cards.card_view(s, cfg, args.id)
    variant = next((v for v in card["variants"] if v["channel"] == fields.channel), None)
    if args.json:
        emit(variant if variant is not None else {"id": card["id"], "removed": fields.channel})
    elif variant is None:
        print(f"{card['id']}: no {fields.channel} variant")
    elif args.tagged:
        print(tag_links(variant["text"], cfg, fields.channel, card))
    else:
        print(variant["text"])
    return 0


def cmd_derive(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Draft variants from the card's master text; print what was drafted and how each counts."""
    from organizer.cli.common import open_db
    from organizer.services import posts

    channels = resolve_channels(cfg, args.channel) if args.channel else None
    store = open_db(location)
    with store.write() as s:
        drafted = posts.derive_variants(s, cfg, args.id, channels, hashtags_to_comment=args.hashtags_to_comment,
                                        force=args.force)
    with store.read() as s:
        results = [r for r in posts.check_card(s, cfg, args.id) if r.channel in drafted]
    if args.json:
        emit([r.as_json() for r in results])
    elif results:
        print(render(results))
    else:
        print("nothing drafted: every channel has a variant (--force redoes the drafts)", file=sys.stderr)
    return 0


def tag_links(text: str, cfg: Config, channel: str, card: dict[str, Any]) -> str:
    """The text with each link tagged for `channel` (organizer.posts.utm)."""
    from organizer.posts.count import links
    from organizer.posts.utm import tag, tags_for

    tags = tags_for(cfg.utm, channel=channel, board=card["board"], card=card["id"], campaign=card["campaign"])
    out: list[str] = []
    at = 0
    for link in links(text, bare=True):
        out.extend((text[at:link.start], tag(link.url, tags)))
        at = link.end
    return "".join(out) + text[at:]


def cmd_links(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Every link of a card's variants (or master), with its UTM tags for that channel."""
    from organizer.cli.common import open_db
    from organizer.posts.count import links
    from organizer.posts.utm import tag, tags_for
    from organizer.services import cards

    with open_db(location).read() as s:
        card = cards.card_view(s, cfg, args.id)
    texts = [(v["channel"], v["text"]) for v in card["variants"]] or [(c, card["post"]) for c in card["channels"]]
    rows: list[dict[str, str]] = []
    for channel, text in texts:
        tags = tags_for(cfg.utm, channel=channel, board=card["board"], card=card["id"], campaign=card["campaign"])
        rows.extend({"channel": channel, "url": link.url, "tagged": tag(link.url, tags)}
                    for link in links(text, bare=True))
    if args.json:
        emit(rows)
    else:
        width = max((len(r["channel"]) for r in rows), default=0)
        print("\n".join(f"{r['channel']:<{width}}  {r['tagged']}" for r in rows) or f"{card['id']}: no links")
    return 0


def cmd_channels(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """`channels`: the networks and their limits; `channels refresh mastodon --server HOST` reads a server's."""
    if args.action == "refresh":
        from organizer import paths
        from organizer.config import save_table_setting
        from organizer.posts.instance import InstanceError, fetch_instance

        if args.channel_name != "mastodon":
            raise InputError(f"channels refresh {args.channel_name!r}: only mastodon has a per-server limit to read")
        if not args.server:
            raise InputError("channels refresh mastodon needs --server HOST, e.g. --server mastodon.social")
        try:
            found = fetch_instance(args.server)
        except InstanceError as exc:
            print(f"organizer: {exc}", file=sys.stderr)
            return 1
        save_table_setting(cfg.source or paths.config_file(), "channel_limits", "mastodon", found.max_characters)
        print(f"{found.host}: posts up to {found.max_characters} characters, links count "
              f"{found.characters_reserved_per_url} (saved as [channel_limits] mastodon)")
        return 0
    rows: list[dict[str, Any]] = []
    for c in cfg.channels:
        rule = rules().get(c.key)
        if rule is None:
            continue
        limit = cfg.channel_limits.get(c.key, rule.limit)
        rows.append({"channel": c.key, "name": c.name, "code": c.code, "limit": limit, "unit": rule.unit,
                     "own_limit": c.key in cfg.channel_limits})
    if args.json:
        emit(rows)
    else:
        for r in rows:
            own = "  (config)" if r["own_limit"] else ""
            print(f"{r['code']:<3} {r['name']:<10} {r['limit']:>6} {UNITS[r['unit']]}{own}")
    return 0
