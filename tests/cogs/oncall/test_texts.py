from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from cogs.oncall import texts
from cogs.oncall.cog import chunk_lines, render_now, render_report, shift_change_text
from cogs.oncall.report import DurationStats, Report, SpecialistStats, summarize
from cogs.oncall.rota import Override, Shift, describe_shift
from core.oncall import OnCallChain

A, B, C, D, E = 1001, 1002, 1003, 1004, 1005
AT = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _all_texts() -> dict[str, str]:
    return {
        name: value
        for name, value in vars(texts).items()
        if name.isupper() and isinstance(value, str)
    }


def test_texts_never_call_peers_clinicians() -> None:
    # The stigmatising words every text avoids are checked in tests/test_words.py.
    clinical = re.compile(r"\b(clinicians?|doctors?|therapists?|counsell?ors?)\b", re.IGNORECASE)
    for name, text in _all_texts().items():
        assert not clinical.search(text), name


def test_now_names_the_person_on_call_and_the_backups() -> None:
    text = render_now(OnCallChain(A, (B, C, D, E)), None)
    assert f"**On call now:** <@{A}>" in text
    assert f"<@{B}>, then <@{C}>, then <@{D}> and 1 more" in text
    assert f"<@{E}>" not in text


def test_now_shows_until_when_a_taken_pager_holds() -> None:
    override = Override(1, 1, A, AT, AT + timedelta(hours=2), None, A)
    text = render_now(OnCallChain(A, ()), override)
    assert f"<t:{int((AT + timedelta(hours=2)).timestamp())}:f>" in text
    assert texts.NOW_NO_BACKUP in text


def test_now_says_plainly_when_nobody_is_on_call() -> None:
    assert render_now(OnCallChain(None, ()), None) == texts.NOW_NOBODY
    assert texts.NOW_BACKUP.format(backups=f"<@{B}>") in render_now(OnCallChain(None, (B,)), None)
    assert shift_change_text(None) == texts.ANNOUNCE_SHIFT_CHANGE_NOBODY
    assert f"<@{A}>" in shift_change_text(A)


def test_shifts_are_described_with_their_day_hours_and_zone() -> None:
    day = Shift(1, 1, A, 0, 9 * 60, 17 * 60, "America/New_York", 0)
    night = Shift(2, 1, A, 4, 22 * 60, 6 * 60, "Europe/London", 0)
    whole = Shift(3, 1, A, 6, 0, 24 * 60, "UTC", 0)
    around = Shift(4, 1, A, 2, 8 * 60, 8 * 60, "UTC", 0)
    assert describe_shift(day) == "Monday 09:00–17:00 (America/New_York)"
    assert describe_shift(night) == "Friday 22:00–06:00 next day (Europe/London)"
    assert describe_shift(whole) == "Sunday 00:00–24:00 (UTC)"
    assert describe_shift(around) == "Wednesday 08:00, for 24 hours (UTC)"


def test_long_lists_are_split_within_discords_message_limit() -> None:
    lines = [f"line {n:03d} " + "x" * 90 for n in range(60)]
    chunks = chunk_lines(lines)
    assert len(chunks) > 1
    assert all(len(chunk) <= 2000 for chunk in chunks)
    assert "\n".join(chunks).split("\n") == lines


def test_the_report_embed_shows_each_figure() -> None:
    report = Report(
        days=30,
        requests=4,
        acknowledged=3,
        resolved=2,
        member_safe=1,
        still_open=1,
        time_to_acknowledge=DurationStats(3, timedelta(minutes=2), timedelta(minutes=9)),
        time_to_resolve=DurationStats(2, timedelta(minutes=30), timedelta(minutes=38)),
        escalated_requests=1,
        escalation_steps=2,
        backup_requests=0,
        fallbacks=0,
        per_specialist=(SpecialistStats(A, 2, timedelta(seconds=90)),),
    )
    embed = render_report(report)
    values = {field.name: field.value for field in embed.fields}
    assert values[texts.REPORT_ACK] == "median 2 min 0 s, 90th percentile 9 min 0 s (over 3)"
    assert values[texts.REPORT_RESOLVE] == "median 30 min 0 s, 90th percentile 38 min 0 s (over 2)"
    assert "4 in all" in (values[texts.REPORT_REQUESTS] or "")
    assert values[texts.REPORT_PER_SPECIALIST] == f"<@{A}>: 2, median 1 min 30 s"

    assert values[texts.REPORT_ESCALATIONS] == (
        "1 request went past the first page (2 escalation steps); backup asked for 0 times; "
        "fallback channel used 0 times"
    )

    empty = render_report(summarize([], days=7))
    assert empty.description == "There were no /help-now requests in the last 7 days."
    assert not empty.fields
    assert render_report(summarize([], days=1)).title == "/help-now over the last 1 day"
