"""The aiohttp application: every REST request goes through one pipeline.

Order per request: read the body, injected faults, authentication, rate limits, OpenAPI
check of the request, the handler, OpenAPI check of the response, recording. Requests
that match no route get a Discord-shaped 404 and are recorded as unhandled.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from fakediscord import errors, factories
from fakediscord.errors import DiscordError, FormErrors
from fakediscord.openapi import ValidationIssue
from fakediscord.rest import ROUTES
from fakediscord.rest.context import Reply, RequestContext, Route
from fakediscord.uploads import Upload

if TYPE_CHECKING:
    from fakediscord.emulator import FakeDiscord

API_PREFIX = "/api/v10"
# A 1x1 transparent PNG served for any CDN asset (avatars, icons).
_TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000050001a5f645400000000049454e44ae426082"
)


@dataclass
class RecordedRequest:
    """One REST request and the emulator's answer."""

    method: str
    path: str
    route: str | None
    query: dict[str, str]
    body: Any
    uploads: list[Upload]
    status: int = 0
    response: Any = None
    started: float = 0.0
    finished: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status}"


@dataclass(frozen=True)
class UnhandledRequest:
    """A request to a route the emulator does not implement."""

    method: str
    path: str

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


class _BadBody(Exception):
    pass


async def _read_body(request: web.Request) -> tuple[Any, list[Upload]]:
    if request.content_type.startswith("multipart/"):
        body: Any = None
        uploads: list[Upload] = []
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "payload_json":
                body = _parse_json(await part.text())
            else:
                data = await part.read()
                uploads.append(
                    Upload(
                        part.filename or str(part.name),
                        bytes(data),
                        part.headers.get("Content-Type"),
                        str(part.name),
                    )
                )
        return body, uploads
    raw = await request.read()
    if not raw:
        return None, []
    return _parse_json(raw.decode("utf-8", errors="replace")), []


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise _BadBody from None


def _json(body: Any, status: int, headers: dict[str, str]) -> web.Response:
    # discord.py only parses bodies whose Content-Type is exactly "application/json",
    # as Discord sends it; aiohttp's json_response would add "; charset=utf-8".
    return web.Response(
        body=json.dumps(body).encode(),
        status=status,
        headers=headers,
        content_type="application/json",
    )


def build_app(emu: FakeDiscord) -> web.Application:
    """The web application serving REST under /api/v10, the gateway, attachments and CDN."""
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_get("/gateway", emu.gateway.handle)
    app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", _attachment(emu))
    app.router.add_get("/cdn/{tail:.*}", _cdn)
    for route in ROUTES:
        app.router.add_route(route.method, API_PREFIX + route.template, _endpoint(emu, route))
    app.router.add_route("*", "/{tail:.*}", _unhandled(emu))
    return app


def _attachment(emu: FakeDiscord) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def serve(request: web.Request) -> web.StreamResponse:
        raw = request.match_info["attachment_id"]
        attachment = emu.attachments.get(int(raw)) if raw.isdigit() else None
        if attachment is None:
            return web.Response(status=404, text="no such attachment")
        return web.Response(
            body=attachment.data, content_type=attachment.content_type or "application/octet-stream"
        )

    return serve


async def _cdn(request: web.Request) -> web.StreamResponse:
    return web.Response(body=_TINY_PNG, content_type="image/png")


def _unhandled(emu: FakeDiscord) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def answer(request: web.Request) -> web.StreamResponse:
        emu.unhandled_requests.append(UnhandledRequest(request.method, request.path_qs))
        emu.notify()
        return _json(errors.route_not_found().body(), 404, {})

    return answer


def _endpoint(
    emu: FakeDiscord, route: Route
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        loop = asyncio.get_running_loop()
        path = request.path.removeprefix(API_PREFIX)
        record = RecordedRequest(
            request.method, path, route.template, dict(request.query), None, [], started=loop.time()
        )
        emu.requests.append(record)
        headers: dict[str, str] = {}
        try:
            reply = await _pipeline(emu, route, request, record, headers)
        except DiscordError as exc:
            reply = Reply(exc.body(), exc.status)
        # Server errors (only ever injected) are not part of the description.
        checked = emu.validate and reply.status < 500
        spec_template = emu.spec.match(request.method, path) if checked else None
        if spec_template is not None:
            for message in emu.spec.response_errors(
                request.method, spec_template, reply.status, reply.body
            ):
                emu.validation_errors.append(
                    ValidationIssue(request.method, path, "response", message)
                )
        record.status, record.response, record.headers = reply.status, reply.body, headers
        record.finished = loop.time()
        emu.notify()
        if reply.status == 204:
            return web.Response(status=204, headers=headers)
        return _json(reply.body, reply.status, headers)

    return handle


async def _pipeline(
    emu: FakeDiscord,
    route: Route,
    request: web.Request,
    record: RecordedRequest,
    headers: dict[str, str],
) -> Reply:
    try:
        body, uploads = await _read_body(request)
    except _BadBody:
        raise DiscordError(400, 50109, "The request body contains invalid JSON.") from None
    record.body, record.uploads = body, uploads
    method, path = request.method, record.path
    for fault in emu.faults.take(method, route.template):
        if fault.kind == "slow":
            await asyncio.sleep(fault.delay)
        elif fault.kind == "fail":
            raise DiscordError(fault.status, fault.code, fault.message)
        else:
            headers.update(
                {"Via": "1.1 google", "Retry-After": str(max(1, round(fault.retry_after)))}
            )
            if fault.is_global:
                headers["X-RateLimit-Global"] = "true"
            return Reply(factories.rate_limited(fault.retry_after, is_global=fault.is_global), 429)
    authorization = request.headers.get("Authorization")
    app = emu.application_by_token(authorization) if authorization else None
    if (authorization and app is None) or (route.auth and app is None):
        raise errors.unauthorized()
    if emu.rate_limits_enabled:
        decision = emu.limiter.check(
            method,
            route.template,
            request.match_info,
            app.token if app else None,
            counts_globally=route.auth,
        )
        headers.update(decision.headers)
        if decision.retry_after is not None:
            headers["Via"] = "1.1 google"
            return Reply(
                factories.rate_limited(decision.retry_after, is_global=decision.is_global), 429
            )
    if emu.validate:
        spec_template = emu.spec.match(method, path)
        if spec_template is None:
            emu.validation_errors.append(
                ValidationIssue(
                    method, path, "request", "no such operation in the OpenAPI description"
                )
            )
        else:
            problems = emu.spec.request_problems(method, spec_template, body)
            form = FormErrors()
            for problem in problems:
                emu.validation_errors.append(ValidationIssue(method, path, "request", str(problem)))
                form.add(problem.path, problem.code, problem.discord_message)
            form.raise_if_any()
    context = RequestContext(
        emu, method, route.template, request.match_info, request.query, body, uploads, app
    )
    return await route.handler(context)
