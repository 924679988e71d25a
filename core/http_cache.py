"""HTTP caching of public pages: ETags, conditional GETs, and `Cache-Control` per audience.

A public page read anonymously gets a validator (an ETag made from what the page shows) and
`Cache-Control: public, max-age=0, must-revalidate`: browsers and shared caches may keep it
but ask again each time, and the answer to an unchanged page is an empty 304. A page read by
a signed-in person is `private, no-cache` and carries no validator: no shared cache ever
keeps a page with someone's data, and one person's copy is never confirmed to another.

`PublicPageHeaders` (a middleware, outside the CSRF one) has the last word: a response that
sets a cookie (a first visit's CSRF token, a session) is never left public, and a public page
does not re-send the CSRF cookie the reader already holds.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.middleware.csrf import get_token
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.html import escape
from django.utils.translation import get_language

PUBLIC = "public, max-age=0, must-revalidate"
PRIVATE = "private, no-cache"
PUBLIC_MARK = "_mazad_public_page"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShellPart:
    """Something every page shows beside its own content.

    `state` reads what the pages show of it now (it joins each page's ETag); `version` names
    the counter its changes bump (`changed`), and `changes_at` says when it next changes by
    the clock alone (an announcement that starts or ends), or None. A shared page is kept
    while the counter stands still and until that time, so a hit reads neither.
    """

    version: str
    state: Callable[[], Any]
    changes_at: Callable[[], datetime | None]


# What every page shows beside its own content (the site shell's announcements). The shell
# registers it at start-up (frontend/apps.py), so an app's page validators change with it
# while no app imports the shell.
_on_every_page: list[ShellPart] = []


def shown_on_every_page(part: ShellPart) -> None:
    """Register something every page shows (see `ShellPart`)."""
    if part not in _on_every_page:
        _on_every_page.append(part)


def shell_state() -> list[Any]:
    """What every page shows beside its own content, for a page's ETag."""
    return [part.state() for part in _on_every_page]


def _shell_changes_at() -> float | None:
    """The first time a shell part changes by the clock alone (a timestamp), or None."""
    times = [at for part in _on_every_page if (at := part.changes_at()) is not None]
    return min(times).timestamp() if times else None


def etag_of(*parts: Any) -> str:
    """A strong ETag of what a page shows, in the active language."""
    digest = hashlib.sha256(repr((get_language(), *parts)).encode()).hexdigest()[:32]
    return f'"{digest}"'


def is_anonymous_reader(request: HttpRequest) -> bool:
    """Anonymous, and with no one-time message waiting: the page is the same for everyone."""
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        return False
    storage: Any = messages.get_messages(request)
    waiting = any(True for _message in storage)
    if hasattr(storage, "used"):
        storage.used = False  # looking must not consume them
    return not waiting


def not_modified(request: HttpRequest, etag: str) -> HttpResponseBase | None:
    """The 304 answer when the reader already holds this version, else None."""
    found = get_conditional_response(request, etag=etag)
    if found is not None:
        _public(found, etag)
    return found


def _public(response: HttpResponseBase, etag: str) -> None:
    response["ETag"] = etag
    response["Cache-Control"] = PUBLIC
    patch_vary_headers(response, ("Cookie", "Accept-Language"))
    setattr(response, PUBLIC_MARK, True)


def publish(response: HttpResponseBase, etag: str | None) -> HttpResponseBase:
    """Marks an anonymous page public with its ETag, or any other page private."""
    if etag is None:
        response["Cache-Control"] = PRIVATE
        patch_vary_headers(response, ("Cookie",))
    else:
        _public(response, etag)
    return response


class PublicPageHeaders:
    """Takes a page out of shared caches when it sets a cookie (a session, a CSRF token)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not getattr(response, PUBLIC_MARK, False):
            return response
        # Django re-sends an unchanged CSRF cookie with every page that holds a token, to
        # refresh its expiry; a public page leaves it as the reader has it.
        name = settings.CSRF_COOKIE_NAME
        sent = response.cookies.get(name)
        if sent is not None and sent.value == request.COOKIES.get(name):
            del response.cookies[name]
        if response.cookies:
            response["Cache-Control"] = PRIVATE
            del response["ETag"]
        return response


def cached_fragment(key: str, render: Callable[[], str], timeout: int) -> str:
    """A rendered page part from the shared cache, rendered and stored on a miss.

    The key names everything the part shows, so a change makes a new key and the old entry
    simply expires. When the cache cannot be reached the part is rendered each time: a
    cache outage slows the page, never breaks it.
    """
    try:
        found = cache.get(key)
    except Exception:  # any cache client failure means: render it
        logger.warning("page part cache unreachable", exc_info=True)
        return render()
    if isinstance(found, str):
        return found
    html = render()
    try:
        cache.set(key, html, timeout)
    except Exception:
        logger.warning("page part cache unreachable", exc_info=True)
    return html


def cached_fragments(parts: list[tuple[str, Callable[[], str]]], timeout: int) -> list[str]:
    """Many rendered parts (the rows of a list) in one round trip; the missing ones rendered.

    As `cached_fragment`, each key names everything its part shows.
    """
    try:
        found = cache.get_many([key for key, _render in parts])
    except Exception:
        logger.warning("page part cache unreachable", exc_info=True)
        return [render() for _key, render in parts]
    rendered = {key: render() for key, render in parts if not isinstance(found.get(key), str)}
    if rendered:
        try:
            cache.set_many(rendered, timeout)
        except Exception:
            logger.warning("page part cache unreachable", exc_info=True)
    return [found[key] if key not in rendered else rendered[key] for key, _render in parts]


def _versioned_key(kind: str, parts: tuple[Any, ...], versions: tuple[str, ...]) -> str:
    names = [version_name(name) for name in versions]
    found = cache.get_many(names)
    current = [int(found.get(name) or 0) for name in names]
    return f"{kind}:" + etag_of(parts, current).strip('"')


def versioned_fragment(
    parts: tuple[Any, ...], versions: tuple[str, ...], render: Callable[[], str], timeout: int
) -> str:
    """A rendered page part kept while the version counters `versions` stand still.

    For a part whose key cannot name everything it shows (a list's page: its rows, counts
    and links): the changes to what it shows bump the counters (`changed`) at once and
    after their commit, so a part rendered between the two is retired by the second. The
    key is made of `parts` and the counters as read first; a cache outage renders the part.
    """
    try:
        key = _versioned_key("part", parts, versions)
    except Exception:
        logger.warning("page part cache unreachable", exc_info=True)
        return render()
    return cached_fragment(key, render, timeout)


def versioned_value(
    parts: tuple[Any, ...], versions: tuple[str, ...], read: Callable[[], Any], timeout: int
) -> Any:
    """A value kept while the version counters `versions` stand still (`versioned_fragment`)."""
    try:
        key = _versioned_key("value", parts, versions)
    except Exception:
        logger.warning("page part cache unreachable", exc_info=True)
        return read()
    return cached_value(key, read, timeout)


def cached_value(key: str, read: Callable[[], Any], timeout: int) -> Any:
    """A value from the shared cache, read and stored on a miss (read directly on an outage)."""
    try:
        found = cache.get(key)
    except Exception:
        return read()
    if found is not None:
        return found
    value = read()
    try:
        cache.set(key, value, timeout)
    except Exception:
        logger.warning("page part cache unreachable", exc_info=True)
    return value


# --- whole anonymous pages, shared by every reader until what they show changes -------------

CSRF_MARK = "mazad-shared-page-csrf-token"
NEXT_MARK = "mazad-shared-page-next-path"
TOKEN_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
TOKEN_MARKED = f'name="csrfmiddlewaretoken" value="{CSRF_MARK}"'


def version_name(name: str) -> str:
    """The shared cache's key of a page version counter (`shared_page`)."""
    return f"page-version:{name}"


def changed(*names: str) -> None:
    """Marks the pages that depend on `names` as changed (call after commit). Never raises.

    Changes that publish live frames bump their versions in the same round trip instead
    (core/live/hub.py, `publish_many`); this is for the others (an auction's publication).
    """
    for name in names:
        key = version_name(name)
        try:
            cache.incr(key)
        except ValueError:
            try:
                cache.add(key, 1, None)
            except Exception:
                logger.warning("page versions unreachable", exc_info=True)
        except Exception:
            logger.warning("page versions unreachable", exc_info=True)


def normalised_query(request: HttpRequest) -> list[tuple[str, str]]:
    """The query string's pairs in a fixed order: the same page for `?a=1&b=2` and `?b=2&a=1`."""
    return sorted((name, value) for name, values in request.GET.lists() for value in values)


def _next_input(request: HttpRequest) -> str:
    # What base.html's language switch renders: the page's own address to come back to.
    return f'name="next" value="{escape(request.get_full_path())}"'


# A page missed by many readers at once is rendered by one of them (single flight): the first
# takes a lock in Redis and renders; the others wait on a list the renderer pushes to when the
# page is stored (or when it could not share it), then read the page as any hit does. A wait
# is a blocking Redis read in the request's own thread (Django runs a sync view in a thread of
# its own per request under ASGI), bounded by `FLIGHT_WAIT_SECONDS`: after it, or when the
# renderer failed, a waiter renders the page itself. No one sleeps, and no one hangs.
FLIGHT_LOCK_SECONDS = 10
FLIGHT_WAIT_SECONDS = 3.0
SHOWS_MARK = "_mazad_shared_page_shows"
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class Shows:
    """What a rendered page shows that its own version counters track (the lots on a catalog
    page), and how to confirm that the render still shows their current state.

    Set on a response with `shows(response, names, confirm)`. The shared copy keeps the
    counters' values as read after the render, and is valid while they stand still; it is
    stored only if `confirm()` (asked after that read) says nothing the page shows changed
    since the render read it, so a change that lands during the render, whose counter was
    bumped before the read, never leaves its old state shared.
    """

    def __init__(
        self, names: list[str], confirm: Callable[[], bool], until: datetime | None = None
    ) -> None:
        self.names = names
        self.confirm = confirm
        self.until = until


def shows(
    response: HttpResponseBase,
    names: list[str],
    confirm: Callable[[], bool],
    *,
    until: datetime | None = None,
) -> None:
    """Marks a rendered page as showing what the counters `names` track (see `Shows`), and,
    with `until`, as reading otherwise from that moment by the clock alone (a time left)."""
    setattr(response, SHOWS_MARK, Shows(names, confirm, until))


def _redis() -> Any:
    """The shared cache's Redis client, or None when the cache is not Redis (tests, one host)."""
    backend: Any = cache
    client = getattr(backend, "_cache", None)
    if client is None or not hasattr(client, "get_client"):
        return None
    return client.get_client(None, write=True)


class _Flight:
    """One render of a missed page for everyone who missed it at the same moment."""

    def __init__(self, client: Any, key: str, token: str, *, leading: bool) -> None:
        self.client = client
        self.lock = cache.make_key(key + ":render")
        self.token = token
        self.leading = leading

    @classmethod
    def join(cls, key: str, *, lead: bool = True) -> _Flight | None:
        """Leads the render of `key`, or follows the reader already rendering it; None when
        Redis cannot say (every reader then renders, as without a cache), or when no one is
        rendering it and this reader may not lead (`lead=False`)."""
        try:
            client = _redis()
            if client is None:
                return None
            token = uuid.uuid4().hex
            lock = cache.make_key(key + ":render")
            if lead:
                held = client.set(lock, token, nx=True, px=FLIGHT_LOCK_SECONDS * 1000, get=True)
            else:
                held = client.get(lock)
                if held is None:
                    return None
        except Exception:
            logger.warning("page cache unreachable", exc_info=True)
            return None
        if held is None:
            return cls(client, key, token, leading=True)
        return cls(
            client, key, held.decode() if isinstance(held, bytes) else str(held), leading=False
        )

    @property
    def _done(self) -> str:
        return f"{self.lock}:{self.token}"

    def wait(self) -> bool:
        """Waits (bounded) for the leader: True when it stored the page."""
        try:
            told = self.client.blmove(self._done, self._done, FLIGHT_WAIT_SECONDS, "RIGHT", "LEFT")
        except Exception:
            logger.warning("page cache unreachable", exc_info=True)
            return False
        return told in (b"1", "1")

    def finish(self, *, stored: bool) -> None:
        """Tells every follower, present and arriving, how it went; lets go of the lock."""
        try:
            pipeline = self.client.pipeline(transaction=False)
            pipeline.rpush(self._done, "1" if stored else "0")
            pipeline.pexpire(self._done, int(FLIGHT_WAIT_SECONDS * 1000) + 1000)
            pipeline.eval(_RELEASE, 1, self.lock, self.token)
            pipeline.execute()
        except Exception:
            logger.warning("page cache unreachable", exc_info=True)


def shared_page(
    request: HttpRequest,
    *,
    parts: tuple[Any, ...],
    versions: tuple[str, ...],
    render: Callable[[], HttpResponseBase],
    timeout: int,
) -> HttpResponseBase:
    """An anonymous reader's page from the shared cache: one render for a thousand readers.

    The entry is keyed by the path, the normalised query, the language and the caller's
    `parts`; it is valid while the counters named in `versions` and those of what every page
    shows (`ShellPart`) are unchanged (they are read in the same round trip as the entry),
    until the shell next changes by the clock alone, and while the counters of what the
    render said it shows (`shows`: a catalog page's lots) are unchanged. A change bumps them
    after its commit, so a reader who comes after the change never gets the page from
    before it. Readers who miss the same page at once share one render (`_Flight`).
    The shared copy holds marks in place of the CSRF tokens and of the page's own address
    (the language switch's `next`): each reader gets their own. Only a 200 with an ETag is
    shared. Signed-in readers and readers with a message waiting never come here
    (`is_anonymous_reader`); a cache outage renders every page, never breaks one.
    """
    if not settings.SHARED_PUBLIC_PAGES:
        return render()
    key = page_key(request, parts)
    names = [version_name(name) for name in (*versions, *(p.version for p in _on_every_page))]
    found = _lookup(request, key, names)
    if found is None:
        return render()
    served, current = found
    if served is not None:
        return served
    # A reader revalidating its copy (If-None-Match) gets a 304 from the render, which is not
    # a page to share: it follows a render under way but never leads one.
    flight = _Flight.join(key, lead="HTTP_IF_NONE_MATCH" not in request.META)
    if flight is not None and not flight.leading:
        if flight.wait():
            found = _lookup(request, key, names)
            if found is not None and found[0] is not None:
                return found[0]
            if found is not None:
                current = found[1]
        flight = None  # the leader failed, or the page changed again: render it here
    stored = False
    try:
        # Asked before the render: a part that changes while it renders ends the entry at once.
        until = _shell_changes_at()
        rendered = render()
        stored = _store(request, key, current, until, rendered, timeout)
        return rendered
    finally:
        if flight is not None:
            flight.finish(stored=stored)


def page_key(request: HttpRequest, parts: tuple[Any, ...]) -> str:
    """The shared cache's key of an anonymous reader's page (`shared_page`)."""
    return "page:" + etag_of(request.path, normalised_query(request), parts).strip('"')


# With Redis, a hit is one round trip: the counters, the entry, and whether the counters of
# what the page shows (a catalog page's lots) still hold the values the entry was stored
# with. Those are in a companion key beside the entry (`<entry>:shown`, "key\nvalue\n..."),
# compared here in Redis: 1 when all hold, 0 when one moved, -1 when there is none.
_LOOKUP = """
local values = redis.call('MGET', unpack(KEYS))
local shown = redis.call('GET', KEYS[#KEYS] .. ':shown')
local state = -1
if shown then
  state = 1
  local name = nil
  for line in string.gmatch(shown, '[^\\n]+') do
    if name == nil then
      name = line
    else
      if (redis.call('GET', name) or '0') ~= line then
        state = 0
        break
      end
      name = nil
    end
  end
end
values[#values + 1] = state
return values
"""
_lookup_script: list[Any] = []  # made once, run with whichever client reads


def _read(key: str, names: list[str]) -> tuple[Any, list[int], bool | None]:
    """The entry (or None), the counters `names` as read, and whether the counters of what the
    entry shows still hold (None when the cache is not Redis: the caller reads them)."""
    client = _redis()
    if client is None:
        found = cache.get_many([*names, key])
        return found.get(key), [int(found.get(name) or 0) for name in names], None
    if not _lookup_script:
        _lookup_script.append(client.register_script(_LOOKUP))
    keys = [*(cache.make_key(name) for name in names), cache.make_key(key)]
    reply = _lookup_script[0](keys=keys, client=client)
    raw, state = reply[-2], reply[-1]
    entry = None if raw is None else _serializer().loads(raw)
    return entry, [int(value or 0) for value in reply[:-2]], state == 1


def _serializer() -> Any:
    backend: Any = cache
    return backend._cache._serializer


def _lookup(
    request: HttpRequest, key: str, names: list[str]
) -> tuple[HttpResponseBase | None, list[int]] | None:
    """The reader's page when the shared copy is current, and the counters as read; None when
    the cache cannot be reached."""
    try:
        entry, current, shown_hold = _read(key, names)
    except Exception:
        logger.warning("page cache unreachable", exc_info=True)
        return None
    if not isinstance(entry, dict) or entry.get("versions") != current:
        return None, current
    until = entry.get("until")
    if until is not None and time.time() >= until:
        return None, current  # it reads otherwise by now: an announcement, a time left
    shown_names, shown_values = entry.get("shown") or ([], [])
    if shown_names and shown_hold is None:
        try:
            now_shown = cache.get_many(shown_names)
        except Exception:
            logger.warning("page cache unreachable", exc_info=True)
            return None
        shown_hold = [int(now_shown.get(name) or 0) for name in shown_names] == shown_values
    if shown_names and not shown_hold:
        return None, current
    etag = str(entry["etag"])
    unchanged = not_modified(request, etag)
    if unchanged is not None:
        return unchanged, current
    served = HttpResponse(_personal(entry["body"], request), content_type=entry["type"])
    _public(served, etag)
    return served, current


def _write(key: str, entry: dict[str, Any], timeout: int) -> None:
    """Stores an entry, and with Redis its companion of shown counters in the same
    transaction (`_LOOKUP`)."""
    client = _redis()
    if client is None:
        cache.set(key, entry, timeout)
        return
    made = cache.make_key(key)
    names, values = entry.get("shown") or ([], [])
    pairs = zip(names, values, strict=True)
    shown = "\n".join(f"{cache.make_key(name)}\n{value}" for name, value in pairs)
    pipeline = client.pipeline(transaction=True)
    pipeline.set(made, _serializer().dumps(entry), px=timeout * 1000)
    if shown:
        pipeline.set(f"{made}:shown", shown, px=timeout * 1000)
    else:
        pipeline.delete(f"{made}:shown")
    pipeline.execute()


def _store(
    request: HttpRequest,
    key: str,
    current: list[int],
    until: float | None,
    rendered: HttpResponseBase,
    timeout: int,
) -> bool:
    """Shares a rendered page (a 200 with an ETag) and gives the reader their own copy of it."""
    if (
        rendered.status_code != 200
        or not rendered.get("ETag")
        or not isinstance(rendered, HttpResponse)
        or rendered.streaming
    ):
        return False
    response, etag = rendered, str(rendered["ETag"])
    shared = TOKEN_INPUT.sub(TOKEN_MARKED, response.content.decode())
    shared = shared.replace(_next_input(request), NEXT_MARK)
    response.content = _personal(shared, request).encode()
    entry: dict[str, Any] = {
        "versions": current, "etag": etag, "body": shared, "type": response["Content-Type"],
        "until": until,
    }  # fmt: skip
    try:
        marked: Shows | None = getattr(rendered, SHOWS_MARK, None)
        if marked is not None and marked.until is not None:
            moment = marked.until.timestamp()
            entry["until"] = moment if until is None else min(until, moment)
        if marked is not None and marked.names:
            names = [version_name(name) for name in marked.names]
            values = cache.get_many(names)
            if not marked.confirm():
                return False  # changed while it rendered: this reader's page only
            entry["shown"] = (names, [int(values.get(name) or 0) for name in names])
        _write(key, entry, timeout)
    except Exception:
        logger.warning("page cache unreachable", exc_info=True)
        return False
    return True


def _personal(shared: str, request: HttpRequest) -> str:
    """A shared page with this reader's CSRF token and address in place of the marks."""
    return shared.replace(CSRF_MARK, get_token(request)).replace(NEXT_MARK, _next_input(request))
