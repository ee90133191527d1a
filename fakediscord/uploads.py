"""Files sent with messages: multipart parts (`files[n]`) or files a simulated person posts."""

from __future__ import annotations

import re
from dataclasses import dataclass

_FILE_FIELD = re.compile(r"^files\[(\d+)\]$")


@dataclass(frozen=True)
class Upload:
    """A file: its name, bytes, content type, and the multipart field it came in."""

    filename: str
    data: bytes
    content_type: str | None = None
    field: str = "files[0]"

    @property
    def index(self) -> int | None:
        """n of a `files[n]` field, which the body's `attachments[].id` refers to."""
        match = _FILE_FIELD.match(self.field)
        return int(match.group(1)) if match else None
