"""Where PyTorch has no build (an Intel Mac with Python 3.13+: torch 2.2.2 is the last and stops at 3.12), rvae
installs without it (pyproject's marker) and says why at start instead of a traceback; ``rvae osc`` works."""

from __future__ import annotations

import subprocess
import sys

from packaging.requirements import Requirement

from rvae_server.cli import missing_torch

HIDE_TORCH = "import sys; sys.modules['torch'] = None; from rvae_server.cli import main; sys.exit(main(sys.argv[1:]))"


def rvae_without_torch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", HIDE_TORCH, *args], capture_output=True, text=True, timeout=120,
                          check=False)  # fmt: skip


def test_a_command_that_needs_torch_says_why_and_osc_still_works():
    for args in (["serve", "--duration", "0.1"], ["map", "groove-all", "--pad", "x.png"]):
        done = rvae_without_torch(*args)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert f"rvae {args[0]}: needs PyTorch" in done.stderr and "Python 3.11 or 3.12" in done.stderr
    assert rvae_without_torch("osc", "--list").returncode == 0
    assert "Intel Macs" not in missing_torch("serve") or sys.platform == "darwin"


def test_the_torch_requirement_leaves_out_only_intel_macs_after_312():
    import tomllib
    from pathlib import Path

    deps = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]["dependencies"]
    (torch,) = [Requirement(d) for d in deps if d.startswith("torch")]
    for platform, machine, python, wanted in [
        ("darwin", "x86_64", "3.13", False), ("darwin", "x86_64", "3.12", True), ("darwin", "arm64", "3.14", True),
        ("linux", "x86_64", "3.14", True), ("win32", "AMD64", "3.13", True),
    ]:  # fmt: skip
        env = {"sys_platform": platform, "platform_machine": machine, "python_version": python}
        assert torch.marker is not None and torch.marker.evaluate(env) is wanted, env
