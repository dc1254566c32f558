#!/usr/bin/env python3
"""hallucinated-api and undeclared-dependency on the pinned corpus, beside Pylint and deptry.

Each corpus project (../shared/bench/corpus.sh, unpacked into .bench/) is checked against its
own dependencies: a virtual environment per project under .bench/venvs/ holds the project's
release from PyPI (with its runtime dependencies), and Pylint and deptry, which must run in the
environment they check. Then, on the same tree:

    aiscan scan PROJECT --select AIS501 --select AIS502 --venv .bench/venvs/PROJECT
    pylint --disable=all --enable=no-member,unexpected-keyword-arg,no-name-in-module,import-error
    deptry PROJECT

and the same three on the rules' fixtures (with aiscan's own environment). The table counts
findings per tool; every aiscan finding is listed in full, to be judged by a person.

    .venv/bin/python benchmarks/verify_deps.py                 # every project of the slice
    .venv/bin/python benchmarks/verify_deps.py --slice small --json verify.json
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / ".bench"
FIXTURES = REPO / "tests" / "fixtures" / "rules" / "dependencies"
BIN = Path(sys.executable).parent
PYLINT_CHECKS = "no-member,unexpected-keyword-arg,no-name-in-module,import-error"
_RELEASE = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+?)-(?P<version>\d[\w.]*)$")


@dataclass
class Target:
    name: str
    tree: Path
    venv: Path | None  # None: aiscan's own environment (the fixtures)
    aiscan: list[dict[str, object]] = field(default_factory=list)
    pylint: Counter[str] = field(default_factory=Counter)
    deptry: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)


def projects(slice_name: str) -> list[Path]:
    listing = BENCH / f"slice-{slice_name}.txt"
    if not listing.is_file():
        sys.exit(f"{listing} is missing: run bash ../shared/bench/corpus.sh .bench {slice_name}")
    out: list[Path] = []
    for line in listing.read_text().split():
        path = Path(line)
        # A slice names a project or a folder inside one: the project is the release folder.
        while path.parent not in (BENCH, path):
            path = path.parent
        if path not in out:
            out.append(path)
    return out


def build_venv(project: Path) -> Path:
    """.bench/venvs/<project>: the project's release and its dependencies, Pylint, deptry."""
    match = _RELEASE.match(project.name)
    if match is None:
        raise SystemExit(f"{project.name}: not a <name>-<version> release folder")
    venv = BENCH / "venvs" / project.name
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    wanted = [f"{match['name']}=={match['version']}", "pylint", "deptry"]
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *wanted],
        check=True,
    )
    return venv


def run_aiscan(target: Target) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        command = [
            str(BIN / "aiscan"),
            "scan",
            ".",
            "--select",
            "AIS501",
            "--select",
            "AIS502",
            "--format",
            "json",
            "--output",
            str(out),
            "--exit-zero",
            "--jobs",
            "2",
        ]
        if target.venv is not None:
            command += ["--venv", str(target.venv)]
        else:
            command += ["--python", sys.executable]
        # From inside the project: it is the scan root, as in its own CI (a fixture project
        # under tests/ would otherwise be judged as aiscan's test code).
        done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=target.tree)
        if not out.exists():
            target.notes.append(f"aiscan failed: {done.stderr.strip()[-300:]}")
            return
        data = json.loads(out.read_text())
    target.aiscan = [
        {
            "rule": f["rule_id"],
            "severity": f["severity"],
            "path": f["path"],
            "line": f["line"],
            "message": f["message"],
        }
        for f in data["findings"]
    ]


def run_pylint(target: Target) -> None:
    python = target.venv / "bin" / "python" if target.venv else Path(sys.executable)
    command = [
        str(python),
        "-m",
        "pylint",
        "--disable=all",
        f"--enable={PYLINT_CHECKS}",
        "--output-format=json",
        "--recursive=y",
        "--score=n",
        ".",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=target.tree)
    try:
        messages = json.loads(done.stdout or "[]")
    except ValueError:
        target.notes.append(f"pylint: unreadable output: {done.stderr.strip()[-300:]}")
        return
    target.pylint = Counter(m["symbol"] for m in messages)


def run_deptry(target: Target) -> None:
    python = target.venv / "bin" / "python" if target.venv else Path(sys.executable)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "deptry.json"
        command = [str(python), "-m", "deptry", ".", "--json-output", str(out)]
        done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=target.tree)
        if not out.exists():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            target.notes.append(f"deptry did not run: {last[:200]}")
            return
        issues = json.loads(out.read_text())
    target.deptry = Counter(i["error"]["code"] for i in issues)


def fixture_targets() -> list[Target]:
    out: list[Target] = []
    for rule_dir in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        projects_inside = [p for p in sorted(rule_dir.iterdir()) if p.is_dir()]
        has_manifests = any(
            (p / name).exists()
            for p in projects_inside
            for name in ("pyproject.toml", "requirements.txt", "setup.py", "setup.cfg")
        )
        if has_manifests:
            out.extend(Target(f"{rule_dir.name}/{p.name}", p, None) for p in projects_inside)
        else:
            out.append(Target(rule_dir.name, rule_dir, None))
    return out


def table(targets: list[Target]) -> str:
    lines = [
        "| target | aiscan AIS501 | aiscan AIS502 | pylint (4 checks) | deptry |",
        "|---|---|---|---|---|",
    ]
    for t in targets:
        rules = Counter(str(f["rule"]) for f in t.aiscan)
        pylint = ", ".join(f"{n} {k}" for k, n in sorted(t.pylint.items())) or "0"
        deptry = ", ".join(f"{n} {k}" for k, n in sorted(t.deptry.items())) or "0"
        if any(n.startswith("deptry did not run") for n in t.notes):
            deptry = "did not run (no manifest it reads)"
        lines.append(f"| {t.name} | {rules['AIS501']} | {rules['AIS502']} | {pylint} | {deptry} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slice", default="medium", help="corpus slice (default medium)")
    parser.add_argument("--no-fixtures", action="store_true", help="skip the rules' fixtures")
    parser.add_argument("--no-corpus", action="store_true", help="only the rules' fixtures")
    parser.add_argument("--json", metavar="FILE", help="also write everything as JSON")
    args = parser.parse_args(argv)
    targets: list[Target] = []
    for project in [] if args.no_corpus else projects(args.slice):
        print(f"building .bench/venvs/{project.name} ...", file=sys.stderr)
        targets.append(Target(project.name, project, build_venv(project)))
    if not args.no_fixtures:
        targets.extend(fixture_targets())
    for target in targets:
        print(f"checking {target.name} ...", file=sys.stderr)
        run_aiscan(target)
        run_pylint(target)
        run_deptry(target)
    print(table(targets))
    for target in targets:
        for note in target.notes:
            print(f"\n{target.name}: {note}")
        if target.aiscan:
            print(f"\n### {target.name}: aiscan findings")
            for f in target.aiscan:
                where = f"{target.tree.relative_to(REPO)}/{f['path']}:{f['line']}"
                print(f"- {f['rule']} {f['severity']} {where}: {f['message']}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                [
                    {
                        "name": t.name,
                        "tree": str(t.tree),
                        "venv": str(t.venv) if t.venv else None,
                        "aiscan": t.aiscan,
                        "pylint": dict(t.pylint),
                        "deptry": dict(t.deptry),
                        "notes": t.notes,
                    }
                    for t in targets
                ],
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
