"""Features declare themselves (osint.features); the case core names none of them."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from osint import features

PACKAGE = Path(features.__file__).resolve().parent
FEATURE_PACKAGES = {
    "sources",
    "capture",
    "imagery",
    "maritime",
    "screening",
    "briefs",
    "sharing",
    "exports",
    "demo",
    "cli",
}


def _declared_targets():
    for feature in features.BUILTIN:
        yield from (f"{module}:__name__" for module in feature.kinds)
        yield from feature.details.values()
        yield from feature.checks
        yield from feature.brief_parts
        yield from feature.commands.values()
        for modules in feature.subcommands.values():
            yield from (f"{module}:__name__" for module in modules)
        for bulk in feature.bulk:
            yield from (bulk.digest, bulk.check, bulk.merge, bulk.redact)


def test_every_declared_target_exists():
    """A typo in a "module:attribute" string would only show when a user ran that command."""
    for target in _declared_targets():
        assert features.resolve_callable(target) is not None or target.endswith("__name__"), target


def test_the_case_core_imports_no_feature():
    offenders = []
    for path in (PACKAGE / "case").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                names = [node.value.partition(":")[0]] if node.value.startswith("osint.") else []
            for name in names:
                parts = name.split(".")
                if parts[0] == "osint" and len(parts) > 1 and parts[1] in FEATURE_PACKAGES:
                    offenders.append(f"{path.relative_to(PACKAGE)}: {name}")
    assert offenders == []


def test_kinds_come_from_every_feature_in_feature_order():
    from osint.case import kinds

    names = list(kinds.KINDS)
    assert names[0] == "case" and set(names[-2:]) == {"link", "signer"}
    assert names.index("source") < names.index("image") < names.index("vessel")
    assert names.index("vessel") < names.index("list-import")


def test_help_does_not_import_feature_modules():
    code = (
        "import sys; from osint.cli import main; sys.argv=['osint','--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "import json; print(json.dumps(sorted(m for m in sys.modules if m.startswith('osint.'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    heavy = [m for m in loaded if m.split(".")[1] in FEATURE_PACKAGES - {"cli"}]
    assert heavy == []


def test_listing_a_case_loads_of_each_feature_only_its_record_kinds(cli, case_path):
    """The kinds registry reads every feature's record_kinds; the feature's working code (network,
    ingest, evidence, signing) stays unloaded, so a read command starts fast."""
    cli("source", "add", "https://example.org/a", "--title", "A")
    code = (
        "import sys; from osint.cli import main\n"
        f"sys.argv=['osint', '--case', {str(case_path)!r}, 'list', 'sources']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "import json; print(json.dumps(sorted(m for m in sys.modules if m.startswith('osint.'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert "osint.sources.record_kinds" in loaded
    feature_code = [m for m in loaded if m.split(".")[1] in FEATURE_PACKAGES - {"cli"}]
    # Packages (their __init__ only) and record_kinds modules; nothing else of a feature.
    packages = {m.rsplit(".", 1)[0] for m in feature_code} | {
        "osint." + name for name in FEATURE_PACKAGES
    }
    working = [m for m in feature_code if m not in packages and not m.endswith(".record_kinds")]
    assert working == []
    assert "osint.case.sshsig" not in loaded


def test_a_command_whose_extra_is_missing_says_which_extra(cli, monkeypatch):
    screening = features.SCREENING
    monkeypatch.setattr(
        features,
        "missing_requirements",
        lambda feature: list(feature.requires) if feature is screening else [],
    )
    result = cli("lists", "list", expect=1)
    assert "pip install 'osint[screening]'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    listing = cli("--help").stdout
    assert "lists" in listing and "osint[screening]" in listing


def test_a_missing_library_inside_a_command_names_the_extra(cli, monkeypatch):
    """A subcommand of a group owned by another feature (export ftm) still names its extra."""
    import osint.exports.ftm as ftm

    def export_without_library(*args, **kwargs):
        raise ModuleNotFoundError("No module named 'followthemoney'", name="followthemoney")

    monkeypatch.setattr(ftm, "export_ftm", export_without_library)
    result = cli("export", "ftm", "-o", "out.ftm.json", expect=1)
    assert "osint[screening]" in result.stderr and "Traceback" not in result.stderr


def test_a_new_feature_is_one_declaration(cli, monkeypatch, tmp_path):
    """A package with a check, a `show` section and a command, plus one entry in the list."""
    package = tmp_path / "plugin_feature"
    package.mkdir()
    (package / "__init__.py").write_text(
        textwrap.dedent(
            '''
            import typer
            from osint.features import Problem

            def check(conn):
                count = conn.execute("SELECT count(*) FROM findings").fetchone()[0]
                if count > 1:
                    yield Problem("", "finding", f"plugin: {count} findings, expected one")

            def details(conn, row):
                return {"plugin": [f"plugin saw {row['text']}"]}

            def hello():
                """Say hello from the plugin."""
                print("hello from the plugin")
            '''
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    plugin = features.Feature(
        "plugin",
        "a test feature",
        details={"finding": "plugin_feature:details"},
        checks=("plugin_feature:check",),
        commands={"hello": "plugin_feature:hello"},
    )
    monkeypatch.setattr(features, "BUILTIN", (*features.BUILTIN, plugin))
    import osint.cli as cli_module

    monkeypatch.setattr(
        cli_module, "COMMANDS", {**cli_module.COMMANDS, "hello": ("plugin_feature:hello", ())}
    )
    monkeypatch.setattr(cli_module, "FEATURE_OF", {**cli_module.FEATURE_OF, "hello": plugin})

    first = cli.json("finding", "add", "Tankers called 43 times")
    assert cli.json("verify", expect=None)["ok"] is True
    shown = cli.json("show", first["id"])
    assert shown["details"]["plugin"] == ["plugin saw Tankers called 43 times"]
    cli("finding", "add", "A second finding")
    report = cli.json("verify", expect=None)
    assert report["ok"] is False
    assert any("plugin: 2 findings" in p["problem"] for p in report["problems"])
    assert "hello from the plugin" in cli("hello").stdout


@pytest.mark.parametrize("feature", features.BUILTIN, ids=lambda f: f.name)
def test_every_feature_with_an_extra_names_what_it_needs(feature):
    assert bool(feature.extra) == bool(feature.requires)


def _imports_of(module: str) -> set[str]:
    """Every osint module a module imports, at any depth of its code (lazy imports included)."""
    path = Path(importlib.util.find_spec(module).origin)
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("osint"):
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("osint"))
    return found


def test_feature_hooks_never_import_what_calls_them():
    """The core loops over the declared hooks; a hook importing its caller back would be a cycle
    hidden in a string (what `verify.CHECKS -> imagery/hooks -> verify.Problem` used to be).
    Shared types live in leaves: osint.features (Problem, Bulk), osint.briefs.refs (Ref)."""
    callers = {
        "osint.case.verify",
        "osint.case.overview",
        "osint.case.kinds.registry",
        "osint.sharing.merge",
        "osint.sharing.copy",
        "osint.briefs.context",
        "osint.demo",
    }
    offenders = []
    for target in _declared_targets():
        module = target.partition(":")[0]
        if module.startswith("osint.cli."):
            continue  # commands are called by the CLI root, which imports nothing of them
        bad = _imports_of(module) & callers
        if bad:
            offenders.append(f"{module} imports {sorted(bad)}")
    assert offenders == []


def test_module_level_imports_have_no_cycle():
    """Module-level imports between osint's modules form no cycle (lazy imports inside functions
    are how a module reaches a feature it must not load at startup)."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        graph[".".join(parts)] = set()
    for module in graph:
        spec = importlib.util.find_spec(module)
        tree = ast.parse(Path(spec.origin).read_text())
        for node in tree.body:
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("osint"):
                names = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                while name and name not in graph:
                    name = name.rpartition(".")[0]
                # A submodule importing its own package is how packages work, not a cycle.
                if name and name != module and not module.startswith(name + "."):
                    graph[module].add(name)
    seen: dict[str, int] = {}

    def visit(module: str, path: list[str]) -> None:
        seen[module] = 1
        for target in graph[module]:
            if seen.get(target) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*path, module, target]))
            if target not in seen:
                visit(target, [*path, module])
        seen[module] = 2

    for module in graph:
        if module not in seen:
            visit(module, [])
