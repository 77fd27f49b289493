"""Every learner notebook with exercises has a worked-solutions notebook, links to it, and the
solutions assert at least one outcome per exercise. (nbval runs the solutions themselves.)"""

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).parents[1] / "notebooks"
LEARNER = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def exercises_cell(nb):
    """The markdown cell holding the "## Exercises" heading, or None."""
    heading = re.compile(r"^##\s+Exercises", re.M)
    cells = [c for c in nb.cells if c.cell_type == "markdown" and heading.search(c.source)]
    return cells[0] if cells else None


def numbered_exercises(source):
    """How many numbered items ("1. ...") follow the Exercises heading, up to the next heading."""
    after = re.split(r"^##\s+Exercises.*$", source, maxsplit=1, flags=re.M)[1]
    after = re.split(r"^#", after, maxsplit=1, flags=re.M)[0]
    return len(re.findall(r"^\d+\.\s", after, re.M))


def asserts(nb):
    return sum(len(re.findall(r"^\s*assert\b", c.source, re.M)) for c in nb.cells if c.cell_type == "code")


def test_numbered_exercises_counts_items_under_the_heading():
    text = ("## Summary\n1. not an exercise\n\n## Exercises\n1. one\n   more text\n2. two\n10. ten\n"
            "## Next\n1. no")
    assert numbered_exercises(text) == 3


WITH_EXERCISES = [p for p in LEARNER if exercises_cell(nbformat.read(p, as_version=4))]


def test_learner_notebooks_have_exercises():
    assert LEARNER and WITH_EXERCISES  # the parametrised test below must not pass by running on nothing


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=lambda p: p.name)
def test_solutions_exist_are_linked_and_assert_each_exercise(path):
    learner = nbformat.read(path, as_version=4)
    solution_path = NOTEBOOKS / "solutions" / path.name
    assert solution_path.exists(), f"write the worked solutions: notebooks/solutions/{path.name}"
    cell = exercises_cell(learner)
    assert f"(solutions/{path.name})" in cell.source, "link the solutions from the Exercises cell"
    solution = nbformat.read(solution_path, as_version=4)
    assert f"(../{path.name})" in solution.cells[0].source, "the solutions' title links back"
    n = numbered_exercises(cell.source)
    assert n >= 1 and asserts(solution) >= n, f"{n} exercises but {asserts(solution)} asserts"


@pytest.mark.parametrize("path", sorted((NOTEBOOKS / "solutions").glob("*.ipynb")), ids=lambda p: p.name)
def test_solutions_match_their_notebook(path):
    solution = nbformat.read(path, as_version=4)
    learner = NOTEBOOKS / path.name
    assert learner.exists(), f"no learner notebook notebooks/{path.name} for these solutions"
    install = nbformat.read(learner, as_version=4).cells[1].source
    code = [c for c in solution.cells if c.cell_type == "code"]
    assert code[0].source == install, "copy the learner notebook's install cell verbatim"
    assert "ganlab.choose(" in "".join(c.source for c in code), "a parameters cell with ganlab.choose"
    assert "".join(c.source for c in code).count("ganlab.setup(") == 1, "one setup line"
    assert code[-1].source.startswith('print(f"notebook ran in'), "end with the run line"
    assert all(c.execution_count is None for c in code), "run tools/clean_notebooks.py"
