"""Every code example in README.md and docs/*.md runs, so the documentation cannot rot.

- ```python blocks run in order, in one fresh namespace per file (a later block may use
  what an earlier one defined).  The text executed is our own documentation.
- ```console blocks are sessions: each ``$ dualdiff …`` line runs through
  ``dualdiff.cli.main`` and its output (stdout then stderr) must be exactly the lines shown
  below it (trailing spaces aside).  ``$ echo $?`` shows the exit code of the command before.
- Extra words after the language name a module the block needs
  (```python verify``` needs ``dualdiff.verify``; ```console matplotlib``` needs matplotlib):
  the block is skipped while that module does not exist.
- Other blocks (```sh, ```text, ```json, bare ```) are shown, not run.

Examples run in a scratch folder holding copies of ``traces/`` and ``docs/examples/``, so
paths in the docs are written from the repository root and nothing is written into it.
"""
from __future__ import annotations

import importlib.util
import re
import runpy
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
SETUP = ['pip install -e ".[test]"', "pytest", "dualdiff table traces/sincos_worksheet.dd"]

_FENCE = re.compile(r"^```([A-Za-z0-9_-]*)[ \t]*([^`\n]*)$")


@dataclass
class Block:
    path: Path
    index: int           # position among the runnable blocks of its file
    lang: str
    needs: tuple[str, ...]
    text: str
    line: int            # 1-based line of the opening fence

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def code_blocks(path: Path) -> list[tuple[str, tuple[str, ...], str, int]]:
    """(language, needs, text, line) for every fenced block of a Markdown file."""
    out = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start = i
        body = []
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        assert i < len(lines), f"{path.name}:{start + 1}: code block never closed"
        out.append((m.group(1), tuple(m.group(2).split()), "\n".join(body) + "\n", start + 1))
        i += 1
    return out


def runnable(path: Path) -> list[Block]:
    blocks = []
    for lang, needs, text, line in code_blocks(path):
        if lang in ("python", "console"):
            blocks.append(Block(path, len(blocks), lang, needs, text, line))
    return blocks


ALL_BLOCKS = [b for p in DOCS for b in runnable(p)]


def _missing(needs: tuple[str, ...]) -> list[str]:
    missing = []
    for word in needs:
        module = word if word in ("matplotlib", "sympy") or "." in word else f"dualdiff.{word}"
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(module)
    return missing


# ---------------------------------------------------------------------------
# Running blocks
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """A folder that looks like the repository root for the examples' relative paths."""
    d = tmp_path_factory.mktemp("docs_run")
    shutil.copytree(ROOT / "traces", d / "traces")
    if (ROOT / "docs" / "examples").is_dir():
        shutil.copytree(ROOT / "docs" / "examples", d / "docs" / "examples")
    return d


_NAMESPACES: dict[Path, tuple[dict, int]] = {}


def _run_python(block: Block) -> None:
    """Run every earlier runnable python block of the file first (once), then this one."""
    ns, done = _NAMESPACES.get(block.path, (None, -1))
    if ns is None:
        ns = {"__name__": f"docs_{block.path.stem}"}
    for b in runnable(block.path)[done + 1: block.index + 1]:
        if b.lang != "python" or _missing(b.needs):
            continue
        code = compile(b.text, f"{b.id}", "exec")
        exec(code, ns)  # our own documentation text, see the module docstring
    _NAMESPACES[block.path] = (ns, block.index)


def parse_session(text: str) -> list[tuple[list[str], str]]:
    """[(argv, expected output)] for every ``$ …`` line of a console block."""
    session: list[tuple[list[str], list[str]]] = []
    for line in text.splitlines():
        if line.startswith("$ "):
            session.append((shlex.split(line[2:]), []))
        else:
            assert session, f"console block must start with '$ dualdiff …', got {line!r}"
            session[-1][1].append(line)
    return [(argv, "\n".join(out)) for argv, out in session]


def _clean(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.rstrip("\n").splitlines())


def _run_console(block: Block, capsys) -> None:
    from dualdiff.cli import main

    capsys.readouterr()
    code = None
    for argv, expected in parse_session(block.text):
        if argv == ["echo", "$?"]:
            assert code is not None, "echo $? needs a command before it"
            assert str(code) == expected.strip(), f"{block.id}: exit code {code}, docs say {expected.strip()}"
            continue
        assert argv[0] == "dualdiff", f"{block.id}: console examples run dualdiff, got {argv[0]!r}"
        code = main(argv[1:])
        cap = capsys.readouterr()
        got = cap.out + cap.err
        assert _clean(got) == _clean(expected), (
            f"{block.id}: output of `{' '.join(argv)}` differs from the docs\n--- docs\n{expected}\n--- actual\n{got}")


@pytest.mark.parametrize("block", ALL_BLOCKS, ids=[b.id for b in ALL_BLOCKS])
def test_doc_example(block: Block, scratch, monkeypatch, capsys):
    missing = _missing(block.needs)
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (not installed, or not written yet)")
    monkeypatch.chdir(scratch)
    if block.lang == "python":
        _run_python(block)
    else:
        _run_console(block, capsys)


# ---------------------------------------------------------------------------
# The docs themselves
# ---------------------------------------------------------------------------
def test_readme_starts_with_the_three_setup_lines():
    blocks = code_blocks(ROOT / "README.md")
    assert blocks, "README has no code block"
    assert blocks[0][2].splitlines() == SETUP


def test_ci_runs_the_readme_install_and_test_lines():
    ci = ROOT / ".ci" / "run"
    if not ci.exists():
        pytest.skip(".ci/run not present")
    lines = [ln.strip() for ln in ci.read_text().splitlines()]
    assert SETUP[0] in lines and SETUP[1] in lines


def test_readme_never_installs_the_other_dualdiff():
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"pip install\s+[\"']?dualdiff(?![-\w])", text), path.name


def test_relative_links_resolve():
    link = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
    for path in DOCS:
        for target in link.findall(path.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            assert (path.parent / target).exists(), f"{path.name}: broken link {target}"


def test_every_console_block_is_a_dualdiff_session():
    for b in ALL_BLOCKS:
        if b.lang == "console":
            first = b.text.splitlines()[0]
            assert first.startswith("$ dualdiff "), f"{b.id}: {first!r}"


def test_language_reference_is_generated_from_the_rule_table():
    ns = runpy.run_path(str(ROOT / "tools" / "make_reference.py"))
    expected = ns["render"]()
    actual = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
    assert actual == expected, "docs/language.md is out of date: run python tools/make_reference.py"


def test_language_reference_lists_every_rule():
    from dualdiff.rules import RULES

    text = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
    for name, rule in RULES.items():
        assert f"`{name}(" in text, name
        if rule.kink_note:
            assert rule.kink_note.replace("|", "\\|") in text, name


def test_gallery_page_shows_every_picture_and_pictures_are_small():
    page = (ROOT / "docs" / "gallery.md").read_text(encoding="utf-8")
    pngs = sorted((ROOT / "docs" / "gallery").glob("*.png"))
    assert len(pngs) >= 10
    for png in pngs:
        assert f"gallery/{png.name}" in page, png.name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png.name
        assert 5_000 < png.stat().st_size <= 80_000, (png.name, png.stat().st_size)
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_gallery", ROOT / "tools" / "make_gallery.py")
    gallery = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gallery)
    for stem, *_ in gallery.GALLERY:
        assert (ROOT / "docs" / "gallery" / f"{stem}.png").exists(), stem


# ---------------------------------------------------------------------------
# The runner itself
# ---------------------------------------------------------------------------
def test_runner_skips_blocks_whose_module_does_not_exist():
    assert _missing(("no_such_module_xyz",)) == ["dualdiff.no_such_module_xyz"]
    assert _missing(("trace", "render")) == []


def test_runner_reads_fences_and_sessions(tmp_path):
    md = tmp_path / "x.md"
    md.write_text("text\n```python verify\na = 1\n```\n\n```console\n$ dualdiff diff 'x' --at x=1\nout\n"
                  "$ echo $?\n0\n```\n```sh\nls\n```\n", encoding="utf-8")
    blocks = code_blocks(md)
    assert [(b[0], b[1]) for b in blocks] == [("python", ("verify",)), ("console", ()), ("sh", ())]
    assert parse_session(blocks[1][2]) == [(["dualdiff", "diff", "x", "--at", "x=1"], "out"), (["echo", "$?"], "0")]
