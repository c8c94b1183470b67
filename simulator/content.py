"""What a simulated video is: its text, channel, duration and counts, drawn from a seeded rng."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from simulator.hashing import b64, digest

SHORTS_MAX_SECONDS = 180  # YouTube Shorts are at most 3 minutes


@dataclass(frozen=True)
class Video:
    """One simulated video. Text is plain; the API sends title and description HTML-escaped."""

    id: str
    query: str
    published_at: datetime
    title: str
    description: str
    channel_id: str
    channel_title: str
    live_broadcast_content: Literal["none", "live", "upcoming"]
    duration: str  # ISO 8601, "P0D" while live or upcoming
    duration_seconds: int  # 0 while live or upcoming
    definition: Literal["hd", "sd"]
    caption: bool
    licensed_content: bool
    popularity: int  # views grow as popularity * sqrt(age in minutes)
    likes_per_mille: int | None  # None: the owner hides likes
    comments_per_mille: int | None  # None: comments are off
    views_hidden: bool  # the owner hides the view count: statistics has no viewCount

    @property
    def is_short(self) -> bool:
        """A Short: at most 3 minutes long. Its title says #shorts; no other video is that short."""
        return 0 < self.duration_seconds <= SHORTS_MAX_SECONDS


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split(", "))


_TEAMS = _words(
    "Arsenal, Barça, Mumbai City, Kerala Blasters, Real Madrid, Bayern, Inter Miami, "
    "Bengaluru FC, Liverpool, Mohun Bagan, PSG, Flamengo, Ajax, Celtic, Napoli, Al Nassr"
)
_ADJECTIVES = _words(
    "insane, unbelievable, crazy, epic, classic, last-minute, brilliant, rare, funniest, "
    "ultimate, underrated, wild"
)
_NOUNS = _words(
    "highlights, goals, skills, saves, moments, fails, tactics, analysis, training, reactions, "
    "interview, vlog, tutorial, compilation, podcast, drills"
)
_TAGS = _words(
    "4K, HD, Full Match, ⚽, 🔥, Hindi, मैच हाइलाइट्स, Café talk, Q&A, Part 2, "
    "ft. Rohit's crew, <LIVE>"
)
# Raw text: quotes, apostrophes, & and < > are escaped on the way out, as YouTube does.
_TITLES = (
    "{Q} {noun}: {team} vs {team2} | {Adj} {tag}",
    "Top {number} {adj} {q} {noun} of {year}",
    "{team}'s {adj} {q} {noun} – {tag}",
    '"{Adj}" {q} {noun} & more',
    "How to get better at {q}? {Adj} {noun} for beginners",
    "{Q} & {noun}: what nobody tells you",
    "{q} {noun} #shorts",
    "{Adj} {q} {noun} by {team} #shorts",
    "{Adj} {q} {noun} ({tag})",
)
_LIVE_TITLES = (
    "LIVE: {team} vs {team2} | {Q} {noun}",
    "🔴 {Q} live stream – {team}'s {adj} {noun}",
)
_UPCOMING_TITLES = (
    "Premiere: {Q} {noun} – {team}'s {adj} season",
    "Starting soon: {team} vs {team2} {q} watch-along",
)
_DESCRIPTIONS = (
    "",
    '{Adj} {q} {noun} from {team} vs {team2}. Subscribe for more "daily" videos & turn on '
    "notifications!",
    "Everything about {q}: {noun}, {noun2} and {tag}. Timestamps below 👇 0:00 intro 1:23 {noun2} "
    "4:56 what's next for {team}",
    "We break down {team}'s {q} {noun}. What's your take? Comment below.",
    "{Q} {noun} | {team} | {team2} | {tag} | #{hashtag} #{noun}",
)
_CHANNEL_FIRST = _words(
    "Chai &, Goal, Pitch, Kick Off, Sunday League, Desi, Ultra, Tactics, Café, Mr. Volley's, "
    "Stadium, Derby"
)
_CHANNEL_SECOND = _words(
    "Cricket, Zone, Side, TV, Official, HD, 24x7, Corner, Talks, Room, Highlights, Fútbol"
)


def channel_pool(seed: int) -> list[tuple[str, str]]:
    rng = random.Random(f"{seed}:channels")
    names = [f"{first} {second}" for first in _CHANNEL_FIRST for second in _CHANNEL_SECOND]
    return [
        ("UC" + b64(digest(f"{seed}:channel:{name}", size=17))[:22], name)
        for name in rng.sample(names, 40)
    ]


def describe(
    rng: random.Random,
    *,
    video_id: str,
    query: str,
    published_at: datetime,
    channel: tuple[str, str],
    hidden_views_share: float,
) -> Video:
    live = rng.choices(("none", "live", "upcoming"), weights=(90, 6, 4))[0]
    team, team2 = rng.sample(_TEAMS, 2)
    adjective = rng.choice(_ADJECTIVES)
    noun, noun2 = rng.sample(_NOUNS, 2)
    words = {
        "q": query,
        "Q": rng.choice((query, query.title(), query.upper())),
        "adj": adjective,
        "Adj": adjective.capitalize(),
        "noun": noun,
        "noun2": noun2,
        "team": team,
        "team2": team2,
        "tag": rng.choice(_TAGS),
        "number": rng.choice((5, 10, 20, 50)),
        "year": published_at.year,
        "hashtag": query.replace(" ", ""),
    }
    templates = {"none": _TITLES, "live": _LIVE_TITLES, "upcoming": _UPCOMING_TITLES}[live]
    title = rng.choice(templates).format(**words)
    seconds = 0 if live != "none" else _duration_seconds(rng, short="#shorts" in title)
    return Video(
        id=video_id,
        query=query,
        published_at=published_at,
        title=title,
        description=rng.choice(_DESCRIPTIONS).format(**words),
        channel_id=channel[0],
        channel_title=channel[1],
        live_broadcast_content=live,
        duration=_iso_duration(seconds),
        duration_seconds=seconds,
        definition="hd" if rng.random() < 0.85 else "sd",
        caption=rng.random() < 0.3,
        licensed_content=rng.random() < 0.6,
        popularity=int(rng.lognormvariate(4, 2)) + 1,
        likes_per_mille=None if rng.random() < 0.03 else rng.randint(5, 80),
        comments_per_mille=None if rng.random() < 0.04 else rng.randint(1, 10),
        views_hidden=rng.random() < hidden_views_share,
    )


def _duration_seconds(rng: random.Random, *, short: bool) -> int:
    """A Short's title says #shorts, and only a Short lasts 3 minutes or less."""
    if short:
        return rng.randint(1, SHORTS_MAX_SECONDS)
    if rng.random() < 0.8:
        return rng.randint(SHORTS_MAX_SECONDS + 1, 20 * 60)
    return rng.randint(20 * 60 + 1, 3 * 3600)


def _iso_duration(seconds: int) -> str:
    if seconds == 0:
        return "P0D"
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n]
    return "PT" + "".join(parts)


def view_count(video: Video, *, at: datetime) -> int:
    """The true count at `at`: it grows as the square root of the video's age, for days."""
    if video.live_broadcast_content == "upcoming":
        return 0
    age_minutes = max(0, int((at - video.published_at).total_seconds()) // 60)
    return video.popularity * math.isqrt(age_minutes + 1)
