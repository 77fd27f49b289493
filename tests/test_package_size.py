"""The package stays small enough to read: its lines against the budget the README states."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).parents[1]
BUDGET = re.compile(r"line budget: ([\d,]+) lines")


def package_lines():
    """{module path: line count} for every ganlab/**/*.py."""
    return {str(p.relative_to(ROOT)): len(p.read_text().splitlines())
            for p in sorted((ROOT / "ganlab").rglob("*.py"))}


def line_kinds(text):
    """(docstring, blank, comment-only, code) line counts of one module's source; each line is
    counted once, so a blank line inside a docstring is a docstring line."""
    lines = text.splitlines()
    docs = {n for node in ast.walk(ast.parse(text))
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and node.body
            and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
            and isinstance(node.body[0].value.value, str)
            for n in range(node.body[0].lineno, node.body[0].end_lineno + 1)}
    rest = [line.strip() for n, line in enumerate(lines, 1) if n not in docs]
    blank = sum(not line for line in rest)
    comment = sum(line.startswith("#") for line in rest)
    return len(docs), blank, comment, len(rest) - blank - comment


def test_line_kinds_count_each_line_once():
    text = ('"""Module doc,\ntwo lines."""\n\n# why\nx = 1  # inline\n\n\n'
            'def f():\n    """One line."""\n    return x\n')
    assert line_kinds(text) == (3, 3, 1, 3)
    assert sum(line_kinds(text)) == len(text.splitlines())
    with_blank = '"""Summary.\n\nMore.\n"""\n\nx = 1\n'  # the docstring's blank line is not counted twice
    assert line_kinds(with_blank) == (4, 1, 0, 1)


def test_package_size_within_the_readme_budget():
    lines = package_lines()
    total = sum(lines.values())
    kinds = [line_kinds((ROOT / name).read_text()) for name in lines]
    print(f"{'lines':>6} {'docs':>5} {'code':>5}  module")
    for (name, count), (doc, _, _, code) in zip(lines.items(), kinds):
        print(f"{count:6d} {doc:5d} {code:5d}  {name}")
    doc, blank, comment, code = (sum(k[i] for k in kinds) for i in range(4))
    print(f"{total:6d} {doc:5d} {code:5d}  ganlab in all ({blank} blank, {comment} comment-only lines)")
    found = BUDGET.search((ROOT / "README.md").read_text())
    assert found, "README.md states no budget: add a line such as 'line budget: 3,000 lines'"
    budget = int(found.group(1).replace(",", ""))
    assert total <= budget, f"ganlab has {total:,} lines, over the README's budget of {budget:,}"
