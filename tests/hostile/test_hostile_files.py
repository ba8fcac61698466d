"""Hostile hand-table files and folders: nothing blocks, nothing grows, nothing leaks.

Expected (written before the fix):
- a FIFO, a device, a socket, or a symlink to one, as program or hand table: refused by
  type before any read (exit 2, one line naming "not a regular file"), at once;
- a glob or folder with symlink loops: each real file graded once, quickly;
- a submission that is a symlink to a file outside its folder (an instructor's key):
  refused, and nothing of the target (name or content) appears in any output.
"""
from __future__ import annotations

import os
import socket
import shutil
import sys
from pathlib import Path

import pytest

from hostile_run import WORKSHEET, python, run, strict_json

HAND = Path(__file__).resolve().parents[1] / "data" / "hand" / "sincos_worksheet.csv"
HAND_MD = HAND.with_suffix(".md")
SECRET = "SECRET-KEY-LINE-7f3a"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file types")


@pytest.fixture
def fifo(tmp_path):
    p = tmp_path / "hand.md"
    os.mkfifo(p)
    return p


def test_fifo_hand_table_is_refused_not_waited_on(fifo):
    msg = run(["check", str(WORKSHEET), str(fifo)], timeout=20).one_error_line()
    assert "regular file" in msg


def test_fifo_program_is_refused(tmp_path):
    p = tmp_path / "prog.dd"
    os.mkfifo(p)
    msg = run(["table", str(p)], timeout=20).one_error_line()
    assert "regular file" in msg


def test_fifo_matched_by_a_glob_does_not_block_the_batch(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(HAND, subs / "alice.csv")
    os.mkfifo(subs / "bob.csv")
    r = run(["check", str(WORKSHEET), str(subs / "*.csv")], timeout=20)
    r.finished()
    assert "alice" in r.out


def test_fifo_in_a_folder_does_not_block_the_batch(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(HAND, subs / "alice.csv")
    os.mkfifo(subs / "bob.csv")
    r = run(["check", str(WORKSHEET), str(subs)], timeout=20)
    r.finished()
    assert r.code == 0 and "OK: 22 correct" in r.out  # the FIFO is not a hand table: skipped


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_symlink_to_a_device_is_refused(tmp_path, device):
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    link = tmp_path / "hand.md"
    link.symlink_to(device)
    r = run(["check", str(WORKSHEET), str(link)], timeout=20, mem=GiB_AND_HALF)
    r.one_error_line()


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_device_as_program_is_refused(tmp_path, device):
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    link = tmp_path / "prog.dd"
    link.symlink_to(device)
    msg = run(["table", str(link)], timeout=20).one_error_line()
    assert "regular file" in msg


def test_device_given_directly(tmp_path):
    msg = run(["check", str(WORKSHEET), "/dev/urandom"], timeout=20).one_error_line()
    assert "regular file" in msg


def test_socket_is_refused(tmp_path):
    path = tmp_path / "s.md"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.bind(str(path))
    except OSError as exc:  # path too long on some systems
        pytest.skip(str(exc))
    try:
        msg = run(["check", str(WORKSHEET), str(path)], timeout=20).one_error_line()
        assert "regular file" in msg
    finally:
        s.close()


def test_api_reader_refuses_fifo(fifo):
    r = python(f"import dualdiff.handtable as h\n"
               f"try:\n    h.read_hand_table({str(fifo)!r})\n"
               f"except h.HandTableError as e:\n    print('refused', e)\n", timeout=20)
    r.finished()
    assert r.out.startswith("refused") and "regular file" in r.out


GiB_AND_HALF = 3 << 29


def _loop_tree(tmp_path: Path) -> Path:
    subs = tmp_path / "subs"
    (subs / "a" / "b").mkdir(parents=True)
    shutil.copy(HAND_MD, subs / "a" / "alice.md")
    shutil.copy(HAND_MD, subs / "a" / "b" / "bob.md")
    (subs / "a" / "up").symlink_to("..")
    (subs / "a" / "b" / "top").symlink_to("../..")
    (subs / "a" / "b" / "self").symlink_to(".")
    (subs / "loop1").symlink_to("loop2")
    (subs / "loop2").symlink_to("loop1")
    return subs


def test_recursive_glob_does_not_follow_symlink_loops(tmp_path):
    subs = _loop_tree(tmp_path)
    r = run(["check", str(WORKSHEET), str(subs) + "/**/*.md", "--format", "json"], timeout=30)
    r.finished()
    doc = strict_json(r.out)
    names = sorted(Path(k).name for k in doc)
    assert names == ["alice.md", "bob.md"], names


def test_folder_walk_does_not_follow_symlink_loops(tmp_path):
    subs = _loop_tree(tmp_path)
    r = run(["check", str(WORKSHEET), str(subs / "a"), "--format", "json"], timeout=30)
    r.finished()
    assert r.code == 0 and "OK: 22 correct" not in r.err


def test_glob_with_many_files_is_capped(tmp_path):
    """A glob that visits more files than a class ever submits ends with a message."""
    r = python(
        "import os, sys\n"
        f"root = {str(tmp_path)!r}\n"
        "for i in range(60):\n"
        "    d = os.path.join(root, 'd%d' % i)\n"
        "    os.mkdir(d)\n"
        "    for j in range(60):\n"
        "        os.symlink(root, os.path.join(d, 'l%d' % j))\n"
        "from dualdiff.cli import main\n"
        f"sys.exit(main(['check', {str(WORKSHEET)!r}, root + '/**/*.md']))\n", timeout=40)
    r.finished()
    assert r.code == 2 and "dualdiff: error:" in r.err


# --------------------------------------------------------------------------- leaks
def _key_and_link(tmp_path: Path) -> tuple[Path, Path]:
    key = tmp_path / "instructor" / "key.md"
    key.parent.mkdir()
    key.write_text(SECRET + "\n" + HAND.read_text())
    subs = tmp_path / "submissions"
    subs.mkdir()
    link = subs / "student.md"
    link.symlink_to(key)
    return key, link


@pytest.mark.parametrize("fmt", ["text", "json", "gradescope"])
def test_symlink_to_the_key_does_not_leak(tmp_path, fmt):
    _, link = _key_and_link(tmp_path)
    r = run(["check", str(WORKSHEET), str(link), "--format", fmt], timeout=20)
    r.finished()
    assert SECRET not in r.out + r.err
    assert "instructor" not in r.out + r.err, "the link's target is named"
    if fmt == "gradescope":  # always one results.json, exit 0: the refusal is a score of 0
        assert strict_json(r.out)["score"] == 0
    else:
        assert r.code != 0


@pytest.mark.parametrize("fmt", ["text", "json", "gradescope"])
def test_symlink_in_a_folder_does_not_leak(tmp_path, fmt):
    _, link = _key_and_link(tmp_path)
    shutil.copy(HAND, link.parent / "other.md")
    r = run(["check", str(WORKSHEET), str(link.parent), "--format", fmt], timeout=20)
    r.finished()
    assert SECRET not in r.out + r.err
    assert "instructor" not in r.out + r.err


def test_symlink_inside_the_folder_is_followed(tmp_path):
    """A link that stays inside the submitted folder is an ordinary file."""
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(HAND, subs / "real.csv")
    (subs / "alias.csv").symlink_to("real.csv")
    r = run(["check", str(WORKSHEET), str(subs / "alias.csv")], timeout=20)
    r.finished()
    assert r.code == 0, r.err


def test_unreadable_json_content_is_not_echoed(tmp_path):
    """A reader error never quotes more than a short excerpt of the file."""
    p = tmp_path / "hand.json"
    p.write_text('{"u1": "' + "A" * 5000 + '"')
    r = run(["check", str(WORKSHEET), str(p)], timeout=20)
    r.finished()
    assert len(r.err) < 1000


# --------------------------------------------------------------------------- big files
def test_file_growing_past_the_cap_is_refused(tmp_path):
    """The size cap holds while reading, not only from st_size (checked with a 6 MB file)."""
    p = tmp_path / "big.md"
    p.write_text("| step | value |\n|---|---|\n" + "| u1 | 0.84 |\n" * 500_000)
    msg = run(["check", str(WORKSHEET), str(p)], timeout=20).one_error_line()
    assert "too large" in msg


def test_read_limited_enforces_the_cap_while_reading(tmp_path):
    """A reader that trusts st_size reads a FIFO or /proc file without bound."""
    r = python("from dualdiff.files import read_limited\n"
               "try:\n    read_limited('/proc/self/status', 10, ValueError, 'table')\n"
               "except ValueError as e:\n    print('refused', e)\n", timeout=20)
    r.finished()
    assert r.out.startswith("refused"), r.out + r.err


# --------------------------------------------------------------------------- walks
def test_walk_glob_stops_after_the_cap(tmp_path, monkeypatch):
    from dualdiff import files

    for i in range(30):
        (tmp_path / f"f{i}.md").write_text("x")
    monkeypatch.setattr(files, "MAX_VISITED", 10)
    with pytest.raises(ValueError, match="more than 10 folder entries"):
        files.walk_glob(str(tmp_path / "**" / "*.md"))
    with pytest.raises(ValueError, match="more than 10 folder entries"):
        files.list_folder(tmp_path, lambda p: True)


@pytest.mark.parametrize("pattern", ["**/*.md", "*.md", "sub/*.md", "sub/**/*.md", "**/deep/*", "*/*/*.md",
                                     "**/*.csv", "x/**/f.md", "**/.h*", "s?b/*.md", "[ab].md"])
def test_walk_glob_agrees_with_glob_without_links(tmp_path, pattern):
    """Without symlinks, walk_glob finds what glob.glob(recursive=True) finds (the reference)."""
    import glob

    from dualdiff.files import walk_glob

    for name in ["a.md", "b.csv", ".h.md", "sub/c.md", "sub/deep/d.md", "sub/deep/e.csv", "x/y/z/f.md",
                 "[draft].md", "sub/.hid/g.md"]:
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("")
    full = str(tmp_path / pattern)
    assert walk_glob(full) == sorted(glob.glob(full, recursive=True))


def test_a_file_whose_name_looks_like_a_glob_is_opened(tmp_path):
    p = tmp_path / "[draft] hand.csv"
    shutil.copy(HAND, p)
    r = run(["check", str(WORKSHEET), str(p)], timeout=30)
    r.finished()
    assert r.code == 0, r.err
