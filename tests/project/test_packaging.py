"""Dexter renders its messages however it is installed: from a checkout, from an editable install
and from a built wheel. The last two run in throwaway virtualenvs outside the checkout, offline
(`--no-index`, no build isolation: the build uses the setuptools the dev extras install)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

from bot.slack import render
from tests.paths import REPO

# What a build needs: the same list the container recipe in docs/operations.md copies.
SOURCES = ("pyproject.toml", "README.md", "bot", "handlers", "templates")

# Runs inside the virtualenv: renders `/dexter help` from the installed package's own table and
# says where the package and its templates were loaded from.
PROBE = """
import json
import bot, bot.slack.render
from bot.slack.command_table import Dispatcher
from handlers import MODULES, commands

table = [*commands.COMMANDS, *(c for m in MODULES for c in getattr(m, "COMMANDS", []))]
groups = Dispatcher(table).groups()
blocks = bot.slack.render.Renderer().blocks("commands/help", groups=groups, notice=None)
extra = bot.slack.render.Renderer().render("packaging_probe") if EXTRA else None
print(json.dumps({
    "bot": bot.__file__,
    "templates": str(bot.slack.render.TEMPLATES.resolve()),
    "names": [c.name for c in table],
    "blocks": blocks,
    "extra": extra,
}))
"""


def _run(args: list[str], cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_"))}
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _copy_sources(dest: Path) -> Path:
    """A copy of what a build reads (links kept, as a clone has them), so the build writes its
    build/ and egg-info there and never into the checkout."""
    dest.mkdir()
    for name in SOURCES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(
                src, dest / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(src, dest / name)
    return dest


def _venv(path: Path) -> Path:
    """A virtualenv that sees this interpreter's packages (the dependencies, offline) but gets
    its own Dexter; its pip is this interpreter's, installing into the venv."""
    _run(
        [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(path)],
        path.parent,
    )
    return path / "bin" / "python"


def _pip(python: Path, *args: str, cwd: Path) -> None:
    # --isolated: no pip configuration from the machine; --no-index: nothing from the network;
    # --ignore-installed: the Dexter installed for development is not "already satisfied".
    _run(
        [
            str(python),
            "-m",
            "pip",
            "--isolated",
            "install",
            "-q",
            "--no-index",
            "--no-deps",
            "--ignore-installed",
            *args,
        ],
        cwd,
    )


def _probe(python: Path, cwd: Path, *, extra: bool = False) -> dict[str, Any]:
    # -I: neither the working directory nor PYTHONPATH is on sys.path; only what is installed is.
    out = _run([str(python), "-I", "-c", f"EXTRA = {extra}\n{PROBE}"], cwd)
    result: dict[str, Any] = json.loads(out.splitlines()[-1])
    return result


def _assert_help(result: dict[str, Any]) -> None:
    blocks = result["blocks"]
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Dexter commands"},
    }
    text = "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")
    assert len(result["names"]) > 10
    for name in result["names"]:
        assert f"/dexter {name}" in text


def _shipped_templates() -> set[str]:
    return {
        p.relative_to(REPO / "templates").as_posix()
        for p in (REPO / "templates").rglob("*")
        if p.is_file()
    }


def test_the_checkout_renders_its_own_templates() -> None:
    # bot/templates is a link to templates/: a checkout (and a worktree beside another
    # checkout's editable install) reads the templates next to the code it runs.
    assert Path(render.__file__).resolve().is_relative_to(REPO)
    assert render.TEMPLATES.resolve() == REPO / "templates"
    assert render.Renderer().blocks("commands/help", groups=[], notice=None)[0]["type"] == "header"


def test_a_built_wheel_renders_from_its_own_copy(tmp_path: Path) -> None:
    src = _copy_sources(tmp_path / "src")
    dist = tmp_path / "dist"
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--isolated",
            "wheel",
            "-q",
            "--no-index",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(dist),
            str(src),
        ],
        tmp_path,
    )
    (wheel,) = dist.glob("dexter-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        packed = {
            n.removeprefix("bot/templates/")
            for n in archive.namelist()
            if n.startswith("bot/templates/")
        }
    assert packed == _shipped_templates()

    shutil.rmtree(src)  # nothing left to fall back on but the installed copy
    python = _venv(tmp_path / "venv")
    _pip(python, str(wheel), cwd=tmp_path)
    run_dir = tmp_path / "elsewhere"
    run_dir.mkdir()
    result = _probe(python, run_dir)

    site = (tmp_path / "venv").resolve()
    assert Path(result["bot"]).resolve().is_relative_to(site)
    assert Path(result["templates"]).is_relative_to(site)
    _assert_help(result)


def test_an_editable_install_renders_from_the_source_tree(tmp_path: Path) -> None:
    src = _copy_sources(tmp_path / "src")
    python = _venv(tmp_path / "venv")
    _pip(python, "--no-build-isolation", "-e", str(src), cwd=tmp_path)
    # A template added after installing is found: the install reads the source tree live.
    (src / "templates" / "packaging_probe.json.j2").write_text('[{{ "editable"|tojson }}]')
    run_dir = tmp_path / "elsewhere"
    run_dir.mkdir()
    result = _probe(python, run_dir, extra=True)

    assert Path(result["bot"]).resolve() == (src / "bot" / "__init__.py").resolve()
    assert Path(result["templates"]) == (src / "templates").resolve()
    assert result["extra"] == ["editable"]
    _assert_help(result)


def test_an_install_without_templates_fails_at_import(tmp_path: Path) -> None:
    src = _copy_sources(tmp_path / "src")
    (src / "bot" / "templates").unlink()
    done = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            "import sys; sys.path.insert(0, '.'); import bot.slack.render",
        ],
        cwd=src,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "Dexter's templates are missing from this installation" in done.stderr
