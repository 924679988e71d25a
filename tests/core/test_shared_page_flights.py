"""Readers who miss the same shared page at once share one render, with real Redis.

`shared_page` is called as the catalog calls it, with a render that counts its calls and,
where the test needs the moment, waits until the other reader is waiting on Redis.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.test import RequestFactory

from core import http_cache

JOIN_SECONDS = 30  # a bound for the test itself: a reader that never returns fails it


@pytest.fixture(autouse=True)
def _shared_pages(settings: Any) -> None:
    settings.SHARED_PUBLIC_PAGES = True
    if http_cache._redis() is None:
        pytest.skip("single flight needs the shared cache in Redis (REDIS_URL)")
    cache.clear()


def _request() -> Any:
    return RequestFactory().get(f"/flights/{uuid.uuid4().hex}/", HTTP_HOST="localhost")


def _same_page(request: Any) -> Any:
    again = RequestFactory().get(request.path, HTTP_HOST="localhost")
    return again


class Renders:
    """A page's render, counted; `hold` keeps the first one going until `go` is set."""

    def __init__(self, *, hold: bool = False, fail_first: bool = False) -> None:
        self.count = 0
        self.lock = threading.Lock()
        self.started = threading.Event()
        self.go = threading.Event()
        if not hold:
            self.go.set()
        self.fail_first = fail_first

    def __call__(self) -> HttpResponseBase:
        with self.lock:
            self.count += 1
            first = self.count == 1
        if first:
            self.started.set()
            self.go.wait(JOIN_SECONDS)
            if self.fail_first:
                raise RuntimeError("the database went away")
        response = HttpResponse(f"<p>render {self.count if not first else 1}</p>")
        return http_cache.publish(response, http_cache.etag_of("flight-test", "v1"))


def _read(request: Any, render: Callable[[], HttpResponseBase], out: list[Any]) -> None:
    try:
        out.append(
            http_cache.shared_page(
                request, parts=("flight",), versions=("flight-test",), render=render, timeout=60
            )
        )
    except Exception as error:  # the reader whose render failed gets its error
        out.append(error)
    finally:
        connection.close()


def _key(request: Any) -> str:
    """The shared cache's key of the page `_read` asks for (as `shared_page` makes it)."""
    return http_cache.page_key(request, ("flight",))


def _waiting_on_redis(count: int) -> bool:
    """Whether `count` readers are blocked on a flight's answer in Redis."""
    client = http_cache._redis()
    return sum(1 for c in client.client_list() if c.get("cmd") == "blmove") >= count


def _until(condition: Callable[[], bool]) -> None:
    done = threading.Event()
    for _ in range(JOIN_SECONDS * 100):
        if condition():
            return
        done.wait(0.01)
    raise AssertionError("never happened")


@pytest.mark.django_db(transaction=True)
def test_two_readers_missing_the_same_page_at_once_cost_one_render():
    render = Renders(hold=True)
    request = _request()
    first: list[Any] = []
    second: list[Any] = []
    leader = threading.Thread(target=_read, args=(request, render, first))
    leader.start()
    _until(render.started.is_set)
    follower = threading.Thread(target=_read, args=(_same_page(request), render, second))
    follower.start()
    _until(lambda: _waiting_on_redis(1))
    render.go.set()
    leader.join(JOIN_SECONDS)
    follower.join(JOIN_SECONDS)

    assert not leader.is_alive()
    assert not follower.is_alive()
    assert render.count == 1
    assert first[0].status_code == second[0].status_code == 200
    assert first[0].content == second[0].content == b"<p>render 1</p>"
    assert first[0]["ETag"] == second[0]["ETag"]


@pytest.mark.django_db(transaction=True)
def test_when_the_render_fails_the_waiting_readers_render_the_page_themselves():
    render = Renders(hold=True, fail_first=True)
    request = _request()
    first: list[Any] = []
    others: list[list[Any]] = [[], []]
    leader = threading.Thread(target=_read, args=(request, render, first))
    leader.start()
    _until(render.started.is_set)
    followers = [
        threading.Thread(target=_read, args=(_same_page(request), render, out)) for out in others
    ]
    for follower in followers:
        follower.start()
    _until(lambda: _waiting_on_redis(2))
    render.go.set()
    for thread in (leader, *followers):
        thread.join(JOIN_SECONDS)

    assert not any(thread.is_alive() for thread in (leader, *followers))
    assert isinstance(first[0], RuntimeError)  # the failing reader gets its error
    for out in others:
        assert out[0].status_code == 200
        assert out[0].content.startswith(b"<p>render ")
    assert render.count >= 2  # the followers rendered it, not waited on


@pytest.mark.django_db(transaction=True)
def test_a_renderer_that_never_answers_does_not_hold_the_others(monkeypatch):
    monkeypatch.setattr(http_cache, "FLIGHT_WAIT_SECONDS", 0.3)
    request = _request()
    vanished = http_cache._Flight.join(_key(request))  # a process that took the render and died
    assert vanished is not None
    assert vanished.leading
    render = Renders()
    out: list[Any] = []

    reader = threading.Thread(target=_read, args=(_same_page(request), render, out))
    reader.start()
    reader.join(JOIN_SECONDS)

    assert not reader.is_alive()
    assert render.count == 1  # rendered by the reader itself after its bounded wait
    assert out[0].status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_page_that_cannot_be_shared_lets_the_waiters_render_it():
    calls: list[int] = []
    go = threading.Event()
    started = threading.Event()

    def not_found() -> HttpResponseBase:
        calls.append(1)
        if len(calls) == 1:
            started.set()
            go.wait(JOIN_SECONDS)
        return HttpResponse("gone", status=404)

    request = _request()
    first: list[Any] = []
    second: list[Any] = []
    leader = threading.Thread(target=_read, args=(request, not_found, first))
    leader.start()
    _until(started.is_set)
    follower = threading.Thread(target=_read, args=(_same_page(request), not_found, second))
    follower.start()
    _until(lambda: _waiting_on_redis(1))
    go.set()
    leader.join(JOIN_SECONDS)
    follower.join(JOIN_SECONDS)

    assert first[0].status_code == second[0].status_code == 404
    assert len(calls) == 2


@pytest.mark.django_db(transaction=True)
def test_a_reader_revalidating_its_copy_follows_a_render_but_never_leads_one():
    render = Renders(hold=True)
    request = _request()
    first: list[Any] = []
    revalidating: list[Any] = []
    leader = threading.Thread(target=_read, args=(request, render, first))
    leader.start()
    _until(render.started.is_set)
    again = RequestFactory().get(request.path, HTTP_HOST="localhost", HTTP_IF_NONE_MATCH='"x"')
    follower = threading.Thread(target=_read, args=(again, render, revalidating))
    follower.start()
    _until(lambda: _waiting_on_redis(1))
    render.go.set()
    leader.join(JOIN_SECONDS)
    follower.join(JOIN_SECONDS)
    other = _request()
    lock = cache.make_key(_key(other) + ":render")
    locked_while_rendering: list[int] = []

    def render_alone() -> HttpResponseBase:
        locked_while_rendering.append(http_cache._redis().exists(lock))
        return render()

    alone: list[Any] = []
    revalidate = RequestFactory().get(other.path, HTTP_HOST="localhost", HTTP_IF_NONE_MATCH='"x"')
    _read(revalidate, render_alone, alone)

    assert render.count == 2  # the leader's, and the lone revalidating reader's
    assert revalidating[0].content == first[0].content  # it followed the render under way
    assert alone[0].status_code == 200
    assert locked_while_rendering == [0]  # alone, it rendered without taking the lock
