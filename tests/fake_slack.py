"""A local fake of Slack's Web API and response_url endpoint that records every call.

The one fake Slack of the tests and of `bench/`. Options for long benchmark runs: `record=False`
keeps nothing (memory stays flat; `watch` sees every call instead), and `post_interval` limits
`chat.postMessage` per channel as Slack does, answering 429 with `Retry-After` beyond it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

Responder = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    token: str | None = None


# Sees each call and what the fake answered it; a response_url post is a call of method
# "response" (its body, with `_rid`, as args) answered {"ok": True}.
Watcher = Callable[[Call, dict[str, Any]], None]


@dataclass
class FakeSlack:
    """Serve `/api/<method>`, `/response/<id>` and `/upload/<id>` on 127.0.0.1."""

    calls: list[Call] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    uploads: dict[str, bytes] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    overrides: dict[str, Responder] = field(default_factory=dict)
    expired: set[str] = field(default_factory=set)  # response_url ids Slack no longer takes
    record: bool = True  # False: keep no calls, responses or uploads (long benchmark runs)
    post_interval: float = 0.0  # > 0: one chat.postMessage per channel per this many seconds
    ratelimited: int = 0  # calls answered 429 because of post_interval
    watchers: list[Watcher] = field(default_factory=list)
    url: str = ""
    _ts: Any = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _last_post: dict[str, float] = field(default_factory=dict)
    _runner: web.AppRunner | None = None

    async def start(self) -> FakeSlack:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        # slack_sdk sends some methods as GET (users.info) or with query parameters (files.*).
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{rid}", self._response)
        app.router.add_post("/upload/{fid}", self._upload)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def response_url(self, rid: str | int = "r1") -> str:
        return f"{self.url}/response/{rid}"

    def on(self, method: str, responder: Responder | dict[str, Any]) -> None:
        """Answer `method` with a fixed payload or a function of the call's args."""
        self.overrides[method] = responder if callable(responder) else (lambda _a: responder)

    def watch(self, watcher: Watcher) -> None:
        """Call `watcher` with every call and its answer (also when `record` is False)."""
        self.watchers.append(watcher)

    def add_user(
        self,
        user_id: str,
        *,
        email: str,
        name: str = "",
        admin: bool = False,
        tz: str = "Europe/Berlin",
    ) -> None:
        """A user `users.info` will describe."""
        self.users[user_id] = {
            "id": user_id,
            "name": name or user_id.lower(),
            "real_name": name or user_id,
            "is_admin": admin,
            "is_owner": False,
            "tz": tz,
            "profile": {"email": email, "display_name": name or user_id},
        }

    def of(self, method: str) -> list[Call]:
        """Recorded calls of one Web API method."""
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 30.0) -> list[Call]:
        """Wait until `count` calls of `method` (or `response` for response_url posts).

        `timeout` only guards against a hang; a busy CI machine may take many seconds."""

        async def enough() -> list[Any]:
            while True:
                got = self.responses if method == "response" else self.of(method)
                if len(got) >= count:
                    return list(got)
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(enough(), timeout)

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        raw = await request.read()
        ctype = request.headers.get("Content-Type", "")
        args = json.loads(raw or b"{}") if "json" in ctype else dict(parse_qsl(raw.decode()))
        args = {**request.query, **args}
        for key in ("blocks", "attachments", "view", "unfurls", "files"):
            if isinstance(args.get(key), str):
                with contextlib.suppress(ValueError):
                    args[key] = json.loads(args[key])
        auth = request.headers.get("Authorization", "")
        call = Call(method, args, auth.removeprefix("Bearer ") or args.get("token"))
        self._record(call)
        wait = self._rate_limit(method, args)
        if wait:
            self.ratelimited += 1
            limited = {"ok": False, "error": "ratelimited"}
            self._tell(call, limited)
            return web.json_response(limited, status=429, headers={"Retry-After": str(wait)})
        if method in self.overrides:
            answer = self.overrides[method](args)
        else:
            answer = self._default(method, args)
        self._tell(call, answer)
        return web.json_response(answer)

    def _record(self, call: Call) -> None:
        if self.record and call.method == "response":
            self.responses.append(call.args)
        elif self.record:
            self.calls.append(call)
        self._changed.set()

    def _tell(self, call: Call, answer: dict[str, Any]) -> None:
        for watcher in self.watchers:
            watcher(call, answer)

    def _rate_limit(self, method: str, args: dict[str, Any]) -> int:
        """Seconds to wait (Retry-After) when this post comes too soon after the last one
        in its channel; 0 when it is taken."""
        if method != "chat.postMessage" or self.post_interval <= 0:
            return 0
        channel, now = str(args.get("channel")), time.monotonic()
        last = self._last_post.get(channel)
        if last is not None and now - last < self.post_interval:
            return max(1, math.ceil(self.post_interval - (now - last)))
        self._last_post[channel] = now
        return 0

    def _default(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        ok: dict[str, Any] = {"ok": True}
        if method == "auth.test":
            return ok | {
                "user": "dexter",
                "team": "Acme",
                "user_id": "UBOT",
                "team_id": "T1",
                "bot_id": "BBOT",
                "url": "https://acme.slack.com/",
            }
        if method == "chat.postMessage":
            ts = f"1700000000.{next(self._ts):06d}"
            return ok | {"channel": args.get("channel"), "ts": ts, "message": {"ts": ts}}
        if method in ("chat.update", "chat.postEphemeral"):
            return ok | {"channel": args.get("channel"), "ts": args.get("ts", "1")}
        if method == "users.info":
            user = self.users.get(str(args.get("user")))
            return ok | {"user": user} if user else {"ok": False, "error": "user_not_found"}
        if method in ("views.open", "views.update", "views.push", "views.publish"):
            view = args.get("view") if isinstance(args.get("view"), dict) else {}
            return ok | {"view": {**view, "id": "V1", "hash": "h1"}}
        if method == "files.getUploadURLExternal":
            fid = f"F{next(self._ts)}"
            return ok | {"upload_url": f"{self.url}/upload/{fid}", "file_id": fid}
        if method == "files.completeUploadExternal":
            files = args.get("files") or []
            return ok | {"files": [{"id": f.get("id"), "title": f.get("title")} for f in files]}
        if method == "conversations.info":
            return ok | {"channel": {"id": args.get("channel"), "is_archived": False}}
        return ok

    async def _response(self, request: web.Request) -> web.Response:
        if request.match_info["rid"] in self.expired:
            return web.Response(status=404, text="expired_url")
        body = await request.json()
        body["_rid"] = request.match_info["rid"]
        call = Call("response", body)
        self._record(call)
        self._tell(call, {"ok": True})
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        data = await request.read()
        if self.record:
            self.uploads[request.match_info["fid"]] = data
        self._changed.set()
        return web.Response(text="OK")
