"""The package stays small enough to read: its lines against the budget the README states."""

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]
BUDGET = re.compile(r"line budget: ([\d,]+) lines")


def package_lines():
    """{module path: line count} for every ganlab/**/*.py."""
    return {str(p.relative_to(ROOT)): len(p.read_text().splitlines())
            for p in sorted((ROOT / "ganlab").rglob("*.py"))}


def test_package_size_within_the_readme_budget():
    lines = package_lines()
    total = sum(lines.values())
    for name, count in lines.items():
        print(f"{count:6d}  {name}")
    print(f"{total:6d}  ganlab in all")
    found = BUDGET.search((ROOT / "README.md").read_text())
    assert found, "README.md states no budget: add a line such as 'line budget: 3,000 lines'"
    budget = int(found.group(1).replace(",", ""))
    assert total <= budget, f"ganlab has {total:,} lines, over the README's budget of {budget:,}"
