"""How the models are offered: one whose own evaluation calls it poor (its stored figures in meta.json, read by
:func:`rvae_server.model.verdict.is_poor`, as the bundled mined-all's) is listed apart with its warnings by ``rvae
models``, is never the default by being first, and the page's model menu puts it in a group of its own with its
warning. The verdict is the model's data: the same model with figures that play well is offered like the others."""

from __future__ import annotations

import json
from pathlib import Path

from rvae_server.model.modeldirs import bundled_models_dir, default_model, find_models
from rvae_server.model.verdict import is_poor

BUNDLED = bundled_models_dir()


def meta_only(root: Path, name: str, poor: bool, warnings: list[str]) -> None:
    """A model folder holding only a meta.json (all ``rvae models`` reads), flagged or not."""
    meta = json.loads((BUNDLED / "groove-rock" / "meta.json").read_text())
    meta["name"] = name
    if poor:  # far too busy: what a performer hears at once
        meta["evaluation"]["feel"]["density"] = 1.6
    meta["evaluation"]["poor"] = poor
    meta["evaluation"]["warnings"] = warnings
    (root / name).mkdir(parents=True)
    (root / name / "meta.json").write_text(json.dumps(meta))


def test_rvae_models_lists_the_flagged_model_apart_with_its_warnings(tmp_path, rvae_here):
    meta_only(tmp_path, "aaa-poor", True, ["the pad plays 1.6x as many notes as the training clips"])
    meta_only(tmp_path, "bbb-good", False, [])
    meta_only(tmp_path, "ccc-good", False, [])
    status, out, err = rvae_here("models", "--models-dir", str(tmp_path))
    assert status == 0, err
    lines = out.splitlines()
    heading = next(i for i, line in enumerate(lines) if line.startswith("playing poorly"))
    assert "aaa-poor" not in "\n".join(lines[:heading])
    assert "bbb-good" in "\n".join(lines[:heading]) and "ccc-good" in "\n".join(lines[:heading])
    rest = "\n".join(lines[heading:])
    assert "aaa-poor" in rest and "(plays poorly)" in rest
    assert "warning: the pad plays 1.6x as many notes as the training clips" in rest
    # first in the folder, yet not the default: the first model that plays well is
    chosen = default_model([tmp_path])
    assert chosen is not None and chosen.name == "bbb-good"
    assert "* bbb-good" in out
    status, out, _ = rvae_here("models", "--models-dir", str(tmp_path), "--json")
    entries = {e["name"]: e for e in map(json.loads, out.splitlines())}
    assert entries["aaa-poor"]["poor"] is True and entries["aaa-poor"]["warnings"] == [
        "the pad plays 1.6x as many notes as the training clips"
    ]
    assert entries["bbb-good"]["poor"] is False and entries["bbb-good"]["warnings"] == []


def test_the_flag_is_data_driven(tmp_path, rvae_here):
    meta_only(tmp_path, "aaa-fine", False, [])
    status, out, _ = rvae_here("models", "--models-dir", str(tmp_path))
    assert status == 0 and "playing poorly" not in out and "* aaa-fine" in out
    # a README naming a flagged model still makes it the default (the performer chose it)
    meta_only(tmp_path, "zzz-poor", True, ["x"])
    (tmp_path / "README.md").write_text("Default model: `zzz-poor`\n")
    chosen = default_model([tmp_path])
    assert chosen is not None and chosen.name == "zzz-poor"


def test_the_bundled_mined_model_is_offered_apart():
    infos = {i.name: i for i in find_models([BUNDLED])}
    flagged = {name for name, i in infos.items() if i.summary().get("poor")}
    assert flagged == {"mined-all"}  # 72 % of its pad passes the filter, its clips 97 %: the others play well
    assert flagged == {n for n, i in infos.items() if i.meta and is_poor(i.meta.get("evaluation"))}
    chosen = default_model([BUNDLED])
    assert chosen is not None and chosen.name not in flagged
