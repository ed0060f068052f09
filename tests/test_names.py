"""One model-name rule (rvae_server.core.names), matched whole in every place a name enters or is written: a name
with a trailing newline, a path, an empty name and a 65-character name are refused everywhere; plain names pass
everywhere. The page's copy (static/js/rules.js) is generated from the server's and run under node here."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from rvae_server.cli import main
from rvae_server.core.names import InvalidName, is_plain_name, model_name
from rvae_server.model.modeldirs import resolve_model
from rvae_server.model.modelfile import ModelFileError, check_model_name, write_model_folder
from rvae_server.outputs.capture import Capture, CaptureError
from rvae_server.surfaces.osc import handlers
from rvae_server.surfaces.osc.spec import Call, OscArgError
from rvae_server.web.rules import RULES_JS, rules_js

BAD = ["abc\n", "../x", "", "a" * 65, "\nabc", "a/b", ".hidden", "-dash", "sp ace", "abc\r\n"]
GOOD = ["a", "default", "groove-2", "my_model.v2", "A" * 64, "0start"]


def test_the_rule_matches_whole_names_only() -> None:
    for name in BAD:
        assert not is_plain_name(name), repr(name)
        with pytest.raises(InvalidName, match="invalid model name"):
            model_name(name)
    for name in GOOD:
        assert is_plain_name(name) and model_name(name) == name
    assert not is_plain_name(None) and not is_plain_name(12)


def test_model_files_refuse_what_the_rule_refuses(tmp_path: Path) -> None:
    for name in BAD:
        with pytest.raises(ModelFileError, match="invalid model name") as refused:
            check_model_name(name)
        assert "\n" not in str(refused.value)  # one line, the name quoted when it holds a newline
        with pytest.raises(ModelFileError, match="invalid model name"):
            write_model_folder(tmp_path, name, {"meta.json": b"{}"})
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    for name in GOOD:
        assert check_model_name(name) == name
    (tmp_path / "abc").mkdir()
    with pytest.raises(ModelFileError):  # "abc\n" is not the model "abc"
        resolve_model("abc\n", [tmp_path])


def test_capture_names_follow_the_same_rule(tmp_path: Path) -> None:
    capture = Capture(sink=None, folder=tmp_path)  # type: ignore[arg-type]  (path_for needs no sink)
    for name in BAD:
        with pytest.raises(CaptureError, match="capture name"):
            capture.path_for(name)
    for name in GOOD:
        assert capture.path_for(name) == tmp_path.resolve() / f"{name}.mid"


@dataclass
class FakeTraining:
    started: list[tuple[str, str, list[int]]] = field(default_factory=list)

    def start(self, folder: str, name: str, layers: list[int]) -> str:
        self.started.append((folder, name, layers))
        return "job-1"


@dataclass
class FakeHost:
    clip_dirs: list[Path]
    training: FakeTraining = field(default_factory=FakeTraining)


def test_osc_train_checks_the_name_where_it_enters(tmp_path: Path) -> None:
    (tmp_path / "clips").mkdir()
    host: Any = FakeHost([tmp_path])
    for name in BAD:
        with pytest.raises(OscArgError, match="invalid model name"):
            handlers.train(host, Call("/rvae/train", 0, ["clips", name], None))
    assert host.training.started == []
    for name in GOOD:
        call = Call("/rvae/train", 0, ["clips", name], None)
        handlers.train(host, call)
        assert call.replies == [("/rvae/train/started", ["job-1", name, 1])]
    assert [n for _, n, _ in host.training.started] == GOOD


def test_rvae_train_checks_the_name_before_anything(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ["abc\n", "../x", "", "a" * 65]:
        status = main(["train", str(tmp_path), "--name", name, "--models-dir", str(tmp_path / "models"), "--json"])
        out, err = capsys.readouterr()
        assert status == 1 and "invalid model name" in err, (name, err)
        assert "invalid model name" in json.loads(out.strip().splitlines()[-1])["error"]
    assert not (tmp_path / "models").exists()


def test_the_page_gets_the_servers_rules_generated() -> None:
    assert RULES_JS.read_text(encoding="utf-8") == rules_js(), "run: python -m rvae_server.web.rules > " + str(RULES_JS)
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.fail("the page's rules are checked under node (Debian: apt-get install nodejs; scripts/setup.sh does)")
    names = BAD + GOOD
    script = (
        f"import {{ MODEL_NAME }} from {json.dumps(RULES_JS.as_uri())};\n"
        f"console.log(JSON.stringify({json.dumps(names)}.map((n) => MODEL_NAME.test(n))));\n"
    )
    result = subprocess.run(
        [node, "--input-type=module", "-e", script], capture_output=True, text=True, check=True, timeout=30
    )
    assert json.loads(result.stdout) == [is_plain_name(n) for n in names]
    page = (RULES_JS.parent.parent / "index.html").read_text(encoding="utf-8")
    assert 'pattern="' not in page and 'min="20"' not in page  # the page takes both from rules.js
