"""Checks request and response bodies against Discord's official OpenAPI 3.1 description.

The description (MIT, https://github.com/discord/discord-api-spec) lives beside the
repository at `../shared/reference/discord-openapi.json`, or wherever the environment
variable DISCORD_OPENAPI_PATH points. It is loaded once per process; one validator per
schema is built on first use and cached.

Three deliberate leniencies, where the description disagrees with Discord's behaviour:
- in requests, a snowflake may be a JSON integer as well as a string. The description
  only allows strings, but Discord accepts both and discord.py sends integers in a few
  places (e.g. `recipient_id`, attachment ids);
- in requests, permission bitfields (`permissions`, `allow`, `deny`,
  `default_member_permissions`) may be strings of digits. The description says integer,
  but Discord documents them as strings and discord.py sends strings;
- in error bodies, a field error's `code` may be a string. The description says integer,
  but Discord sends names such as "BASE_TYPE_MAX_LENGTH" inside `errors`.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry
from referencing.jsonschema import DRAFT202012

SPEC_ENV = "DISCORD_OPENAPI_PATH"
_REQUEST_URI = "urn:fakediscord:openapi:request"
_RESPONSE_URI = "urn:fakediscord:openapi:response"
_LENIENT_SNOWFLAKE = {
    "anyOf": [
        {"type": "string", "pattern": "^(0|[1-9][0-9]*)$"},
        {"type": "integer", "minimum": 0},
    ]
}


class SpecMissingError(FileNotFoundError):
    """The OpenAPI description could not be found; validation cannot be skipped silently."""


@dataclass(frozen=True)
class SchemaProblem:
    """One way a body breaks its schema, with the Discord error code it corresponds to."""

    path: tuple[str | int, ...]
    code: str
    message: str
    discord_message: str

    def __str__(self) -> str:
        where = "/".join(str(p) for p in self.path) or "<body>"
        return f"{where}: {self.message}"


# jsonschema keywords and the codes Discord uses for the same mistakes in 50035 errors.
_DISCORD_CODES = {
    "maxLength": "BASE_TYPE_MAX_LENGTH",
    "maxItems": "BASE_TYPE_MAX_LENGTH",
    "minLength": "BASE_TYPE_MIN_LENGTH",
    "minItems": "BASE_TYPE_MIN_LENGTH",
    "required": "BASE_TYPE_REQUIRED",
    "enum": "BASE_TYPE_CHOICES",
    "maximum": "NUMBER_TYPE_MAX",
    "minimum": "NUMBER_TYPE_MIN",
    "pattern": "STRING_TYPE_REGEX",
    "type": "BASE_TYPE_BAD_TYPE",
    "oneOf": "UNION_TYPE_CHOICES",
    "anyOf": "UNION_TYPE_CHOICES",
}


@dataclass(frozen=True)
class ValidationIssue:
    """A body that does not match the description."""

    method: str
    path: str
    direction: str
    message: str

    def __str__(self) -> str:
        return f"{self.direction} {self.method} {self.path}: {self.message}"


def default_spec_path() -> Path:
    """`$DISCORD_OPENAPI_PATH`, else `<repo>/../shared/reference/discord-openapi.json`."""
    override = os.environ.get(SPEC_ENV)
    if override:
        return Path(override)
    repo = Path(__file__).resolve().parent.parent
    return repo.parent / "shared" / "reference" / "discord-openapi.json"


_PERMISSION_FIELDS = {"permissions", "allow", "deny", "default_member_permissions"}


def _relax_permission_fields(node: Any) -> None:
    """Let integer permission fields also be digit strings, everywhere in the tree."""
    if isinstance(node, list):
        for item in node:
            _relax_permission_fields(item)
        return
    if not isinstance(node, dict):
        return
    properties = node.get("properties")
    if isinstance(properties, dict):
        for name in _PERMISSION_FIELDS & properties.keys():
            field = properties[name]
            types = field.get("type") if isinstance(field, dict) else None
            if types == "integer" or (isinstance(types, list) and "integer" in types):
                properties[name] = {"anyOf": [field, {"type": "string", "pattern": "^[0-9]+$"}]}
    for value in node.values():
        _relax_permission_fields(value)


def _with_schemas(spec: dict[str, Any], **replaced: Any) -> dict[str, Any]:
    """A shallow copy of the description with some component schemas replaced."""
    schemas = {**spec["components"]["schemas"], **replaced}
    return {**spec, "components": {**spec["components"], "schemas": schemas}}


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


class OpenAPISpec:
    """Matches paths to the description's operations and validates bodies."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise SpecMissingError(
                f"Discord OpenAPI description not found at {path}; set {SPEC_ENV} to its location"
            )
        self.path = path
        text = path.read_text(encoding="utf-8")
        spec: dict[str, Any] = json.loads(text)
        self.spec = spec
        # The request side gets its own copy, relaxed where Discord is more forgiving.
        request_spec: dict[str, Any] = json.loads(text)
        _relax_permission_fields(request_spec)
        request_spec = _with_schemas(request_spec, SnowflakeType=_LENIENT_SNOWFLAKE)
        error = spec["components"]["schemas"]["Error"]
        field_error_code = {"type": ["integer", "string"]}
        lenient_error = {**error, "properties": {**error["properties"], "code": field_error_code}}
        response_spec = _with_schemas(spec, Error=lenient_error)
        self._registry: Registry[Any] = Registry().with_resources(
            [
                (_RESPONSE_URI, DRAFT202012.create_resource(response_spec)),
                (_REQUEST_URI, DRAFT202012.create_resource(request_spec)),
            ]
        )
        self._templates = self._compile_templates(spec["paths"])
        self._validators: dict[str, Any] = {}

    @staticmethod
    def _compile_templates(paths: dict[str, Any]) -> list[tuple[re.Pattern[str], str]]:
        compiled = []
        for template in paths:
            pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
            compiled.append((re.compile(f"^{pattern}$"), template))
        # Literal segments beat parameters: /users/@me before /users/{user_id}.
        compiled.sort(key=lambda item: -sum(1 for s in item[1].split("/") if "{" not in s))
        return compiled

    def match(self, method: str, path: str) -> str | None:
        """The description's path template for a request path (without the /api/v10 prefix)."""
        for pattern, template in self._templates:
            if pattern.match(path) and method.lower() in self.spec["paths"][template]:
                return template
        return None

    def _operation(self, method: str, template: str) -> dict[str, Any] | None:
        item = self.spec["paths"].get(template)
        if item is None:
            return None
        operation: dict[str, Any] | None = item.get(method.lower())
        return operation

    def _validator(self, uri: str, pointer: str) -> Any:
        key = f"{uri}#{pointer}"
        validator = self._validators.get(key)
        if validator is None:
            validator = Draft202012Validator({"$ref": key}, registry=self._registry)
            self._validators[key] = validator
        return validator

    def request_errors(self, method: str, template: str, body: Any) -> list[str]:
        """Problems of a JSON request body (or a multipart `payload_json`), as text."""
        return [str(p) for p in self.request_problems(method, template, body)]

    def request_problems(self, method: str, template: str, body: Any) -> list[SchemaProblem]:
        """Problems of a JSON request body (or a multipart `payload_json`), best first."""
        operation = self._operation(method, template)
        if operation is None:
            text = f"no operation {method} {template}"
            return [SchemaProblem((), "UNKNOWN_ROUTE", text, text)]
        request_body = operation.get("requestBody")
        if request_body is None:
            if body is None:
                return []
            text = "the operation takes no request body"
            return [SchemaProblem((), "BASE_TYPE_BAD_TYPE", text, text)]
        if body is None:
            if not request_body.get("required"):
                return []
            text = "a request body is required"
            return [SchemaProblem((), "BASE_TYPE_REQUIRED", text, text)]
        if "application/json" not in request_body.get("content", {}):
            return []
        pointer = "/".join(
            [
                "",
                "paths",
                _escape(template),
                method.lower(),
                "requestBody",
                "content",
                "application~1json",
                "schema",
            ]
        )
        return _problems(self._validator(_REQUEST_URI, pointer).iter_errors(body))

    def response_errors(self, method: str, template: str, status: int, body: Any) -> list[str]:
        """Problems of a response: undocumented status, or a body that does not fit."""
        operation = self._operation(method, template)
        if operation is None:
            return []
        responses: dict[str, Any] = operation.get("responses", {})
        key = next(
            (k for k in (str(status), f"{status // 100}XX", "default") if k in responses), None
        )
        if key is None:
            return [f"status {status} is not documented for this operation"]
        response = responses[key]
        pointer = "/".join(["", "paths", _escape(template), method.lower(), "responses", key])
        if "$ref" in response:
            name = response["$ref"].rsplit("/", 1)[-1]
            pointer = f"/components/responses/{_escape(name)}"
            response = self.spec["components"]["responses"][name]
        content = response.get("content", {})
        if "application/json" not in content:
            return [] if body is None else [f"status {status} should have no body"]
        if body is None:
            return [f"status {status} should have a JSON body"]
        pointer += "/content/application~1json/schema"
        problems = _problems(self._validator(_RESPONSE_URI, pointer).iter_errors(body))
        return [str(p) for p in problems]


def _problems(errors: Iterator[Any]) -> list[SchemaProblem]:
    # One problem per independent mistake: a union's failure is reported as the error
    # inside its closest alternative, not as "is not valid under any of the schemas".
    problems: list[SchemaProblem] = []
    for error in errors:
        problem = _problem(best_match([error]))
        if problem not in problems:
            problems.append(problem)
    return problems[:5]


def _problem(error: Any) -> SchemaProblem:
    path = tuple(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [k for k in error.validator_value if k not in error.instance]
        if missing:
            path = (*path, missing[0])
    text = str(error.message)
    if len(text) > 300:
        text = text[:297] + "..."
    keyword, limit = str(error.validator), error.validator_value
    discord_message = {
        "maxLength": f"Must be {limit} or fewer in length.",
        "maxItems": f"Must be {limit} or fewer in length.",
        "minLength": f"Must be {limit} or more in length.",
        "minItems": f"Must be {limit} or more in length.",
        "required": "This field is required",
    }.get(keyword, text)
    code = _DISCORD_CODES.get(keyword, "BASE_TYPE_INVALID")
    return SchemaProblem(path, code, text, discord_message)


@functools.cache
def load_spec(path: Path | None = None) -> OpenAPISpec:
    """The description, loaded once per process."""
    return OpenAPISpec(path or default_spec_path())
