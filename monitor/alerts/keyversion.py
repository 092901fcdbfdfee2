"""While the story index may still hold the body keys of an earlier release.

Stories are filed under their names (``decide.story_keys``), among them the body's
near-duplicate keys. Releases before ``body2`` keys filed them under
``nearbody.legacy_body_keys``; a copy of a story alerted just before an upgrade must
still find it, or it would be alerted twice. So for one ``story_window`` after this
release first decided an item against a store, items are looked up and filed under
both kinds of key; after that, no record under the old keys can be live.

That moment is kept in the store itself, as a story record under a watchlist name no
config can have, so every process against one store (workers, pollers, restarts)
agrees on it. A store that holds no story at that moment (a new install) needs no such
window. Does I/O through the ``Store`` it is given, once per store and process.
"""

from __future__ import annotations

import threading
import weakref

from monitor.state.base import Store, StoryRecord

# No watchlist has an empty name (the config schema), so no story collides with this.
MARKER_WATCHLIST = ""
MARKER_KEY = "nearbody:body2-since"
_KEPT = 100 * 365 * 86400.0  # the marker never expires

_since: weakref.WeakKeyDictionary[Store, float] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def legacy_keys_due(store: Store, *, window: float, now: float) -> bool:
    """Whether items must also go by the earlier release's body keys now."""
    with _lock:
        since = _since.get(store)
        if since is None:
            since = _read_or_mark(store, now)
            _since[store] = since
    return now < since + window


def _read_or_mark(store: Store, now: float) -> float:
    found = store.get_story(MARKER_WATCHLIST, MARKER_KEY)
    if found is not None:
        return found.first_seen
    # 0.0: a window that ended long ago; a store with stories starts one now
    since = 0.0
    if store.has_stories():
        # Another process may have marked the store between the two reads, then filed
        # stories under the new keys alone (workers starting together on a new
        # install): its marker is the answer, not the stories it filed after it.
        found = store.get_story(MARKER_WATCHLIST, MARKER_KEY)
        if found is not None:
            return found.first_seen
        since = now
    marker = StoryRecord(
        alert_id="", watchlist=MARKER_WATCHLIST, story_key=MARKER_KEY, first_seen=since, sources=()
    )
    store.put_story(marker, _KEPT)
    return since
