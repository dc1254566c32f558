"""The ``aiscan`` command line."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiscan._version import __version__
from aiscan.api import UsageError, _common_root, scan
from aiscan.config import Config, ConfigError, find_config, load_config_file
from aiscan.loader import RuleError, RuleSet, load_rules
from aiscan.model import SEVERITY_ORDER, Rule, ScanResult

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


class _Parser(argparse.ArgumentParser):
    """argparse that exits with 2 and one line (the usage error) on bad arguments."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_ERROR, f"aiscan: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="aiscan",
        description="Static analysis for the defects AI coding assistants leave in Python code.",
    )
    parser.add_argument("--version", action="version", version=f"aiscan {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("scan", help="scan files and folders")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("-f", "--format", choices=("text", "json", "sarif"), default="text")
    p.add_argument("-o", "--output", metavar="FILE", help="write the report here (default stdout)")
    _rule_options(p)
    p.add_argument("--select", action="append", metavar="ID|NAME|CATEGORY", default=None)
    p.add_argument("--ignore", action="append", metavar="ID|NAME|CATEGORY", default=None)
    p.add_argument(
        "--fail-on",
        choices=("error", "warning", "note"),
        default=None,
        help="lowest severity that makes the exit code 1 (default: note)",
    )
    p.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings")
    p.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=None,
        metavar="N",
        help="worker processes (default: the number of cores)",
    )
    p.add_argument("--config", metavar="FILE", help="read [tool.aiscan] from this file")
    p.add_argument(
        "--allow-parse-errors",
        action="store_true",
        default=None,
        help="files that do not parse do not make the exit code 2",
    )
    target = p.add_mutually_exclusive_group()
    target.add_argument(
        "--python",
        metavar="PATH",
        help="analyse against the packages of this interpreter (default: a .venv or venv at the "
        "project root, else the interpreter running aiscan)",
    )
    target.add_argument(
        "--venv", metavar="DIR", help="analyse against the packages of this virtual environment"
    )
    p.add_argument("--show-suppressed", action="store_true", help="list suppressed findings")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    cache = p.add_mutually_exclusive_group()
    cache.add_argument(
        "--no-cache",
        action="store_true",
        help="analyse every file; do not read or write the result cache",
    )
    _cache_dir_option(cache)

    p = sub.add_parser("cache", help="show or clear the result cache")
    p.add_argument("action", choices=("info", "clear"))
    p.add_argument("path", nargs="?", default=".", metavar="PATH", help="the scan root")
    _cache_dir_option(p)

    p = sub.add_parser("rules", help="list the rules")
    _rule_options(p)
    p = sub.add_parser("rule", help="show one rule's documentation")
    p.add_argument("rule_id", metavar="ID|NAME")
    _rule_options(p)
    p = sub.add_parser(
        "routes", help="list the web endpoints and the authentication guards in front of each"
    )
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("-f", "--format", choices=("text", "json"), default="text")
    p = sub.add_parser("test-rules", help="run annotated fixtures against the rules")
    p.add_argument("paths", nargs="+", metavar="PATH")
    _rule_options(p)
    return parser


def _cache_dir_option(p: argparse.ArgumentParser | argparse._MutuallyExclusiveGroup) -> None:
    p.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="the result cache's folder (default: [tool.aiscan] cache-dir, else .aiscan_cache "
        "at the scan root)",
    )


def _rule_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--rules",
        action="append",
        default=[],
        metavar="PATH",
        help="extra rule files or folders (repeatable)",
    )
    p.add_argument("--no-builtin-rules", action="store_true", help="do not load the built-in pack")


def _load(args: argparse.Namespace, extra: Sequence[str] = (), builtin: bool = True) -> RuleSet:
    return load_rules([*extra, *args.rules], builtin=builtin and not args.no_builtin_rules)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="aiscan: %(levelname)s: %(message)s",
    )
    if args.command is None:
        _parser().print_help()
        return EXIT_ERROR
    try:
        if args.command == "scan":
            return _cmd_scan(args)
        if args.command == "rules":
            return _cmd_rules(args)
        if args.command == "rule":
            return _cmd_rule(args)
        if args.command == "test-rules":
            return _cmd_test_rules(args)
        if args.command == "routes":
            return _cmd_routes(args)
        if args.command == "cache":
            return _cmd_cache(args)
    except (RuleError, ConfigError, UsageError) as exc:
        print(f"aiscan: error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("aiscan: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        # A bug, or an input nobody foresaw: still one line (the traceback with -v).
        logging.getLogger(__name__).info("internal error", exc_info=True)
        print(
            f"aiscan: internal error: {type(exc).__name__}: {one_line(str(exc))} "
            "(this is a bug in aiscan; run with -v for details)",
            file=sys.stderr,
        )
        return EXIT_ERROR
    return EXIT_ERROR


def one_line(text: str) -> str:
    """``text`` with its line breaks turned into spaces, so that a message stays one line."""
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def _cmd_scan(args: argparse.Namespace) -> int:
    if args.config:
        file_config = load_config_file(Path(args.config))
    else:
        # The configuration the library API would use: the nearest to the scanned paths.
        file_config = find_config(_common_root([Path(p) for p in args.paths]))
    config = file_config.merged(
        select=tuple(args.select) if args.select else None,
        ignore=tuple(args.ignore) if args.ignore else None,
        fail_on=args.fail_on,
        allow_parse_errors=args.allow_parse_errors,
        jobs=args.jobs,
    )
    if args.jobs is not None and args.jobs < 0:
        raise UsageError("--jobs must be 0 or more")
    out_path = Path(args.output) if args.output else None
    if out_path is not None and not out_path.parent.is_dir():
        raise UsageError(f"{args.output}: output folder {out_path.parent} does not exist")
    if out_path is not None and out_path.is_dir():
        raise UsageError(f"{args.output}: is a folder, not a file to write the report to")
    ruleset = load_rules(
        [*config.rules, *args.rules],
        builtin=config.builtin_rules and not args.no_builtin_rules,
    )
    _check_selectors(ruleset, file_config, args)
    cache: bool | str = False
    if args.cache_dir:
        cache = args.cache_dir
    elif not args.no_cache and config.cache:
        cache = True
    result = scan(
        args.paths,
        rules=ruleset,
        config=config,
        jobs=config.jobs,
        python=args.python,
        venv=args.venv,
        cache=cache,
    )
    report = _render(result, args, out_path)
    if out_path is None:
        sys.stdout.write(report)
    else:
        try:
            out_path.write_text(report, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{args.output}: cannot write: {exc.strerror or exc}") from exc
        if args.format != "text":
            from aiscan.reporters.text import summary_line

            sys.stderr.write(summary_line(result) + "\n")
    for err in result.errors:
        if args.format != "text":
            print(f"aiscan: {one_line(str(err))}", file=sys.stderr)
    return exit_code(result, config, exit_zero=args.exit_zero)


def _check_selectors(ruleset: RuleSet, file_config: Config, args: argparse.Namespace) -> None:
    """An unknown rule id, name or category is an error that names where it was written."""
    for option, keys in (("--select", args.select or ()), ("--ignore", args.ignore or ())):
        unknown = ruleset.unknown_selectors(keys)
        if unknown:
            raise UsageError(
                f"{option} {unknown[0]}: no rule id, name or category is called that "
                "(see 'aiscan rules')"
            )
    where = file_config.source or "configuration"
    tables: list[tuple[str, Sequence[str]]] = [
        ("select", file_config.select),
        ("ignore", file_config.ignore),
    ]
    tables += [(f"per-path-ignores.{g!r}", ids) for g, ids in file_config.per_path_ignores.items()]
    for key, keys in tables:
        unknown = ruleset.unknown_selectors(keys)
        if unknown:
            raise ConfigError(
                f"{where}: [tool.aiscan] {key}: no rule id, name or category is called "
                f"{unknown[0]!r}"
            )


def _render(result: ScanResult, args: argparse.Namespace, out_path: Path | None) -> str:
    if args.format == "json":
        return result.to_json()
    if args.format == "sarif":
        return result.to_sarif()
    color = args.color == "always" or (
        args.color == "auto"
        and out_path is None
        and sys.stdout.isatty()
        and not os.environ.get("NO_COLOR")
    )
    return result.to_text(color=color, show_suppressed=args.show_suppressed)


def exit_code(result: ScanResult, config: Config, *, exit_zero: bool = False) -> int:
    """2 for an incomplete scan, 1 for findings at or above fail-on, else 0."""
    if result.incomplete:
        return EXIT_ERROR
    if exit_zero:
        return EXIT_OK
    floor = SEVERITY_ORDER[config.fail_on]
    if any(SEVERITY_ORDER[f.severity] >= floor for f in result.findings):
        return EXIT_FINDINGS
    return EXIT_OK


def _cmd_rules(args: argparse.Namespace) -> int:
    ruleset = _load(args)
    rows = [("ID", "NAME", "CATEGORY", "SEVERITY", "CONFIDENCE", "MODE")]
    rows += [(r.id, r.name, r.category, r.severity, r.confidence, r.mode) for r in ruleset.rules]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    print(f"{len(ruleset.rules)} rules")
    return EXIT_OK


def rule_markdown(rule: Rule) -> str:
    """One rule's documentation page (also the SARIF help.markdown and docs/rules/ pages)."""
    cwe = ", ".join(f"CWE-{c}" for c in rule.cwe) or "none"
    refs = "\n".join(f"- {r}" for r in rule.docs.references) or "- none"
    return (
        f"# {rule.id} {rule.name}\n\n"
        f"{rule.summary}\n\n"
        f"| category | severity | confidence | CWE | mode | since |\n"
        f"|---|---|---|---|---|---|\n"
        f"| {rule.category} | {rule.severity} | {rule.confidence} | {cwe} | {rule.mode} "
        f"| {rule.since} |\n\n"
        f"## What it does\n\n{rule.summary}\n\n"
        f"## Why is this bad?\n\n{rule.docs.why.strip()}\n\n"
        f"## Example\n\n```python\n{rule.docs.bad.strip()}\n```\n\n"
        f"## Use instead\n\n```python\n{rule.docs.good.strip()}\n```\n\n"
        f"## References\n\n{refs}\n"
    )


def _cmd_rule(args: argparse.Namespace) -> int:
    ruleset = _load(args)
    for rule in ruleset.rules:
        if args.rule_id in (rule.id, rule.name):
            sys.stdout.write(rule_markdown(rule))
            return EXIT_OK
    raise UsageError(f"no rule {args.rule_id!r} (see 'aiscan rules')")


def _cmd_routes(args: argparse.Namespace) -> int:
    """The route inventory that missing-authorization (AIS302) reads, with the same regexes."""
    import json
    import re

    from aiscan.engine.routes import route_inventory

    ruleset = load_rules([], builtin=True)
    spec: dict[str, Any] = {}
    # The sibling check's regexes (token-scope-unchecked's endpoint pattern has its own).
    for rule in ruleset.rules:
        for pattern in rule.spec.get("patterns", ()):
            endpoint = pattern.get("endpoint")
            if endpoint and "token-claims-unchecked" not in endpoint:
                spec = endpoint
                break
        if spec:
            break
    guard = re.compile(spec.get("guard-regex", "(?!)"))
    public = re.compile(spec["public-regex"]) if "public-regex" in spec else None
    for path in args.paths:
        if not Path(path).exists():
            raise UsageError(f"{path}: no such file or folder")
    rows, problems = route_inventory(args.paths, guard, public)
    if args.format == "json":
        sys.stdout.write(json.dumps({"endpoints": rows, "errors": problems}, indent=2) + "\n")
    else:
        current = None
        for row in rows:
            if row["file"] != current:
                current = row["file"]
                print(current)
            methods = "/".join(row["methods"]) or "ANY"
            where = f"{methods} {row['path']}".strip() if row["path"] else methods
            if row["guards"]:
                guards = ", ".join(row["guards"])
            else:
                guards = "public by design" if row["public"] else "NO GUARD"
            print(f"  {row['line']:>5}  {where:<40} {row['function']:<28} {guards}")
        open_ = sum(1 for r in rows if not r["guards"] and not r["public"])
        print(f"{len(rows)} endpoints, {open_} without a guard")
    for path, why in problems:
        print(f"aiscan: {path}: {why}", file=sys.stderr)
    return 2 if problems else 0


def _cmd_cache(args: argparse.Namespace) -> int:
    """``aiscan cache info|clear [PATH]``: the cache a scan of PATH would use."""
    from aiscan.engine.cache import cache_info, clear_cache, default_location

    root = Path(args.path).absolute()
    if not root.is_dir():
        raise UsageError(f"{args.path}: not a folder")
    if args.cache_dir:
        location = Path(args.cache_dir).absolute()
    else:
        config = find_config(root)
        location = Path(config.cache_dir) if config.cache_dir else default_location(root)
    if args.action == "clear":
        removed = clear_cache(location)
        print(f"removed {removed} cached results from {location}")
        return EXIT_OK
    info = cache_info(location)
    print(f"location: {info.location}")
    if not info.exists:
        print("entries:  0 (no cache there yet)")
        return EXIT_OK
    print(f"entries:  {info.entries}")
    print(f"size:     {_size(info.size)}")
    written = f"aiscan {info.aiscan}" if info.aiscan else "unknown"
    if info.format is not None:
        written += f" (format {info.format})"
    print(f"written:  {written}")
    print(f"running:  aiscan {__version__}")
    return EXIT_OK


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} bytes"
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KiB"
    return f"{count / (1024 * 1024):.1f} MiB"


def _cmd_test_rules(args: argparse.Namespace) -> int:
    from aiscan.testing.harness import fixture_units, run_fixture

    ruleset = _load(args)
    failed = passed = 0
    for raw in args.paths:
        path = Path(raw)
        if not path.exists():
            raise UsageError(f"{raw}: no such file or directory")
        for unit in fixture_units(path):
            outcome = run_fixture(unit, ruleset)
            if outcome.ok:
                passed += 1
            else:
                failed += 1
                print(f"FAIL {unit}")
                for problem in outcome.problems:
                    print(f"  {problem}")
    print(f"{passed} fixtures passed, {failed} failed")
    return EXIT_FINDINGS if failed else EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
