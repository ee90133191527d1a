"""Discord's limits on messages, embeds, components, modals and autocomplete choices.

Breaking one gives 400 Invalid Form Body (50035) with Discord's nested `errors` object.
The OpenAPI check catches wrong types; these are the rules Discord enforces beyond it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fakediscord.errors import FormErrors

Path = tuple[str | int, ...]

CONTENT_LIMIT = 2000
NONCE_LIMIT = 25
EMBEDS_LIMIT = 10
EMBED_TOTAL_LIMIT = 6000
IS_COMPONENTS_V2 = 1 << 15

_BUTTON, _ROW, _STRING_SELECT, _TEXT_INPUT = 2, 1, 3, 4
_SELECTS = (3, 5, 6, 7, 8)
_TEXT_DISPLAY, _LABEL = 10, 18
_V2_TYPES = {1, 9, 10, 11, 12, 13, 14, 17}


def check_message(payload: Mapping[str, Any], prefix: Path = ()) -> FormErrors:
    """Content, embed and component limits of a message create or edit body."""
    errors = FormErrors()
    errors.max_length((*prefix, "content"), payload.get("content"), CONTENT_LIMIT)
    # Also in the OpenAPI description, but enforced here so that `validate=False` keeps it.
    errors.max_length((*prefix, "nonce"), payload.get("nonce"), NONCE_LIMIT)
    embeds = payload.get("embeds") or []
    errors.max_items((*prefix, "embeds"), embeds, EMBEDS_LIMIT)
    total = 0
    for index, embed in enumerate(embeds if isinstance(embeds, list) else []):
        if isinstance(embed, Mapping):
            total += _check_embed(errors, (*prefix, "embeds", index), embed)
    if total > EMBED_TOTAL_LIMIT:
        errors.add(
            (*prefix, "embeds"),
            "MAX_EMBED_SIZE_EXCEEDED",
            f"Embed size exceeds maximum size of {EMBED_TOTAL_LIMIT}",
        )
    components = payload.get("components") or []
    if isinstance(components, list):
        if int(payload.get("flags") or 0) & IS_COMPONENTS_V2:
            _check_v2(errors, prefix, payload, components)
        else:
            _check_rows(errors, (*prefix, "components"), components)
        _check_unique_ids(errors, (*prefix, "components"), components)
    return errors


def _check_embed(errors: FormErrors, path: Path, embed: Mapping[str, Any]) -> int:
    size = 0
    for key, limit in (("title", 256), ("description", 4096)):
        value = embed.get(key)
        errors.max_length((*path, key), value, limit)
        size += len(value) if isinstance(value, str) else 0
    fields = embed.get("fields") or []
    errors.max_items((*path, "fields"), fields, 25)
    for index, field in enumerate(fields if isinstance(fields, list) else []):
        for key, limit in (("name", 256), ("value", 1024)):
            value = field.get(key) if isinstance(field, Mapping) else None
            if not value:
                errors.add(
                    (*path, "fields", index, key), "BASE_TYPE_REQUIRED", "This field is required"
                )
            errors.max_length((*path, "fields", index, key), value, limit)
            size += len(value) if isinstance(value, str) else 0
    for key, sub, limit in (("footer", "text", 2048), ("author", "name", 256)):
        part = embed.get(key)
        if isinstance(part, Mapping):
            value = part.get(sub)
            errors.max_length((*path, key, sub), value, limit)
            size += len(value) if isinstance(value, str) else 0
    return size


def _check_rows(errors: FormErrors, path: Path, rows: Sequence[Any]) -> None:
    errors.max_items(path, list(rows), 5)
    for index, row in enumerate(rows):
        if not isinstance(row, Mapping) or row.get("type") != _ROW:
            errors.add((*path, index, "type"), "UNION_TYPE_CHOICES", "Value must be an action row")
            continue
        _check_row(errors, (*path, index), row)


def _check_row(errors: FormErrors, path: Path, row: Mapping[str, Any]) -> None:
    children = row.get("components") or []
    if not children:
        errors.add((*path, "components"), "BASE_TYPE_REQUIRED", "This field is required")
        return
    kinds = [c.get("type") for c in children if isinstance(c, Mapping)]
    if any(k in _SELECTS for k in kinds) and len(children) > 1:
        errors.add(
            (*path, "components"),
            "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
            "The specified component exceeds the maximum width",
        )
    errors.max_items((*path, "components"), list(children), 5)
    for index, child in enumerate(children):
        if isinstance(child, Mapping):
            _check_interactive(errors, (*path, "components", index), child)


def _check_interactive(errors: FormErrors, path: Path, component: Mapping[str, Any]) -> None:
    kind = component.get("type")
    errors.max_length((*path, "custom_id"), component.get("custom_id"), 100)
    if kind == _BUTTON:
        errors.max_length((*path, "label"), component.get("label"), 80)
        style = component.get("style")
        if style == 5:
            if not component.get("url"):
                errors.add((*path, "url"), "BASE_TYPE_REQUIRED", "This field is required")
        elif style != 6 and not component.get("custom_id"):
            errors.add((*path, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")
    elif kind in _SELECTS:
        _check_select(errors, path, component)


def _check_select(errors: FormErrors, path: Path, select: Mapping[str, Any]) -> None:
    errors.max_length((*path, "placeholder"), select.get("placeholder"), 150)
    if not select.get("custom_id"):
        errors.add((*path, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")
    low, high = select.get("min_values", 1), select.get("max_values", 1)
    if isinstance(low, int) and isinstance(high, int) and low > high:
        errors.add((*path, "min_values"), "BASE_TYPE_BAD_INT", "min_values exceeds max_values")
    if select.get("type") != _STRING_SELECT:
        return
    options = select.get("options") or []
    if not options:
        errors.add((*path, "options"), "BASE_TYPE_REQUIRED", "This field is required")
    errors.max_items((*path, "options"), list(options), 25)
    for index, option in enumerate(options):
        if isinstance(option, Mapping):
            for key in ("label", "value", "description"):
                errors.max_length((*path, "options", index, key), option.get(key), 100)
    if isinstance(high, int) and options and high > len(options):
        errors.add((*path, "max_values"), "BASE_TYPE_BAD_INT", "max_values exceeds options")


def _check_v2(
    errors: FormErrors, prefix: Path, payload: Mapping[str, Any], components: Sequence[Any]
) -> None:
    if payload.get("content"):
        errors.add(
            (*prefix, "content"),
            "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
            "The 'content' field cannot be used when using MessageFlags.IS_COMPONENTS_V2",
        )
    if payload.get("embeds"):
        errors.add(
            (*prefix, "embeds"),
            "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
            "The 'embeds' field cannot be used when using MessageFlags.IS_COMPONENTS_V2",
        )
    count, text = _v2_totals(components)
    if count > 40:
        errors.add(
            (*prefix, "components"), "BASE_TYPE_MAX_LENGTH", "Must be 40 or fewer in length."
        )
    if text > 4000:
        errors.add(
            (*prefix, "components"),
            "MESSAGE_TEXT_DISPLAY_TOO_LONG",
            "Text display content must be 4000 or fewer characters in total",
        )
    for index, component in enumerate(components):
        path = (*prefix, "components", index)
        if not isinstance(component, Mapping) or component.get("type") not in _V2_TYPES:
            errors.add((*path, "type"), "UNION_TYPE_CHOICES", "Value must be a top-level component")
        elif component.get("type") == _ROW:
            _check_row(errors, path, component)


def _v2_totals(components: Sequence[Any]) -> tuple[int, int]:
    count = text = 0
    for component in components:
        if not isinstance(component, Mapping):
            continue
        count += 1
        if component.get("type") == _TEXT_DISPLAY and isinstance(component.get("content"), str):
            text += len(component["content"])
        children = list(component.get("components") or [])
        if isinstance(component.get("accessory"), Mapping):
            children.append(component["accessory"])
        more, more_text = _v2_totals(children)
        count += more
        text += more_text
    return count, text


def _check_unique_ids(errors: FormErrors, path: Path, components: Sequence[Any]) -> None:
    seen: set[str] = set()

    def visit(items: Sequence[Any]) -> None:
        for item in items:
            if not isinstance(item, Mapping):
                continue
            custom_id = item.get("custom_id")
            if isinstance(custom_id, str):
                if custom_id in seen:
                    errors.add(
                        path,
                        "COMPONENT_CUSTOM_ID_DUPLICATED",
                        f"Component custom id cannot be duplicated: {custom_id}",
                    )
                seen.add(custom_id)
            visit(item.get("components") or [])
            for key in ("accessory", "component"):
                if isinstance(item.get(key), Mapping):
                    visit([item[key]])

    visit(components)


def check_modal(data: Mapping[str, Any], prefix: Path = ("data",)) -> FormErrors:
    """Title, custom_id and input limits of a modal (interaction callback type 9)."""
    errors = FormErrors()
    title = data.get("title")
    if not title:
        errors.add((*prefix, "title"), "BASE_TYPE_REQUIRED", "This field is required")
    errors.max_length((*prefix, "title"), title, 45)
    if not data.get("custom_id"):
        errors.add((*prefix, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")
    errors.max_length((*prefix, "custom_id"), data.get("custom_id"), 100)
    components = data.get("components") or []
    if not components:
        errors.add((*prefix, "components"), "BASE_TYPE_REQUIRED", "This field is required")
    errors.max_items((*prefix, "components"), list(components), 5)
    for index, component in enumerate(components):
        path = (*prefix, "components", index)
        if not isinstance(component, Mapping):
            continue
        kind = component.get("type")
        if kind == _ROW:
            children = component.get("components") or []
            if len(children) != 1 or children[0].get("type") != _TEXT_INPUT:
                errors.add(
                    (*path, "components"),
                    "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                    "A modal action row holds exactly one text input",
                )
            for child_index, child in enumerate(children):
                _check_text_input(errors, (*path, "components", child_index), child, labelled=True)
        elif kind == _LABEL:
            errors.max_length((*path, "label"), component.get("label"), 45)
            errors.max_length((*path, "description"), component.get("description"), 100)
            inner = component.get("component")
            if isinstance(inner, Mapping):
                if inner.get("type") == _TEXT_INPUT:
                    _check_text_input(errors, (*path, "component"), inner, labelled=False)
                elif inner.get("type") in _SELECTS:
                    _check_select(errors, (*path, "component"), inner)
        elif kind != _TEXT_DISPLAY:
            errors.add((*path, "type"), "UNION_TYPE_CHOICES", "Value must be a modal component")
    return errors


def _check_text_input(
    errors: FormErrors, path: Path, component: Mapping[str, Any], *, labelled: bool
) -> None:
    if not component.get("custom_id"):
        errors.add((*path, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")
    errors.max_length((*path, "custom_id"), component.get("custom_id"), 100)
    if labelled:
        if not component.get("label"):
            errors.add((*path, "label"), "BASE_TYPE_REQUIRED", "This field is required")
        errors.max_length((*path, "label"), component.get("label"), 45)
    errors.max_length((*path, "placeholder"), component.get("placeholder"), 100)
    errors.max_length((*path, "value"), component.get("value"), 4000)
    low, high = component.get("min_length"), component.get("max_length")
    if isinstance(low, int) and not 0 <= low <= 4000:
        errors.add((*path, "min_length"), "NUMBER_TYPE_MAX", "Must be between 0 and 4000")
    if isinstance(high, int) and not 1 <= high <= 4000:
        errors.add((*path, "max_length"), "NUMBER_TYPE_MAX", "Must be between 1 and 4000")


def check_choices(data: Mapping[str, Any], prefix: Path = ("data",)) -> FormErrors:
    """Autocomplete results (interaction callback type 8): at most 25 choices."""
    errors = FormErrors()
    choices = data.get("choices") or []
    errors.max_items((*prefix, "choices"), list(choices), 25)
    for index, choice in enumerate(choices):
        if isinstance(choice, Mapping):
            errors.max_length((*prefix, "choices", index, "name"), choice.get("name"), 100)
            errors.max_length((*prefix, "choices", index, "value"), choice.get("value"), 100)
    return errors
