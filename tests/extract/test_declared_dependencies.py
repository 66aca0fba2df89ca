"""Every third-party module the package imports is declared in pyproject.toml (issue 19: a clean
`pip install -c constraints.txt -e .` once left out lxml_html_clean and `ingest extract` failed)."""

import ast
import importlib.metadata as md
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _declared() -> set[str]:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    block = text.split("dependencies = [", 1)[1].split("]", 1)[0]
    names = re.findall(r'"([A-Za-z0-9_.\-]+)\s*[=<>!~]', block)
    return {n.lower().replace("_", "-") for n in names}


def _imported() -> set[str]:
    found = set()
    for path in [*(ROOT / "src").rglob("*.py"), *(ROOT / "pipelines").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"ingest", "pipelines"}


def test_every_imported_distribution_is_declared():
    dists = md.packages_distributions()
    missing = []
    for module in sorted(_imported()):
        names = {d.lower().replace("_", "-") for d in dists.get(module, [module])}
        if not names & _declared():
            missing.append(f"{module} (from {', '.join(sorted(names))})")
    assert missing == []


def test_the_html_cleaner_trafilatura_needs_is_declared_and_importable():
    import lxml.html.clean  # noqa: F401 - raises ImportError without lxml_html_clean

    assert "lxml-html-clean" in _declared()
