"""Every `--format` a table accepts escapes user text for its own language (issue 14 item 3).

rst, mediawiki, jira, textile, asciidoc, moinmoin, youtrack and orgtbl are markup
languages: a cell holding their cell separator, a link, a template, a macro or raw HTML
must come out as text.  Checked structurally (the hostile table has the clean table's
lines and, line by line, the same number of cell separators) and by the tokens that would
be markup if they survived raw.
"""
from __future__ import annotations

import re

import pytest

import dualdiff as dd
from dualdiff.render import render_table, table_formats

HOSTILE = ("x | y || z !! {| |} |- [[Main Page]] {{evil}} <script>alert(1)</script> "
           "`a <http://e.vil>`_ @@html:<b>@@ {html}<b>{html} [x|http://e.vil] ~~~~ __NOTOC__ "
           "'''b''' *b* _i_ +++raw+++ pass:[<i>] {docdir} include::x[] \\ .. raw:: html")

SEPARATOR = {"rst": None, "mediawiki": "|", "jira": "|", "textile": "|", "asciidoc": "|",
             "moinmoin": "||", "youtrack": "|", "orgtbl": "|", "github": "|", "pipe": "|"}

# raw tokens that would be markup (or would end a cell) in each language
FORBIDDEN = {
    "mediawiki": ["[[", "{{", "<script", "'''", "~~~~", "__NOTOC__", "!!", "{|", "|}", "|-"],
    "jira": ["{html}", "[x|", "[[", "{{"],
    "youtrack": ["[x|", "{{"],
    "textile": ["<script", "@@", "[[", "*b*", "_i_", "+++"],
    "asciidoc": ["+++", "pass:[", "{docdir}", "include::", "<script", "[["],
    "moinmoin": ["[[", "{{", "<script", "'''", "| y"],
    "rst": ["`_", ":raw", "<http"],
    "orgtbl": ["@@html", "[[Main"],
}


def _formats():
    skip = {"csv", "json", "html", "unsafehtml", "latex", "latex_raw", "latex_booktabs", "latex_longtable"}
    return [f for f in table_formats() if f not in skip]


@pytest.mark.parametrize("fmt", _formats())
def test_hostile_cell_keeps_the_table_structure(fmt):
    headers = ["step", "note"]
    clean = render_table(headers, [["a", "plain words"], ["b", "ok"]], fmt)
    bad = render_table(headers, [["a", HOSTILE], ["b", "ok"]], fmt)
    assert len(bad.splitlines()) == len(clean.splitlines()), bad
    sep = SEPARATOR.get(fmt)
    if sep is not None:
        for c, b in zip(clean.splitlines(), bad.splitlines()):
            # escaped bars are preceded by a backslash (rst, jira) or written as &#124;
            assert len(re.findall(r"(?<!\\)" + re.escape(sep), b)) == \
                len(re.findall(r"(?<!\\)" + re.escape(sep), c)), (fmt, b)


@pytest.mark.parametrize("fmt", sorted(FORBIDDEN))
def test_hostile_cell_injects_no_markup(fmt):
    out = render_table(["step", "note"], [["a", HOSTILE]], fmt)
    body = out.split("\n", 1)[1] if fmt == "rst" else out
    cell = [line for line in body.splitlines() if "alert" in line][0]
    for token in FORBIDDEN[fmt]:
        # a token escaped by a backslash (rst, jira) is text
        assert not re.search(r"(?<!\\)" + re.escape(token), cell), (fmt, token, cell)


@pytest.mark.parametrize("fmt", ["jira", "textile", "rst", "mediawiki", "asciidoc"])
def test_numbers_and_program_text_survive(fmt):
    t = dd.trace_program("W = [[1, 2], [3, 4]]\nx = [1, -1]\ny = sum(W @ x * x)", wrt="x")
    out = t.table(fmt)
    assert "-1" in out and ("0.50000000" not in out)  # minus signs of numbers stay plain
    # the program's @ and * are text, not Textile code spans or Jira bold
    if fmt == "textile":
        assert "W &#64; x &#42; x" in out
    if fmt == "jira":
        assert "W @ x \\* x" in out
