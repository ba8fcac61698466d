"""The ``dualdiff`` command line: a thin front end; the library never imports it.

Every failure caused by input prints one line ``dualdiff: error: …`` on stderr and
exits with 2; no traceback reaches the user.
"""
from __future__ import annotations

import argparse
import sys
import warnings
from typing import Any, Sequence

from .errors import KinkWarning

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad input from the command line: reported as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse prints usage + message; we print one line
        where = self.prog.split()[-1] if " " in self.prog else ""
        raise UsageError(f"{where}: {message}" if where else message)


def _at_pairs(items: Sequence[str] | None) -> dict[str, str]:
    """``--at x=1 --at y=2`` or ``--at x=1,y=2`` → {"x": "1", "y": "2"} (values parsed later)."""
    out: dict[str, str] = {}
    for item in items or ():
        for part in _split_top(item):
            part = part.strip()
            if not part:
                continue
            name, sep, value = part.partition("=")
            if not sep or not name.strip() or not value.strip():
                raise UsageError(f"--at expects NAME=VALUE, got {part!r}")
            out[name.strip()] = value.strip()
    return out


def _split_top(text: str) -> list[str]:
    """Split at commas outside brackets: ``x=[1, 2],y=3`` -> ``x=[1, 2]``, ``y=3``."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def wrt_names(items: Sequence[str] | None) -> list[str] | None:
    """``--wrt w,b`` and ``--wrt w b`` both give ["w", "b"]; no --wrt gives None (all inputs)."""
    if not items:
        return None
    return [t.strip() for item in items for t in item.split(",") if t.strip()]


def _number(name: str, text: str) -> Any:
    if text.startswith("["):  # a vector or matrix: read by the program parser (trace coerces it)
        return text
    try:
        v = float(text)
    except ValueError:
        raise UsageError(f"--at {name}={text}: {text!r} is not a number") from None
    return v


# ---------------------------------------------------------------------------
# commands
# ---------------------------------------------------------------------------
def cmd_table(args: argparse.Namespace) -> int:
    from .trace import load_program, trace_program

    program = load_program(args.program)
    at: dict[str, Any] = {k: (v if args.exact else _number(k, v)) for k, v in _at_pairs(args.at).items()}
    tr = trace_program(program, at=at, wrt=wrt_names(args.wrt), expand=args.expand, adjoints=args.adjoints,
                       exact=args.exact, order=args.order)
    report = None
    if args.check:
        # sympy's check repeats the float arithmetic, so it cannot see digits lost to
        # rounding: the precision audit (the high-precision reference) is part of --check
        report = AuditedCheck(tr.check_symbolic(), tr.audit(), args.digits)
    if args.format == "json":
        print(tr.to_json(digits=args.digits))
    else:
        print(tr.table(args.format, digits=args.digits, check=report, exact_forms=args.exact))
    if report is not None and not report.ok:
        for line in report.symbolic.failures() if not report.symbolic.ok else ():
            print(f"dualdiff: symbolic check failed: {line}", file=sys.stderr)
        for line in report.audit_failures():
            print(f"dualdiff: precision check failed: {line}", file=sys.stderr)
        return EXIT_FAIL
    return EXIT_OK


class AuditedCheck:
    """``table --check``: sympy's verdict per step, overridden where the audit finds lost digits."""

    def __init__(self, symbolic: Any, audit: Any, digits: int):
        self.symbolic, self.audit, self.digits = symbolic, audit, digits

    def verdict_for(self, name: str) -> str:
        if self.audit is not None and name in self.audit.steps:
            a = self.audit[name]
            if not a.audited:
                return "not verified"
            if a.inaccurate(self.digits):
                return "inaccurate"
        return self.symbolic.verdict_for(name)

    def audit_failures(self) -> list[str]:
        return self.audit.failures(self.digits) if self.audit is not None else []

    @property
    def ok(self) -> bool:
        return self.symbolic.ok and (self.audit is None or self.audit.ok(self.digits))


def cmd_diff(args: argparse.Namespace) -> int:
    from .diffexpr import diff_expression

    print(diff_expression(args.expr, _at_pairs(args.at), order=args.order, fmt=args.format,
                          digits=args.digits, side=args.side))
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    """Exit 0 when every cell is correct or carried, 1 when any is wrong, imprecise or
    missing, 2 when a file is unusable -- except under ``--format gradescope``, which always
    prints exactly one results.json and exits 0 for an unusable submission (score 0 with
    the reason), so that the autograder records a grade."""
    from .grading import Grader, expand_sources, gradescope_document, parse_weights, summary_csv, summary_table
    from .sanitize import dumps, one_line

    at = {k: _number(k, v) for k, v in _at_pairs(args.at).items()}
    if not 0.0 <= args.carried_credit <= 1.0:
        raise UsageError(f"--carried-credit must be between 0 and 1, got {args.carried_credit:g}")
    if args.min_digits < 0:
        raise UsageError(f"--min-digits must be 0 or more, got {args.min_digits}")
    if args.variants and at:
        raise UsageError("--at and --variants do not go together: each variant's inputs are drawn from its ranges")
    if args.report:
        from pathlib import Path

        from .files import refuse_existing

        if Path(args.report).is_dir() and not Path(args.report).is_symlink():
            raise UsageError(f"--report {args.report}: is a folder; give a file name such as course.html")
        refuse_existing(args.report, args.force, "--report")  # before any grading
    grader = Grader(args.program, at=at, wrt=wrt_names(args.wrt), tol=args.tol, carry_forward=not args.no_carry_forward,
                    carried_credit=args.carried_credit, weights=parse_weights(getattr(args, "weight", None)),
                    variants=args.variants, seed=args.seed, min_digits=args.min_digits, order=args.order,
                    wrong_inputs=args.wrong_inputs)
    hide = args.hide_expected
    if args.format == "gradescope":
        try:
            sources = expand_sources(args.hand)
        except ValueError as exc:  # a glob matching nothing: still one document
            results = [(" ".join(args.hand), None, str(exc))]
        else:
            results = grader.check_many(sources) if sources else [(" ".join(args.hand), None, "no hand table found")]
        if args.report:
            _write_report(args.report, results, grader, args.program, args.force)
        print(dumps(gradescope_document(results, grader, hide_expected=hide)))
        graded = [rep for _, rep, _ in results if rep is not None]
        if not graded:
            return EXIT_OK  # an unusable submission is a grade of 0, not a broken autograder
        return EXIT_OK if max(graded, key=lambda r: grader.score(r)[0]).ok else EXIT_FAIL
    sources = expand_sources(args.hand)
    if not sources:
        raise UsageError("no hand tables found")
    results = None
    if args.report:
        results = grader.check_many(sources)
        _write_report(args.report, results, grader, args.program, args.force)
    if len(sources) == 1 and args.format != "csv":
        report = grader.check(sources[0])  # unusable input raises: one line, exit 2
        if args.format == "json":
            print(report.to_json(hide_expected=hide))
        else:
            print(report.table("simple", hide_expected=hide))
            print(report.summary(grader.carried_credit))
            for where, why in report.problems:
                print(f"note: {one_line(where)}: {one_line(why)}")
            for note in report.notes:
                print(one_line(note))
        return EXIT_OK if report.ok else EXIT_FAIL
    if results is None:
        results = grader.check_many(sources)
    if args.format == "csv":
        sys.stdout.write(summary_csv(results, grader))
    elif args.format == "json":
        print(dumps({name: (rep.to_dict(hide_expected=hide) if rep else {"error": err})
                     for name, rep, err in results}))
    else:
        print(summary_table(results, grader))
    if any(rep is None for _, rep, _ in results):
        return EXIT_USAGE
    return EXIT_OK if all(rep.ok for _, rep, _ in results) else EXIT_FAIL


def _write_report(path: str, results: list, grader: Any, program: str, force: bool = False) -> None:
    from pathlib import Path

    from .files import open_output
    from .report import course_report

    page = course_report(results, title=f"dualdiff check {Path(program).name}", carried_credit=grader.carried_credit)
    # exclusive create without --force (a file or symlink that appeared meanwhile is refused);
    # with --force a symlink is replaced, never written through
    with open_output(path, force, "--report") as fh:
        fh.write(page.encode("utf-8"))
    print(f"wrote {path}", file=sys.stderr)


def cmd_worksheet(args: argparse.Namespace) -> int:
    from .trace import load_program, trace_program
    from .worksheet import make_variants, read_roster, worksheet, write_worksheets

    program = load_program(args.program)
    at = {k: _number(k, v) for k, v in _at_pairs(args.at).items()}
    blank: Any = args.blank or ["all"]
    if len(blank) == 1 and blank[0] in ("all", "values", "derivs"):
        blank = blank[0]
    students = read_roster(args.variants) if args.variants else None
    if students is not None and at:
        raise UsageError("--at and --variants do not go together: each variant's inputs are drawn from its ranges")
    wrt = wrt_names(args.wrt)
    if args.out:
        files = write_worksheets(program, args.out, args.format, blank, args.answers, students, args.seed,
                                 force=args.force, digits=args.digits, title=args.title, at=at or None, wrt=wrt)
        print(f"wrote {len(files)} file(s) into {args.out}")
        return EXIT_OK
    if students is not None:
        if len(students) != 1:
            raise UsageError("--variants: one file per student needs --out DIR")
        v = make_variants(program, students, args.seed, wrt=wrt)[0]
        print(worksheet(v.trace, blank, args.answers, args.format, args.digits, args.title, v.student), end="")
        return EXIT_OK
    tr = trace_program(program, at=at or None, wrt=wrt)
    print(worksheet(tr, blank, args.answers, args.format, args.digits, args.title), end="")
    return EXIT_OK


def cmd_plot(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .plotting import figure_classes, plot

    from .files import refuse_existing

    figure_classes()  # fail first, with the install hint
    out = Path(args.out)
    refuse_existing(out, args.force)  # before any work; the write itself is exclusive too
    target: Any = args.expr
    if args.expr.endswith(".dd"):  # a program: its output against one input (--wrt)
        from .plotting import program_function

        target = program_function(args.expr, args.wrt)
    elif args.wrt:
        raise UsageError("--wrt is for plotting a program (a .dd file) against one of its inputs")
    plot(target, tuple(args.range), at=args.at, out=out, points=args.points, force=args.force)
    print(f"wrote {out}")
    return EXIT_OK


# ---------------------------------------------------------------------------
# parser
# ---------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    fmt_help = "table format: any tabulate format (github, plain, simple, grid, latex, latex_booktabs, html, …), csv or json"
    p = _Parser(prog="dualdiff", formatter_class=argparse.RawDescriptionHelpFormatter,
                description="Forward-mode automatic differentiation that shows its work.",
                epilog="examples:\n  dualdiff table traces/sincos_worksheet.dd\n"
                       "  dualdiff diff 'sin(x)**2' --at x=1 --order 3\n"
                       "  dualdiff check traces/sincos_worksheet.dd hand.md --format gradescope")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    t = sub.add_parser("table", help="print the evaluation trace of a program as a table",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Evaluate a .dd program and print every step with its value and derivatives.",
                       epilog="examples:\n  dualdiff table traces/sincos_worksheet.dd\n"
                              "  dualdiff table traces/sincos_worksheet.dd --at x=2 --format latex --digits 6\n"
                              "  dualdiff table traces/backprop.dd --adjoints --check\n"
                              "  dualdiff table traces/softmax.dd --at 'z=[1, 2, 0.5]'\n"
                              "  dualdiff table traces/sigmoid_hessian.dd --wrt w,b --order 2")
    t.add_argument("program", help="a .dd program file")
    t.add_argument("--at", action="extend", nargs="+", metavar="NAME=VALUE", help="set an input (repeat, or x=1,y=2)")
    t.add_argument("--wrt", action="extend", nargs="+", metavar="NAMES", help="inputs to differentiate with respect to, comma-separated (default: all)")
    t.add_argument("--format", default="github", metavar="FMT", help=fmt_help)
    t.add_argument("--digits", type=int, default=8, help="significant digits (default 8)")
    t.add_argument("--expand", action="store_true", help="one row per elementary operation (Wengert list)")
    t.add_argument("--adjoints", action="store_true", help="add the reverse-mode column ∂output/∂step")
    t.add_argument("--check", action="store_true", help="cross-check every derivative with sympy (exit 1 on disagreement)")
    t.add_argument("--exact", action="store_true", help="compute with exact sympy numbers (inputs as fractions)")
    t.add_argument("--order", type=int, default=1, choices=[1, 2],
                   help="2 adds the second derivatives d²/dw², d²/dw db with respect to the wrt inputs")
    t.set_defaults(run=cmd_table)

    d = sub.add_parser("diff", help="value and derivatives of one expression",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Differentiate one expression at a point.",
                       epilog="examples:\n  dualdiff diff 'sin(x) * exp(x)' --at x=1\n"
                              "  dualdiff diff 'sigmoid(x)' --at x=0 --order 5\n"
                              "  dualdiff diff 'x**3 * y + 3*x' --at x=2,y=3\n"
                              "  dualdiff diff 'selu(x)' --at x=0 --order 3 --side right")
    d.add_argument("expr", help="an expression in the program language, e.g. 'sin(x)**2'")
    d.add_argument("--at", action="extend", nargs="+", metavar="NAME=VALUE", help="the point (every name the expression uses)")
    d.add_argument("--order", type=int, default=1,
                   help="highest derivative order (default 1; with several variables at most 2: the Hessian)")
    d.add_argument("--format", default="simple", metavar="FMT", help=fmt_help)
    d.add_argument("--digits", type=int, default=12, help="significant digits (default 12)")
    d.add_argument("--side", choices=["left", "right"], default=None,
                   help="one-sided derivatives (at a kink such as relu or selu at 0); default: the convention")
    d.set_defaults(run=cmd_diff)

    c = sub.add_parser("check", help="check a hand-written table against the true trace",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Verify a hand table (Markdown, CSV or JSON) cell by cell. "
                                   "Exit 0 when every cell is correct or carried, 1 when any is wrong or missing, "
                                   "2 for unusable input.",
                       epilog="examples:\n  dualdiff check traces/sincos_worksheet.dd hand.md\n"
                              "  dualdiff check prog.dd 'submissions/*.md' --format gradescope --carried-credit 0.5")
    c.add_argument("program", help="the .dd program the table is about")
    c.add_argument("hand", nargs="+", help="hand table file(s), a folder or a glob")
    c.add_argument("--at", action="extend", nargs="+", metavar="NAME=VALUE", help="set an input")
    c.add_argument("--wrt", action="extend", nargs="+", metavar="NAMES", help="derivative columns, comma-separated (default: all inputs)")
    c.add_argument("--tol", default="digits", help="digits (default) or rtol=…,atol=…")
    c.add_argument("--order", type=int, default=1, choices=[1, 2],
                   help="2: the table's second-derivative columns (d²/dw², d²/dw db, …) are required "
                        "(default 1: second-derivative columns a table has are judged, others not asked for)")
    c.add_argument("--no-carry-forward", action="store_true", help="do not excuse errors carried from an earlier wrong cell")
    c.add_argument("--wrong-inputs", choices=("carry", "strict"), default=None,
                   help="an input row written differently from the one given: carried forward like any slip "
                        "(carry, the default) or the cells computed from it are wrong (strict, the default "
                        "with --variants)")
    c.add_argument("--carried-credit", type=float, default=1.0, metavar="W",
                   help="share of a cell's points a carried cell earns, 0..1 (default 1)")
    c.add_argument("--weight", action="append", metavar="STEP[:COLUMN]=W",
                   help="points for a step's cells (y=3) or one cell (y:d/dx=2); default 1 each")
    c.add_argument("--min-digits", type=int, default=3, metavar="N",
                   help="fewest significant digits a value must show to earn its mark (default 3; 0: no minimum); "
                        "a value written exactly (39 for 39) always passes")
    c.add_argument("--hide-expected", action="store_true",
                   help="keep the true values out of the report (what students see on Gradescope)")
    c.add_argument("--format", default="text", choices=["text", "json", "gradescope", "csv"],
                   help="report format: text, json, gradescope (one results.json, always) or csv (one row per file)")
    c.add_argument("--variants", metavar="ROSTER.csv",
                   help="grade each submission against its student's variant (matched by file name or a "
                        "'Student: NAME (ID)' line; see docs/worksheets.md)")
    c.add_argument("--seed", default="0", help="the seed the variants were drawn with (default 0)")
    c.add_argument("--report", metavar="FILE.html",
                   help="also write one self-contained HTML page for the TA (summary, every table, diagnoses); "
                        "an existing file is refused unless --force")
    c.add_argument("--force", action="store_true", help="overwrite the --report file if it exists (a symlink is replaced)")
    c.set_defaults(run=cmd_check)

    w = sub.add_parser("worksheet", help="a worksheet with blank cells, its answer key, a variant per student",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Render the program's trace as a worksheet for students (Markdown, LaTeX, HTML).",
                       epilog="examples:\n  dualdiff worksheet traces/sincos_worksheet.dd --blank derivs\n"
                              "  dualdiff worksheet traces/sincos_worksheet.dd --answers --format latex > key.tex\n"
                              "  dualdiff worksheet sheet.dd --variants roster.csv --seed 7 --answers --out handout/")
    w.add_argument("program", help="a .dd program")
    w.add_argument("--blank", nargs="+", metavar="WHAT", default=["all"],
                   help="cells to leave blank: values, derivs, all (default) or step names")
    w.add_argument("--answers", action="store_true", help="the answer key: blanks filled in and marked")
    w.add_argument("--format", default="markdown", choices=["markdown", "md", "latex", "tex", "html"],
                   help="markdown (default), latex (a document pdflatex compiles) or html")
    w.add_argument("--digits", type=int, default=6, help="significant digits of the key (default 6)")
    w.add_argument("--title", default="Forward mode by hand", help="the worksheet's title")
    w.add_argument("--at", action="extend", nargs="+", metavar="NAME=VALUE", help="set an input")
    w.add_argument("--wrt", action="extend", nargs="+", metavar="NAMES", help="derivative columns (default: all inputs)")
    w.add_argument("--variants", metavar="ROSTER.csv", help="one variant per student of the roster (id,name)")
    w.add_argument("--seed", default="0", help="seed of the variants' draws (default 0)")
    w.add_argument("--out", metavar="DIR", help="write files into DIR instead of printing")
    w.add_argument("--force", action="store_true", help="overwrite existing files in --out")
    w.set_defaults(run=cmd_worksheet)

    pl = sub.add_parser("plot", help="plot f and f' on one figure (needs the plot extra)",
                        formatter_class=argparse.RawDescriptionHelpFormatter,
                        description="Plot an expression of x and its derivative.",
                        epilog="examples:\n  dualdiff plot 'sigmoid(x)' --range -6 6 --out sigmoid.png\n"
                               "  dualdiff plot 'relu(x)' --range -2 2 --at 1 --out relu.svg\n"
                               "  dualdiff plot traces/relu_net.dd --range -2 2 --wrt x1 --out relu_net.png")
    pl.add_argument("expr", help="an expression of x, or a .dd program (with --wrt)")
    pl.add_argument("--range", nargs=2, type=float, required=True, metavar=("A", "B"), help="the x range")
    pl.add_argument("--at", type=float, default=None, metavar="X0", help="draw the tangent line at X0")
    pl.add_argument("--out", default="plot.png", help="output file (.png or .svg; default plot.png)")
    pl.add_argument("--points", type=int, default=801, help="number of grid points (default 801)")
    pl.add_argument("--wrt", default=None, metavar="NAME",
                    help="for a .dd program: the input on the x axis (the others keep their values)")
    pl.add_argument("--force", action="store_true", help="overwrite --out if it exists (a symlink is replaced)")
    pl.set_defaults(run=cmd_plot)
    return p


def _error(exc: BaseException | str) -> int:
    """Print the one error line (user text in it escaped, at most ~1000 characters)."""
    from .sanitize import one_line

    msg = " ".join(str(exc).split()) or type(exc).__name__
    msg = one_line(msg)
    if len(msg) > 1000:
        msg = msg[:999] + "…"
    print(f"dualdiff: error: {msg}", file=sys.stderr)
    return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    # Every command reports the kinks it meets in its own output (a table's note column,
    # diff's `note:` lines, check's reasons, plot's markers): no Python warnings on top.
    warnings.filterwarnings("ignore", category=KinkWarning)
    try:
        args = build_parser().parse_args(argv)
        return args.run(args)
    except UsageError as exc:
        return _error(exc)
    except SystemExit as exc:  # --help exits 0 through argparse
        return int(exc.code or 0)
    except KeyboardInterrupt:
        print("dualdiff: error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except (ValueError, ArithmeticError, OSError, TypeError, KeyError, LookupError, RecursionError,
            MemoryError, UnicodeError) as exc:
        return _error(exc)
    except ImportError as exc:
        return _error(exc)


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    entry()
