"""What an actor can do, as abilities (Screenplay): call the service's API, chat on devices.

An ability holds the tool and its state (the HTTP client; each device's connections), not the
actor's memory: tasks and questions use them on the actor's behalf. The third, browsing the web,
is `driver/web/browser.py`'s WebBrowsing (a browser profile; fixtures/browsing.py starts one per
person, the browsing steps give it to them) used by the page tasks (`tasks/page.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from driver.client.api import ChatApi
from driver.client.contract import SocketObserver, TimedEvent
from driver.client.socket import ChatSocket, patiently_busy
from driver.client.stream import RunStream


@runtime_checkable
class Ability(Protocol):
    """What an actor can do (screenpy's Forgettable): it can be forgotten when the cast dismisses
    the actor, releasing what it holds (connections, a browser profile)."""

    async def forget(self) -> None: ...


class CallTheApi:
    """The ability to call the service's HTTP API (chat.v1), on one server or another."""

    def __init__(self, api: ChatApi) -> None:
        self.api = api

    async def forget(self) -> None:
        """Nothing of theirs to release: the HTTP session is the scenario's, shared by all."""

    def on(self, service_url: str | None) -> ChatApi:
        """The API of another server (same HTTP session), or this one's when None."""
        return ChatApi(service_url, self.api.session) if service_url else self.api


def ws_url_of(service_url: str) -> str:
    return "ws" + service_url.rstrip("/").removeprefix("http") + "/ws"


class ChatOnDevices:
    """The ability to chat on devices: the latest connection of each device, every connection
    each device had (oldest first), and which server a device talks to."""

    def __init__(self, ws_url: str, *, timeout: float = 10.0) -> None:
        self.ws_url = ws_url
        self.timeout = timeout  # for a confirmation or an answer, unless a step says otherwise
        self.device_ws_urls: dict[str, str] = {}  # devices served by another instance
        self.sockets: dict[str, ChatSocket] = {}  # the latest connection of each device
        self._opened: list[tuple[str, ChatSocket]] = []

    def serve_from(self, device: str, service_url: str) -> None:
        """From now on that device connects to that server."""
        self.device_ws_urls[device] = ws_url_of(service_url)

    def url_of(self, device: str) -> str:
        return self.device_ws_urls.get(device, self.ws_url)

    async def open(
        self,
        device: str,
        *,
        who: str,
        access_token: str,
        observers: Sequence[SocketObserver],
        origin: str | None = None,
        browser: bool = False,
        poor_link: bool = False,
    ) -> ChatSocket:
        """The device's open connection, or a new one (a browser puts the pass in the
        subprotocols; a device on a `poor_link` offers a small window and no compression)."""
        current = self.sockets.get(device)
        if current is not None and current.is_open:
            return current
        before = len(self.connections_of(device))
        socket = await patiently_busy(
            lambda: ChatSocket.connect(
                self.url_of(device),
                access_token=access_token,
                origin=origin,
                use_subprotocol=browser,
                name=f"{who}'s {device}" + (f" (connection {before + 1})" if before else ""),
                observers=observers,
                poor_link=poor_link,
            )
        )
        self.sockets[device] = socket
        self._opened.append((device, socket))
        return socket

    def socket(self, device: str, who: str) -> ChatSocket:
        socket = self.sockets.get(device)
        if socket is None:
            raise AssertionError(f"{who} never opened the chat on a {device}")
        return socket

    def connections_of(self, device: str) -> list[ChatSocket]:
        """Every connection that device has had, oldest first."""
        return [socket for name, socket in self._opened if name == device]

    def connections(self) -> list[ChatSocket]:
        """Every connection of every device, oldest first."""
        return [socket for _, socket in self._opened]

    def streams_of(self, run_id: str) -> list[RunStream]:
        """That run as each connection saw it."""
        return [s.streams[run_id] for _, s in self._opened if run_id in s.streams]

    def streams_on(self, device: str) -> list[RunStream]:
        """Every run stream of every connection this device has had."""
        return [s for sock in self.connections_of(device) for s in sock.streams.values()]

    def events_on(self, run_id: str, device: str) -> list[TimedEvent]:
        """Every event of that run the device received, over all its connections, in arrival
        order."""
        return [e for s in self.streams_on(device) if s.run_id == run_id for e in s.events]

    def runs_asked(self) -> list[str]:
        """Every run their questions started (from the confirmations their devices read)."""
        seen: list[str] = []
        for ack in (ack for socket in self.connections() for ack in socket.acks):
            if ack.run_id not in seen:
                seen.append(ack.run_id)
        return seen

    def last_in_order(self, run_id: str, device: str | None = None) -> int:
        """The highest seq seen (on that device's connections, or any) without a gap from 1:
        what to resume after."""
        streams = self.streams_of(run_id)
        if device is not None:
            streams = [s for s in self.streams_on(device) if s.run_id == run_id]
        seen = {e.seq for stream in streams for e in stream.events}
        last = 0
        while last + 1 in seen:
            last += 1
        return last

    async def close(self, device: str) -> None:
        socket = self.sockets.get(device)
        if socket is not None:
            await socket.close()

    async def close_all(self) -> None:
        """Close every open connection (normal closure)."""
        for _, socket in self._opened:
            if socket.is_open:
                await socket.close()

    async def forget(self) -> None:
        """Hang up every device; what the connections saw stays readable for the evidence."""
        await self.close_all()
