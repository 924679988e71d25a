"""The private APIs the live path leans on are where the pinned versions keep them.

The hub writes framed bytes straight to uvicorn's sans-I/O protocol (core/live/hub.py,
`wire_protocol`). That class is not public API: uv.lock pins uvicorn, and these tests say
plainly what moved when a new lock brings a uvicorn without it, instead of the web
processes quietly serving every frame the slow way.
"""

from __future__ import annotations

import importlib
import inspect
from importlib import metadata

from core.live import hub as hub_module

LOCK_HINT = (
    "the hub's wire path (core/live/hub.py, wire_protocol) would be off under uvicorn {version}: "
    "keep the uvicorn that uv.lock pinned before, or update the hub for the new one"
)


def test_uvicorns_sans_io_protocol_class_is_importable_where_the_hub_imports_it():
    version = metadata.version("uvicorn")

    module = importlib.import_module(hub_module.SANSIO_MODULE)

    assert not hub_module.SANSIO_MISSING, f"{hub_module.SANSIO_MISSING}; " + LOCK_HINT.format(
        version=version
    )
    assert hub_module.SANSIO_PROTOCOL is module.WebSocketsSansIOProtocol


def test_the_protocol_still_sets_every_attribute_the_wire_path_reads():
    version = metadata.version("uvicorn")
    source = inspect.getsource(hub_module.SANSIO_PROTOCOL)

    missing = [
        name
        for name in hub_module.SANSIO_ATTRIBUTES
        if f"self.{name} " not in source
        and f"self.{name}:" not in source
        and f"def {name}(" not in source
    ]

    assert not missing, f"WebSocketsSansIOProtocol no longer sets {missing}; " + LOCK_HINT.format(
        version=version
    )


def test_a_missing_protocol_turns_the_wire_path_off_instead_of_stopping_the_process(
    monkeypatch,
):
    class Accepted:
        handshake_complete = True

        def send(self, message):  # the shape of a bound ASGI send
            return message

    monkeypatch.setattr(hub_module, "SANSIO_PROTOCOL", None)

    assert hub_module.wire_protocol(Accepted().send) is None
    hub_module.release_handshake(Accepted().send)  # no error: nothing to let go
