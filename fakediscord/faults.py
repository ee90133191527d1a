"""Injected REST failures: errors, 429s and slow answers on chosen routes.

Routes are named by method and template as the REST table spells them, e.g.
`faults.fail("POST", "/channels/{channel_id}/messages", status=500)`. The method may
be "*" to match any.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Fault:
    """One injected behaviour; `times=None` means for every matching request."""

    method: str
    route: str
    kind: str
    times: int | None
    status: int = 500
    code: int = 0
    message: str = "Internal Server Error"
    retry_after: float = 0.0
    is_global: bool = False
    delay: float = 0.0
    hits: int = field(default=0)

    def matches(self, method: str, route: str) -> bool:
        return self.route == route and self.method in ("*", method)

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times


class Faults:
    """The fault plan of one emulator (`emu.faults`)."""

    def __init__(self) -> None:
        self.planned: list[Fault] = []

    def fail(
        self,
        method: str,
        route: str,
        *,
        status: int = 500,
        code: int = 0,
        message: str | None = None,
        times: int | None = 1,
    ) -> Fault:
        """Answer matching requests with an error status and a Discord error body.

        discord.py retries 500/502/504 after sleeping 1 s (then 3 s...), so prefer a 4xx
        or 503 when the test only needs a failure.
        """
        fault = Fault(
            method.upper(),
            route,
            "fail",
            times,
            status=status,
            code=code,
            message=message or f"{status}: injected failure",
        )
        self.planned.append(fault)
        return fault

    def rate_limit(
        self,
        method: str,
        route: str,
        *,
        retry_after: float = 0.3,
        is_global: bool = False,
        times: int | None = 1,
    ) -> Fault:
        """Answer matching requests with 429 and this retry_after."""
        fault = Fault(
            method.upper(), route, "rate_limit", times, retry_after=retry_after, is_global=is_global
        )
        self.planned.append(fault)
        return fault

    def slow(self, method: str, route: str, *, delay: float, times: int | None = None) -> Fault:
        """Delay matching requests by `delay` seconds before handling them."""
        fault = Fault(method.upper(), route, "slow", times, delay=delay)
        self.planned.append(fault)
        return fault

    def clear(self) -> None:
        self.planned.clear()

    def take(self, method: str, route: str) -> list[Fault]:
        """The faults that apply to this request, counting it against their `times`."""
        hit = []
        for fault in self.planned:
            if fault.matches(method, route) and not fault.exhausted:
                fault.hits += 1
                hit.append(fault)
        return hit
