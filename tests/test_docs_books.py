"""The Korean landing page (README.ko.md) and the book map (docs/books.md) name every
notebook, and link to each other and back to the English README; every link in the READMEs and
docs/ reaches a file."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README_KO = ROOT / "README.ko.md"
BOOKS = ROOT / "docs" / "books.md"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
LINK = re.compile(r"\]\(([^)\s]+)\)")  # the target of a Markdown link [text](target)


def links(path):
    """Every relative link target in a Markdown file, resolved against its folder."""
    targets = [t.split("#")[0] for t in LINK.findall(path.read_text(encoding="utf-8"))]
    return {(path.parent / t).resolve() for t in targets if t and "://" not in t}


def test_notebooks_list_is_not_empty():
    # an empty glob would leave the parametrised tests below with nothing to check
    assert NOTEBOOKS and NOTEBOOKS[0].name.startswith("01_"), "no numbered notebooks found"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_readme_ko_links_every_notebook(path):
    text = README_KO.read_text(encoding="utf-8")
    assert f"(notebooks/{path.name})" in text, f"README.ko.md has no link to notebooks/{path.name}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_books_has_a_section_for_every_notebook(path):
    text = BOOKS.read_text(encoding="utf-8")
    assert path.stem in text, f"docs/books.md does not mention {path.stem}"
    heading = re.compile(rf"^## {re.escape(path.stem)}\b", re.M)
    assert heading.search(text), f"docs/books.md has no '## {path.stem}' section"


def test_readme_ko_links_english_readme_and_books():
    targets = links(README_KO)
    assert (ROOT / "README.md").resolve() in targets
    assert BOOKS.resolve() in targets


def test_books_links_readme_ko_and_english_readme():
    targets = links(BOOKS)
    assert README_KO.resolve() in targets
    assert (ROOT / "README.md").resolve() in targets


@pytest.mark.parametrize("path", [ROOT / "README.md", README_KO, *sorted((ROOT / "docs").glob("*.md"))],
                         ids=lambda p: p.name)
def test_docs_links_to_repository_files_resolve(path):
    # the README's pictures included: docs/img/NN.png comes from tools/readme_images.py
    missing = [t for t in links(path) if not t.exists()]
    assert not missing, f"{path.name} links to missing files: {missing}"
