"""The frames of each exercise, computed before it starts: how many edits, how long each
frame stays, and which step shows when."""

from __future__ import annotations

from cogs.cope import exercises, texts
from config.content import BreathPhase, CopingStrategy, load_content
from config.settings import DEFAULT_CONTENT_DIR

COPING = load_content(DEFAULT_CONTENT_DIR).coping


def shipped(strategy_id: str) -> CopingStrategy:
    found = COPING.strategy(strategy_id)
    assert found is not None
    return found


def test_box_breathing_edits_sixteen_times_one_per_phase_of_four_rounds() -> None:
    box = shipped("breathing")
    assert exercises.paced_edit_count(box) == 16
    assert exercises.edit_count(box) == 16
    frames = exercises.guided_frames(box)
    assert [frame.seconds for frame in frames[:-1]] == [4.0] * 16
    assert "Round 1 of 4 — Breathe in through your nose (4 s)" in frames[0].text
    assert "Round 4 of 4 — Hold (4 s)" in frames[-2].text
    assert texts.BREATHING_DONE in frames[-1].text


def test_a_paced_exercise_holds_each_phase_for_its_own_seconds() -> None:
    uneven = CopingStrategy(
        id="uneven",
        name="Uneven",
        summary="Test.",
        exercise="paced",
        rounds=2,
        steps=["Sit."],
        phases=[BreathPhase(say="In", seconds=3), BreathPhase(say="Out", seconds=9)],
    )
    frames = exercises.guided_frames(uneven)
    assert [frame.seconds for frame in frames] == [3.0, 9.0, 3.0, 9.0, 0.0]
    assert exercises.edit_count(uneven) == exercises.paced_edit_count(uneven) == 4


def test_a_timer_edits_once_a_minute_and_shows_every_step_in_order() -> None:
    surfing = shipped("urge-surfing")
    frames = exercises.guided_frames(surfing)
    assert exercises.edit_count(surfing) == exercises.timer_edit_count(surfing) == 10
    assert [frame.seconds for frame in frames[:-1]] == [60.0] * 10
    assert "10 minutes to go" in frames[0].text
    assert "1 minute to go" in frames[-2].text
    first_shown = [
        next(number for number, frame in enumerate(frames) if step in frame.text)
        for step in surfing.steps
    ]
    assert first_shown == sorted(first_shown)
    assert first_shown[0] == 0


def test_a_stepped_exercise_closes_on_its_last_step() -> None:
    grounding = shipped("grounding")
    assert not exercises.is_last_step(grounding, 3)
    assert exercises.is_last_step(grounding, 4)
    assert texts.DONE in exercises.stepped_text(grounding, 4)
    assert texts.DONE not in exercises.stepped_text(grounding, 3)
    assert "Step 4 of 5" in exercises.stepped_text(grounding, 3)
