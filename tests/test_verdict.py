"""The verdict on a space (model/verdict.py): every missed target is said; only what a performer hears at once calls
it poor (listed apart, never the default), read off the stored figures by today's rule."""

from __future__ import annotations

from rvae_server.model.modeldirs import plays_poorly
from rvae_server.model.verdict import is_poor, problems, warnings


def figures(**feel: object) -> dict[str, object]:
    base = {"doubles": {"per_100": 1.0}, "density": 1.02, "silent": 0.0, "groove": 0.9, "pass": 0.80}
    ref = {"doubles": {"per_100": 1.0}, "groove": 0.92, "pass": 0.82}
    return {"random": {"pass": 0.8}, "train": {"bars": 500, "f1_tick": 0.95, "inside": 1.0},
            "feel": {**base, "reference": ref, **feel}}  # fmt: skip


def test_a_pass_rate_a_little_below_the_clips_is_said_not_held_against_the_space() -> None:
    f = figures()
    assert any("pattern filter" in w for w in warnings(f))
    assert problems(f) == [] and not is_poor(f)
    assert not plays_poorly({"evaluation": {**f, "poor": True}})  # the stored flag of an older rule is not read


def test_what_a_performer_hears_at_once_calls_it_poor() -> None:
    for feel, words in (
        ({"doubles": {"per_100": 9.0}}, "doubled hits"),
        ({"density": 1.6}, "too busy"),
        ({"silent": 0.2}, "silent"),
        ({"groove": 0.5}, "no kick"),
        ({"pass": 0.5}, "pattern filter"),
    ):
        f = figures(**feel)
        assert is_poor(f) and any(words in p for p in problems(f)), (feel, problems(f))
        assert plays_poorly({"evaluation": f})
    assert not is_poor(None) and not is_poor({"warnings": ["x"]})  # no figures: no verdict
