"""Can every dependency install from a wheel alone — no compiler — on Linux, macOS and Windows, for Python 3.11 to
3.14? Run by hand (it asks the package index; not a test):

    python scripts/check_wheels.py [--python 3.11 3.12 3.13 3.14] [--platform NAME ...] [--jobs 4] [--json]

For each platform (``manylinux`` x86_64, ``macos-arm64``, ``macos-x86_64``, ``windows``) and Python version it walks
the project's dependencies (``pyproject.toml``) and theirs, their environment markers evaluated for that platform,
and asks pip which wheel it would take for each one (``pip install --dry-run --no-deps --only-binary=:all:
--platform … --python-version … --report``: pip reads the metadata and downloads no wheel). It prints a table —
each direct dependency's version for each target, ``none`` where no wheel exists (a source build, or nothing) — and
under it the transitive dependencies that lack a wheel. Exit status 0 when every target installs from wheels alone.

Each package is resolved once per target from the first requirement met (no backtracking): what it answers is
whether a wheel exists, not pip's exact choice. A local pip constraint (``PIP_CONSTRAINT``) is ignored.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Platform:
    name: str
    tags: tuple[str, ...]  # pip --platform values
    env: dict[str, str] = field(hash=False)  # environment markers


#: A glibc 2.35 machine (Ubuntu 22.04, Debian 12 and later): every manylinux tag it accepts (pip does not widen one).
LINUX_TAGS = (*(f"manylinux_2_{m}_x86_64" for m in range(35, 16, -1)), "manylinux2014_x86_64", "manylinux2010_x86_64",
              "manylinux1_x86_64")  # fmt: skip
PLATFORMS = (
    Platform("manylinux x86_64", LINUX_TAGS,
             {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64", "os_name": "posix"}),
    Platform("macos arm64", ("macosx_11_0_arm64",),
             {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64", "os_name": "posix"}),
    Platform("macos x86_64", ("macosx_10_15_x86_64",),
             {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "x86_64", "os_name": "posix"}),
    Platform("windows x64", ("win_amd64",),
             {"sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64", "os_name": "nt"}),
)  # fmt: skip
PYTHONS = ("3.11", "3.12", "3.13", "3.14")


def environment(platform: Platform, python: str) -> dict[str, str]:
    return {
        **platform.env,
        "python_version": python,
        "python_full_version": f"{python}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_version": "",
        "implementation_version": f"{python}.0",
    }


def applies(req: Requirement, env: dict[str, str], extras: frozenset[str]) -> bool:
    if req.marker is None:
        return True
    if not extras:
        return req.marker.evaluate({**env, "extra": ""})
    return any(req.marker.evaluate({**env, "extra": e}) for e in extras)


def resolve_one(req: Requirement, platform: Platform, python: str) -> dict[str, object] | None:
    """pip's answer for one requirement on one target: ``{name, version, wheel, requires}``, or None (no wheel)."""
    with tempfile.TemporaryDirectory() as target:
        args = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--no-deps",
                "--only-binary=:all:", "--python-version", python, "--implementation", "cp", "--target", target,
                "--report", "-", "--quiet", "--disable-pip-version-check"]  # fmt: skip
        for tag in platform.tags:
            args += ["--platform", tag]
        if any(s.version and any(c.isalpha() for c in s.version) for s in req.specifier):
            args.append("--pre")  # a pre-release named by its specifier (supriya-midi's betas)
        spec = f"{req.name}{req.specifier}"
        env = {**os.environ, "PIP_CONSTRAINT": "", "PIP_NO_INPUT": "1"}
        proc = subprocess.run([*args, spec], capture_output=True, text=True, env=env, timeout=600, check=False)
    if proc.returncode != 0:
        return None
    try:
        report = json.loads(proc.stdout)
        item = report["install"][0]
    except (ValueError, KeyError, IndexError):
        return None
    meta = item["metadata"]
    return {
        "name": canonicalize_name(meta["name"]),
        "version": meta["version"],
        "wheel": item["download_info"]["url"].rsplit("/", 1)[-1],
        "requires": meta.get("requires_dist") or [],
    }


def walk(direct: list[Requirement], platform: Platform, python: str, pool: ThreadPoolExecutor) -> dict[str, object]:
    """Every package the direct requirements pull in on one target: name → pip's answer (None: no wheel)."""
    env = environment(platform, python)
    found: dict[str, object] = {}
    merged: dict[str, Requirement] = {}  # a direct dependency named twice (numpy<2 on Intel Macs): both at once
    for req in (r for r in direct if applies(r, env, frozenset())):
        key = canonicalize_name(req.name)
        if key in merged:
            merged[key].specifier &= req.specifier
            merged[key].extras |= req.extras
        else:
            merged[key] = Requirement(str(req).split(";")[0])
    wanted = [(r, frozenset(r.extras)) for r in merged.values()]
    while wanted:
        batch = {}
        for req, extras in wanted:
            key = canonicalize_name(req.name)
            if key not in found and key not in batch:
                batch[key] = (req, extras)
        if not batch:
            break
        resolved = pool.map(lambda item: resolve_one(item[0], platform, python), batch.values())
        answers = dict(zip(batch, resolved, strict=True))
        wanted = []
        for key, answer in answers.items():
            found[key] = answer
            if answer is None:
                continue
            _, extras = batch[key]
            for text in answer["requires"]:  # type: ignore[union-attr]
                dep = Requirement(text)
                if applies(dep, env, extras):
                    wanted.append((dep, frozenset(dep.extras)))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--python", nargs="+", default=list(PYTHONS))
    parser.add_argument("--platform", nargs="+", default=[p.name for p in PLATFORMS], metavar="NAME")
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead")
    args = parser.parse_args(argv)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    direct = [Requirement(text) for text in project["dependencies"]]
    platforms = [p for p in PLATFORMS if p.name in args.platform]
    results: dict[tuple[str, str], dict[str, object]] = {}
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        for platform in platforms:
            for python in args.python:
                results[(platform.name, python)] = walk(direct, platform, python, pool)
                missing = [n for n, a in results[(platform.name, python)].items() if a is None]
                print(f"{platform.name} / {python}: {len(results[(platform.name, python)])} packages, "
                      f"{len(missing)} without a wheel", file=sys.stderr, flush=True)  # fmt: skip
    if args.json:
        versions = {f"{p} / {v}": {n: (a or {}).get("version") for n, a in r.items()} for (p, v), r in results.items()}
        print(json.dumps(versions))
    else:
        print(table(direct, platforms, args.python, results))
    return 0 if all(a is not None for r in results.values() for a in r.values()) else 1


def table(direct: list[Requirement], platforms: list[Platform], pythons: list[str],
          results: dict[tuple[str, str], dict[str, object]]) -> str:  # fmt: skip
    """The markdown table: a row per target, a column per direct dependency whose wheel differs between targets
    (``none``: no wheel; ``-``: its marker leaves it out there), then whether every dependency — transitive ones
    too — comes from a wheel; under it the dependencies that are the same everywhere, and any without a wheel."""
    names: list[str] = []
    for req in direct:
        if canonicalize_name(req.name) not in names:
            names.append(canonicalize_name(req.name))
    targets = [(p.name, v) for p in platforms for v in pythons]

    def cell(target: tuple[str, str], name: str) -> str:
        result = results[target]
        if name not in result:
            return "-"
        answer = result[name]
        return str(answer["version"]) if answer else "**none**"  # type: ignore[index]

    varying = [n for n in names if len({cell(t, n) for t in targets}) > 1]
    same = [n for n in names if n not in varying]
    lines = ["| platform | Python | " + " | ".join(varying) + " | every dependency from a wheel |",
             "|---" * (len(varying) + 3) + "|"]  # fmt: skip
    for target in targets:
        ok = "yes" if all(a is not None for a in results[target].values()) else "**no**"
        lines.append(f"| {target[0]} | {target[1]} | " + " | ".join(cell(target, n) for n in varying) + f" | {ok} |")
    lines.append("")
    lines.append("The same wheel everywhere: " + ", ".join(f"{n} {cell(targets[0], n)}" for n in same) + ".")
    missing = sorted({(t, n) for t in targets for n, a in results[t].items() if a is None})
    if missing:
        lines.append("Without a wheel: " + "; ".join(f"{n} ({p} {v})" for (p, v), n in missing) + ".")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
