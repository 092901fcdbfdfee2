"""Plain data that flows between the stages: items, hits, matches, alerts.

Frozen dataclasses only; no I/O, no behaviour beyond (de)serialisation to the
JSON shapes of docs/output.md. Everything here must survive a round trip
through JSON, because the distributed runner passes it between Celery tasks.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

Role = Literal["quoted", "mentioned"]
Field = Literal["title", "body"]


@dataclass(frozen=True)
class WireItem:
    """One news item, whatever format it came in.

    ``id`` is stable for the same item fetched again (guid, else canonical link,
    else content hash). ``story_id`` is shared by updates, corrections and
    write-throughs of one story. ``published`` is ISO 8601: a date
    (``2022-01-12``) when only the date is known, else a UTC timestamp.
    """

    id: str
    title: str
    body: str
    source: str  # file path or feed URL the item was read from
    url: str | None = None
    language: str | None = None
    published: str | None = None
    agency: str | None = None
    publisher: str | None = None
    place: str | None = None  # dateline place, e.g. MOSCOW
    story_id: str | None = None
    version: int = 1
    kind: Literal["news", "kill"] = "news"
    feed_id: str | None = None
    tags: tuple[str, ...] = ()
    fetched_at: str | None = None  # ISO 8601 UTC timestamp

    def summary(self) -> dict[str, Any]:
        """The ``item`` object of docs/output.md."""
        return {
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "language": self.language,
            "published": self.published,
            "agency": self.agency,
            "publisher": self.publisher,
        }

    def to_dict(self) -> dict[str, Any]:
        # every field is a str, an int, None or a tuple of str: a shallow copy is enough,
        # and a poll makes two per item (``dataclasses.asdict`` deep-copies every value)
        data = {name: getattr(self, name) for name in _WIRE_FIELDS}
        data["tags"] = list(self.tags)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WireItem:
        values = dict(data)
        values["tags"] = tuple(values.get("tags") or ())
        return cls(**values)

    @property
    def story(self) -> str:
        return self.story_id or self.id


_WIRE_FIELDS = tuple(f.name for f in fields(WireItem))


@dataclass(frozen=True)
class Hit:
    """One place where a topic term or speaker alias matched.

    ``start``/``end`` are character offsets into the item's ``field`` as the item
    carries it, so ``getattr(item, field)[start:end] == text``.
    """

    field: Field
    start: int
    end: int
    text: str
    topic: str | None = None
    speaker: str | None = None
    snippet: str = ""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.topic is not None:
            data["topic"] = self.topic
        if self.speaker is not None:
            data["speaker"] = self.speaker
        data.update(field=self.field, start=self.start, end=self.end, text=self.text)
        if self.snippet:
            data["snippet"] = self.snippet
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Hit:
        return cls(**data)


@dataclass(frozen=True)
class SpeakerMatch:
    """A speaker found in an item, with their role and, when quoted, the quote."""

    name: str
    role: Role
    quote: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "quote": self.quote}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SpeakerMatch:
        return cls(**data)


@dataclass(frozen=True)
class Match:
    """An item that satisfied one watchlist, with the evidence."""

    watchlist: str
    topics: tuple[str, ...]
    speakers: tuple[SpeakerMatch, ...]
    hits: tuple[Hit, ...]
    channels: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "watchlist": self.watchlist,
            "topics": list(self.topics),
            "speakers": [s.to_dict() for s in self.speakers],
            "hits": [h.to_dict() for h in self.hits],
            "channels": list(self.channels),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Match:
        return cls(
            watchlist=data["watchlist"],
            topics=tuple(data["topics"]),
            speakers=tuple(SpeakerMatch.from_dict(s) for s in data["speakers"]),
            hits=tuple(Hit.from_dict(h) for h in data["hits"]),
            channels=tuple(data.get("channels", ())),
        )


@dataclass(frozen=True)
class Alert:
    """One alert per (watchlist, story). ``id`` is stable (it is the webhook-id).

    ``sources`` lists every outlet/URL that carried the story so far; a
    republication adds to it ("also carried by ...") instead of a new alert.
    ``update`` is 0 for the first send and counts the additions after it.
    """

    id: str
    watchlist: str
    item: WireItem
    topics: tuple[str, ...]
    speakers: tuple[SpeakerMatch, ...]
    hits: tuple[Hit, ...]
    story_id: str
    sources: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    created_at: str = ""
    update: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The ``alert`` object of docs/output.md (webhook body and file channel)."""
        return {
            "id": self.id,
            "watchlist": self.watchlist,
            "topics": list(self.topics),
            "speakers": [s.to_dict() for s in self.speakers],
            "hits": [h.to_dict() for h in self.hits],
            "item": self.item.summary(),
            "story": {"id": self.story_id, "sources": list(self.sources)},
            "created_at": self.created_at,
            "update": self.update,
        }

    def to_message(self) -> dict[str, Any]:
        """Everything needed to rebuild the alert on another process."""
        data = self.to_dict()
        data["item"] = self.item.to_dict()
        data["channels"] = list(self.channels)
        return data

    @classmethod
    def from_message(cls, data: dict[str, Any]) -> Alert:
        return cls(
            id=data["id"],
            watchlist=data["watchlist"],
            item=WireItem.from_dict(data["item"]),
            topics=tuple(data["topics"]),
            speakers=tuple(SpeakerMatch.from_dict(s) for s in data["speakers"]),
            hits=tuple(Hit.from_dict(h) for h in data["hits"]),
            story_id=data["story"]["id"],
            sources=tuple(data["story"]["sources"]),
            channels=tuple(data.get("channels", ())),
            created_at=data.get("created_at", ""),
            update=data.get("update", 0),
        )


@dataclass(frozen=True)
class DeliveryResult:
    """What happened when one alert went to one channel."""

    alert_id: str
    channel: str
    # busy: another sender holds the send lease (distributed runner); nothing was done
    status: Literal["sent", "retry", "dead", "busy"]
    attempts: int = 1
    detail: str = ""
    retry_after: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
