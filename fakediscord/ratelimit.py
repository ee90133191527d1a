"""Per-route and global rate limits with Discord's headers and 429 bodies.

A bucket is a route (method + template) plus its major parameter (channel, guild, or
webhook id and token). Each bucket allows `limit` requests per window of `period`
seconds, the window starting at the first request. The global limit counts every
request of a bot token, except interaction callbacks and interaction webhooks.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass

# (limit, period in seconds) for routes whose limits Discord is known to keep tight.
ROUTE_LIMITS: dict[tuple[str, str], tuple[int, float]] = {
    ("POST", "/channels/{channel_id}/messages"): (5, 5.0),
    ("PATCH", "/channels/{channel_id}/messages/{message_id}"): (5, 5.0),
    ("DELETE", "/channels/{channel_id}/messages/{message_id}"): (5, 1.0),
    ("POST", "/webhooks/{webhook_id}/{webhook_token}"): (5, 2.0),
    ("POST", "/channels/{channel_id}/threads"): (5, 5.0),
    ("PUT", "/channels/{channel_id}/permissions/{overwrite_id}"): (10, 10.0),
    ("POST", "/guilds/{guild_id}/roles"): (10, 10.0),
    ("POST", "/guilds/{guild_id}/channels"): (10, 10.0),
}
DEFAULT_LIMIT: tuple[int, float] = (20, 1.0)
GLOBAL_LIMIT = 50
# An interaction's callback and its token's webhook are buckets of their own, as on
# Discord: fifty people pressing /help-now at once never wait on each other.
MAJOR_PARAMETERS = ("channel_id", "guild_id", "webhook_id", "interaction_id")


@dataclass
class Decision:
    """The outcome for one request: headers to send, and the wait if it was refused."""

    headers: dict[str, str]
    retry_after: float | None = None
    is_global: bool = False


@dataclass
class _Window:
    limit: int
    period: float
    remaining: int
    resets_at: float


class RateLimiter:
    """Keeps the buckets; `check` is called once per request before it is handled."""

    def __init__(self) -> None:
        self.route_limits = dict(ROUTE_LIMITS)
        self.default_limit = DEFAULT_LIMIT
        self.global_limit = GLOBAL_LIMIT
        self._buckets: dict[str, _Window] = {}
        self._global: dict[str, _Window] = {}

    def set_limit(self, method: str, route: str, limit: int, period: float) -> None:
        """Change one route's bucket size, e.g. to make a rate-limit test quick."""
        self.route_limits[(method.upper(), route)] = (limit, period)

    def reset(self) -> None:
        self._buckets.clear()
        self._global.clear()

    @staticmethod
    def bucket_hash(method: str, template: str) -> str:
        return hashlib.sha1(f"{method} {template}".encode(), usedforsecurity=False).hexdigest()[:16]

    def check(
        self,
        method: str,
        template: str,
        params: Mapping[str, str],
        token: str | None,
        *,
        counts_globally: bool,
        now: float | None = None,
    ) -> Decision:
        """Take a token from the route's bucket (and the global one), or refuse."""
        now = time.monotonic() if now is None else now
        if counts_globally and token:
            window = self._take(self._global, token, (self.global_limit, 1.0), now)
            if window.remaining < 0:
                retry = window.resets_at - now
                window.remaining = 0
                return Decision(
                    {
                        "X-RateLimit-Global": "true",
                        "X-RateLimit-Scope": "global",
                        "Retry-After": str(max(1, round(retry))),
                    },
                    retry_after=retry,
                    is_global=True,
                )
        major = "+".join(params[k] for k in MAJOR_PARAMETERS if k in params)
        if "webhook_token" in params:
            major += "+" + params["webhook_token"]
        bucket = self.bucket_hash(method, template)
        config = self.route_limits.get((method, template), self.default_limit)
        window = self._take(self._buckets, f"{bucket}:{major}", config, now)
        headers = {
            "X-RateLimit-Limit": str(window.limit),
            "X-RateLimit-Remaining": str(max(window.remaining, 0)),
            "X-RateLimit-Reset": f"{time.time() + (window.resets_at - now):.3f}",
            "X-RateLimit-Reset-After": f"{window.resets_at - now:.3f}",
            "X-RateLimit-Bucket": bucket,
        }
        if window.remaining < 0:
            window.remaining = 0
            retry = window.resets_at - now
            headers["X-RateLimit-Scope"] = "user"
            headers["Retry-After"] = str(max(1, round(retry)))
            return Decision(headers, retry_after=retry)
        return Decision(headers)

    @staticmethod
    def _take(
        store: dict[str, _Window], key: str, config: tuple[int, float], now: float
    ) -> _Window:
        window = store.get(key)
        if window is None or now >= window.resets_at:
            limit, period = config
            window = _Window(limit, period, limit, now + period)
            store[key] = window
        window.remaining -= 1
        return window
