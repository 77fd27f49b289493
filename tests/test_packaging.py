"""environment.yml (conda) and pyproject.toml (pip) must list the same packages."""

import re
import tomllib  # Python 3.11+: the dev set-up needs it, the package does not
from pathlib import Path

ROOT = Path(__file__).parents[1]


def names(specs):
    return {re.split(r"[<>=\[ ]", s.strip(), maxsplit=1)[0].lower() for s in specs}


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_deps = names(project["dependencies"] + project["optional-dependencies"]["dev"])
    lines = (ROOT / "environment.yml").read_text().split("  - pip:")[1].splitlines()
    conda_deps = names(l.strip()[2:] for l in lines if l.strip().startswith("- ") and "-e ." not in l)
    assert conda_deps == pip_deps


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "make test" in (ROOT / "README.md").read_text()
