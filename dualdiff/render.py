"""Render traces (and reports) as tables: every tabulate format, plus csv and json.

Numbers are formatted by ``dualdiff.numfmt``, not by tabulate: ``digits`` significant
digits with trailing zeros kept, integral values as integers, ``-0`` as ``0``.  The
strings go to tabulate with number parsing off, so no digit is re-read or stripped.

Names and formulas are shown the way each format reads best: ``u1`` in Markdown and
CSV, ``u₁`` in terminal formats, ``$u_{1}$`` and ``$\\sin\\left(u_{1} + v_{1}\\right)$``
in LaTeX.
"""
from __future__ import annotations

import re
from typing import Any, Sequence

import numpy as np

from .numfmt import check_digits, format_number, json_number
from .sanitize import Markup, cell, csv_text, dumps

EXTRA_FORMATS = ("csv", "json")


def table_formats() -> list[str]:
    """Every format ``Trace.table`` accepts: tabulate's, then csv and json."""
    import tabulate

    return sorted(tabulate.tabulate_formats) + list(EXTRA_FORMATS)


# ---------------------------------------------------------------------------
# Names and expressions per format
# ---------------------------------------------------------------------------
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_LATEX_FORMATS = {"latex", "latex_booktabs", "latex_longtable", "latex_raw"}
_PLAIN_FORMATS = {"github", "pipe", "csv", "tsv", "json", "html", "unsafehtml", "jira", "textile",
                  "mediawiki", "moinmoin", "youtrack", "asciidoc", "orgtbl", "rst", "presto"}


def _family(fmt: str) -> str:
    if fmt in _LATEX_FORMATS:
        return "latex"
    if fmt in _PLAIN_FORMATS:
        return "plain"
    return "unicode"


def show_name(name: str, family: str) -> str:
    if family == "latex":
        from .printing import name_to_latex

        return Markup(f"${name_to_latex(name)}$")
    if family == "unicode":
        m = re.fullmatch(r"([A-Za-z]+?)_?([0-9]+)", name)
        if m:
            return m.group(1) + m.group(2).translate(_SUB)
    return name


def show_expr(step: Any, family: str) -> str:
    if step.is_input:
        return "input"
    if family == "latex" and step.node is not None:
        from .printing import expr_to_latex

        return Markup(f"${expr_to_latex(step.node)}$")
    return step.expr


def deriv_header(w: str, family: str, idx: tuple[int, ...] = ()) -> str:
    if family == "latex":
        from .printing import name_to_latex

        return Markup(f"$\\partial/\\partial {name_to_latex(w)}{_idx_text(idx)}$")
    return f"d/d{w}{_idx_text(idx)}"


def deriv2_header(a: str, ia: tuple[int, ...], b: str, ib: tuple[int, ...], family: str) -> str:
    """``d²/dw²``, ``d²/dw db``, ``d²/dx[0] dx[1]`` (LaTeX: ``∂²/∂w∂b``)."""
    na, nb = f"{a}{_idx_text(ia)}", f"{b}{_idx_text(ib)}"
    if family == "latex":
        from .printing import name_to_latex

        la, lb = name_to_latex(a) + _idx_text(ia), name_to_latex(b) + _idx_text(ib)
        if na == nb:
            return Markup(f"$\\partial^2/\\partial {la}^2$" if not ia else f"$\\partial^2/\\partial {la}\\,\\partial {lb}$")
        return Markup(f"$\\partial^2/\\partial {la}\\,\\partial {lb}$")
    if na == nb and not ia:
        return f"d²/d{a}²"
    return f"d²/d{na} d{nb}"


def _idx_text(idx: tuple[int, ...]) -> str:
    return f"[{','.join(str(i) for i in idx)}]" if idx else ""


def _components(shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    return [tuple(int(i) for i in ix) for ix in np.ndindex(*shape)] if shape else [()]


def _cell(v: Any, idx: tuple[int, ...]) -> Any:
    if v is None:
        return None
    if not idx:
        return v
    return _item(np.asarray(v)[idx])


def _item(x: Any) -> Any:
    return x.item() if isinstance(x, np.generic) else x


def deriv_columns(trace: Any) -> list[tuple[str, tuple[int, ...]]]:
    """(input, component) of every first-derivative column: one per input component."""
    return [(w, ix) for w in trace.wrt for ix in _components(tuple(np.shape(trace.inputs[w])))]


def deriv2_columns(trace: Any) -> list[tuple[str, str, tuple[int, ...], tuple[int, ...]]]:
    """(key "a,b", b, ia, ib) of every second-derivative column: each unordered pair once."""
    cols = []
    wrt = list(trace.wrt)
    for i, a in enumerate(wrt):
        ca = _components(tuple(np.shape(trace.inputs[a])))
        for b in wrt[i:]:
            cb = _components(tuple(np.shape(trace.inputs[b])))
            for ka, ia in enumerate(ca):
                for kb, ib in enumerate(cb):
                    if a == b and kb < ka:
                        continue
                    cols.append((f"{a},{b}", a, b, ia, ib))
    return cols


def component_rows(trace: Any) -> list[tuple[Any, tuple[int, ...]]]:
    """(step, index) per table row: one row per component of a vector or matrix step."""
    return [(s, ix) for s in trace.rows for ix in _components(tuple(np.shape(s.value)))]


def row_name(step: Any, idx: tuple[int, ...]) -> str:
    """``z1[0]``, ``W1[1,0]``: a component row's name (0-based, as the program indexes)."""
    return step.name + _idx_text(idx)


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------
def trace_columns(trace: Any, fmt: str = "github", digits: int = 8, adjoints: bool | None = None,
                  check: Any = None, exact_forms: bool = False) -> tuple[list[str], list[list[str]]]:
    """Headers and text rows of a trace table (shared by every format).

    A float trace is audited (``dualdiff.audit``): a cell with fewer correct digits than
    ``digits`` gets a ``*`` and the row's note says how many are right, the true value
    and the operation that lost them.  Rows computed from a kinked step say so.
    """
    family = _family(fmt)
    audit = _audit_of(trace)
    sources = trace.kink_sources() if hasattr(trace, "kink_sources") else {}
    if adjoints is None:
        adjoints = trace.has_adjoints
    elif adjoints and not trace.has_adjoints:
        trace.compute_adjoints()
    out = trace.output.name
    dcols = deriv_columns(trace)
    order2 = any(s.derivs2 is not None for s in trace.steps)
    d2cols = deriv2_columns(trace) if order2 else []
    headers = ["step", "expression", "value"] + [deriv_header(w, family, ix) for w, ix in dcols]
    headers += [deriv2_header(a, ia, b, ib, family) for _, a, b, ia, ib in d2cols]
    if exact_forms and trace.exact:
        headers.insert(3, "exact")
    if adjoints:
        from .printing import name_to_latex

        headers.append(f"∂{out}/∂step" if family != "latex"
                       else Markup(f"$\\partial {name_to_latex(out)}/\\partial$ step"))
    if check is not None:
        headers.append("check")
    row_notes = {s.name: _note(s, sources.get(s.name, ()), audit, digits) for s in trace.rows}
    notes = any(row_notes.values())
    if notes:
        headers.append("note")
    rows = []
    for s, ix in component_rows(trace):
        first = not ix or not any(ix)
        acc = audit[s.name] if audit is not None and s.name in audit.steps else None
        bad = set(acc.inaccurate(digits)) if acc is not None else set()

        def mark(column: str, idx: tuple) -> str:
            """``*`` on a cell with fewer correct digits than shown (the note says how many)."""
            if column not in bad:
                return ""
            k = acc.cell(column, idx)
            return "*" if k is not None and k < digits else ""

        shown = show_name(s.name, family)
        name = (Markup if isinstance(shown, Markup) else str)(shown + _idx_text(ix))
        expr = show_expr(s, family) if first else ("input" if s.is_input else "")
        row = [name, expr, format_number(_cell(s.value, ix), digits) + mark("value", ix)]
        if exact_forms and trace.exact:
            row.append(_short_exact(_cell(s.value, ix)))
        row += [format_number(_cell(s.derivs.get(w), ix + wix), digits) + mark(w, ix + wix) for w, wix in dcols]
        if d2cols:
            d2 = s.derivs2 or {}
            row += [format_number(_cell(d2.get(key) if key in d2 else None, ix + ia + ib), digits)
                    + mark(f"d2:{key}", ix + ia + ib) for key, _, _, ia, ib in d2cols]
        if adjoints:
            row.append(format_number(_cell(s.adjoint, ix), digits) + mark("adjoint", ix))
        if check is not None:
            row.append("" if s.is_input or not first else check.verdict_for(s.name))
        if notes:
            row.append(row_notes[s.name] if first else "")
        rows.append(row)
    return headers, rows


EXACT_WIDTH = 40  # a table cell, not a proof: the full form is in to_json()


def _short_exact(v: Any) -> str:
    from .exactgraph import exact_form

    text = str(exact_form(v))
    return text if len(text) <= EXACT_WIDTH else text[:EXACT_WIDTH - 1] + "…"


def _audit_of(trace: Any) -> Any:
    """The precision audit of a float trace; None for exact/mpmath traces (and non-traces)."""
    audit = getattr(trace, "audit", None)
    return audit() if callable(audit) else None


def _note(step: Any, kink_from: Sequence[str] = (), audit: Any = None, digits: int = 8) -> str:
    parts = [_own_note(step)] if step.kinks or step.nonfinite else []
    if kink_from:
        parts.append(f"kink (from {', '.join(kink_from)})")
    if audit is not None:
        parts.append(audit.note(step.name, digits))
    return "; ".join(p for p in parts if p)


def _own_note(step: Any) -> str:
    parts = []
    if step.kinks:
        from .rules import RULES

        for k in step.kinks:
            fname = k.split(" ")[0]
            conv = RULES[fname].kink_note if fname in RULES else ""
            parts.append(f"kink: {k}" + (f" ({conv})" if conv else ""))
    if step.nonfinite:
        parts.append("first nan/inf")
    return "; ".join(parts)


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]], fmt: str) -> str:
    """Text cells to a table: tabulate for its formats (numbers not re-parsed), csv by hand.

    Every cell that is not :class:`~dualdiff.sanitize.Markup` is user-facing text and is
    escaped for ``fmt`` here, at the output boundary (``dualdiff.sanitize.cell``).
    """
    import tabulate

    if fmt != "csv" and fmt not in tabulate.tabulate_formats:
        raise ValueError(f"unknown table format {fmt!r}; choose one of: {', '.join(table_formats())}")
    if fmt == "csv":  # the one CSV path (sanitize.csv_text): every cell through csv_cell
        return csv_text([h if isinstance(h, str) else str(h) for h in headers], rows).rstrip("\n")
    headers = [cell(h, fmt) for h in headers]
    rows = [[cell(c, fmt) for c in row] for row in rows]
    tablefmt: Any = fmt
    if fmt in _LATEX_TABLES:
        tablefmt = _raw_latex(fmt)  # cells are escaped LaTeX already: tabulate must not escape again
    elif fmt == "html":
        tablefmt = "unsafehtml"  # escaped above (tabulate's own escaping would do it twice)
    return tabulate.tabulate(rows, headers, tablefmt=tablefmt, disable_numparse=True)


# LaTeX tables whose cells are already LaTeX (tabulate's own latex formats would escape
# $ \ _ { }): the anatomy of tabulate's formats, from its public records.
# format: (environment, rule above the header, rule below the header, rule at the end)
_LATEX_TABLES = {
    "latex": ("tabular", "\\hline", "\\hline", "\\hline"),
    "latex_booktabs": ("tabular", "\\toprule", "\\midrule", "\\bottomrule"),
    "latex_longtable": ("longtable", "\\hline", "\\hline\n\\endhead", "\\hline"),
}
_LATEX_ALIGN = {"left": "l", "right": "r", "center": "c", "decimal": "r"}


def _raw_latex(fmt: str) -> Any:
    """A tabulate ``TableFormat`` for ``fmt`` that leaves cell text as it is."""
    import tabulate

    env, top, mid, bottom = _LATEX_TABLES[fmt]

    def begin(colwidths: list[int], colaligns: list[str]) -> str:
        columns = "".join(_LATEX_ALIGN.get(a, "l") for a in colaligns)
        return f"\\begin{{{env}}}{{{columns}}}\n{top}"

    row = tabulate.DataRow("", "&", "\\\\")
    return tabulate.TableFormat(lineabove=begin, linebelowheader=tabulate.Line(mid, "", "", ""),
                                linebetweenrows=None, linebelow=tabulate.Line(f"{bottom}\n\\end{{{env}}}", "", "", ""),
                                headerrow=row, datarow=row, padding=1, with_header_hide=None)


def render_trace(trace: Any, fmt: str = "github", digits: int = 8, **options: Any) -> str:
    check_digits(digits)
    if fmt == "json":
        return trace_to_json(trace, digits=digits)
    headers, rows = trace_columns(trace, fmt, digits, **options)
    return render_table(headers, rows, fmt)


# ---------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------
def json_value(v: Any) -> Any:
    """json_number for a number, nested lists of them for a vector or matrix."""
    if isinstance(v, np.ndarray):
        return [json_value(x) for x in v] if v.ndim else json_number(_item(v[()]))
    return json_number(v)


def trace_to_dict(trace: Any, digits: int = 8) -> dict:
    """The JSON document of a trace; ``digits`` decides which cells the audit calls inaccurate."""
    audit = _audit_of(trace)
    sources = trace.kink_sources() if hasattr(trace, "kink_sources") else {}
    steps = []
    for s in trace.steps:
        entry: dict[str, Any] = {"name": s.name, "expr": s.expr, "value": json_value(s.value),
                                 "derivs": {w: json_value(s.derivs.get(w)) for w in trace.wrt}}
        if s.derivs2 is not None:
            entry["derivs2"] = {k: json_value(v) for k, v in s.derivs2.items()}
        if trace.has_adjoints:
            entry["adjoint"] = json_value(s.adjoint)
        if trace.exact:
            from .exactgraph import exact_form

            def text(v: Any) -> Any:  # nested lists of texts for a vector step
                if isinstance(v, np.ndarray):
                    return [text(e) for e in v]
                return str(exact_form(v))

            entry["exact"] = {"value": text(s.value), "derivs": {w: text(s.derivs.get(w)) for w in trace.wrt}}
        if s.kinks:
            entry["kinks"] = list(s.kinks)
        if s.kinks or sources.get(s.name):
            entry["kink"] = {"at": list(s.kinks), "from": list(sources.get(s.name, ()))}
        if s.nonfinite:
            entry["nonfinite"] = True
        if audit is not None and s.name in audit.steps:
            entry["accuracy"] = audit[s.name].to_dict(digits)
        steps.append(entry)
    out: dict[str, Any] = {"inputs": {k: json_value(v) for k, v in trace.inputs.items()},
                           "wrt": list(trace.wrt), "steps": steps}
    if trace.has_adjoints:
        out["input_adjoints"] = {s.name: json_value(s.adjoint) for s in trace.input_steps}
    return out


def trace_to_json(trace: Any, indent: int | None = 2, digits: int = 8) -> str:
    return dumps(trace_to_dict(trace, digits), indent=indent)
