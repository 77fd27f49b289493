"""tools/colab.py points the READMEs' badges and every notebook's badge and install cell at
one repository, idempotently, and changes nothing else; the install cell is a few lines."""

import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from tools import colab

ROOT = Path(__file__).parents[1]


@pytest.fixture
def course(tmp_path):
    """A copy of the README and the numbered notebooks, plus one solutions notebook."""
    (tmp_path / "notebooks" / "solutions").mkdir(parents=True)
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    shutil.copy(ROOT / "README.ko.md", tmp_path / "README.ko.md")
    for path in colab.notebooks(ROOT):
        shutil.copy(path, tmp_path / "notebooks" / path.relative_to(ROOT / "notebooks"))
    first = nbformat.read(colab.notebooks(tmp_path)[0], as_version=4)
    solution = nbformat.v4.new_notebook(cells=first.cells[:3], metadata=first.metadata)
    solution.cells[0].source = solution.cells[0].source.replace("notebooks/01_", "notebooks/solutions/01_")
    solution.nbformat_minor = first.nbformat_minor
    nbformat.write(solution, tmp_path / "notebooks" / "solutions" / "01_pattern_1010.ipynb")
    return tmp_path


def snapshot(root):
    return {p: p.read_bytes() for p in [root / "README.md", root / "README.ko.md", *colab.notebooks(root)]}


def test_colab_points_every_file_once_then_changes_nothing(course):
    before = snapshot(course)
    changed = colab.point_course("jane/fork", "spring-2027", root=course)
    assert sorted(changed) == sorted(before)  # every notebook and solution, and both READMEs
    after = snapshot(course)
    assert colab.point_course("jane/fork", "spring-2027", root=course) == []
    assert snapshot(course) == after  # byte for byte


def test_colab_changes_only_badge_lines_and_the_install_cell(course):
    before = {p: nbformat.read(p, as_version=4) for p in colab.notebooks(course)}
    readme = (course / "README.md").read_text().splitlines()
    colab.point_course("jane/fork", "dev", root=course)
    new_readme = (course / "README.md").read_text().splitlines()
    changed = [(a, b) for a, b in zip(readme, new_readme) if a != b]
    numbered = [p for p in colab.notebooks(course) if p.parent.name == "notebooks"]
    assert len(readme) == len(new_readme) and len(changed) == len(numbered)  # one badge per notebook
    assert all("colab.research.google.com/github/jane/fork/blob/dev/notebooks/" in b for _, b in changed)
    for path, old in before.items():
        new = nbformat.read(path, as_version=4)
        assert new.metadata == old.metadata and len(new.cells) == len(old.cells)
        assert new.cells[2:] == old.cells[2:]
        lines = zip(old.cells[0].source.splitlines(), new.cells[0].source.splitlines())
        diff = [b for a, b in lines if a != b]
        name = path.relative_to(course / "notebooks").as_posix()
        assert len(diff) == 1 and f"jane/fork/blob/dev/notebooks/{name}" in diff[0]
        assert new.cells[1].source == colab.install_cell("jane/fork", "dev")
        assert new.cells[1].outputs == old.cells[1].outputs


def test_colab_round_trip_restores_the_readme_byte_for_byte(course):
    readme = (course / "README.md").read_bytes()
    colab.point_course("jane/fork", "dev", root=course)
    colab.point_course(colab.DEFAULT_REPO, colab.DEFAULT_BRANCH, root=course)
    assert (course / "README.md").read_bytes() == readme


def test_colab_leaves_a_notebook_without_an_install_cell_alone(course):
    path = colab.notebooks(course)[0]
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].source = "print('not an install cell')"
    nbformat.write(nb, path)
    raw = path.read_bytes()
    with pytest.raises(SystemExit, match="not an install cell"):
        colab.point_notebook(path, "jane/fork", "dev")
    assert path.read_bytes() == raw


@pytest.mark.parametrize("repo, branch", [("jane", "main"), ("jane/fork extra", "main"), ("a/b", "x y")])
def test_colab_rejects_a_malformed_address(course, repo, branch):
    with pytest.raises(SystemExit):
        colab.point_course(repo, branch, root=course)


def test_install_cell_is_a_few_lines_naming_the_repository_and_branch():
    from IPython.core.inputtransformer2 import TransformerManager

    source = colab.install_cell("jane/fork", "dev")
    assert len(source.splitlines()) <= 5 and "import ganlab" in source
    assert '%pip install -q "ganlab @ git+https://github.com/jane/fork@dev"' in source
    python = TransformerManager().transform_cell(source)  # what the kernel runs
    compile(python, "install cell", "exec")
    magic = "get_ipython().run_line_magic('pip', 'install -q \"ganlab @ git+https://github.com/jane/fork@dev\"')"
    assert magic in python
    assert colab.install_spec(url="git+file:///tmp/clone", branch="abc") == "ganlab @ git+file:///tmp/clone@abc"


def test_make_colab_needs_a_repo():
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    dry = subprocess.run([make, "-n", "colab", "REPO=jane/fork", "BRANCH=dev"], cwd=ROOT,
                         capture_output=True, text=True)
    assert "tools/colab.py --repo jane/fork --branch dev" in dry.stdout
    missing = subprocess.run([make, "colab"], cwd=ROOT, capture_output=True, text=True)
    assert missing.returncode != 0 and "REPO=owner/name" in missing.stdout + missing.stderr


def test_readme_says_how_to_teach_from_a_fork():
    readme = (ROOT / "README.md").read_text()
    assert "Teaching from a fork" in readme and "make colab REPO=" in readme
