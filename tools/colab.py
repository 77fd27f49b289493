"""Point the course at a repository: the READMEs' Colab badges, and each notebook's badge
(first cell) and install cell (second cell). Idempotent; nothing else in a file changes.

    make colab REPO=owner/name [BRANCH=main]
    python tools/colab.py --repo owner/name --branch main
"""

import argparse
import re
import sys
from pathlib import Path

DEFAULT_REPO, DEFAULT_BRANCH = "ganlab/ganlab", "main"
ROOT = Path(__file__).resolve().parents[1]

# Any Colab link to a notebook, whatever repository and branch it names today.
BADGE = re.compile(r"https://colab\.research\.google\.com/github/[\w.-]+/[\w.-]+/blob/"
                   r"(?:(?!/notebooks/)[^\s)\]])+/notebooks/")

# The install cell. {spec} is filled in; everything else is the same in every notebook.
INSTALL_CELL = """\
try:
    import ganlab
except ImportError:  # on Colab or in a fresh kernel (`make colab REPO=owner/name` points this at a fork)
    %pip install -q "{spec}"
    import ganlab  # if this fails, read pip's message above: no network? a private or misspelt fork?"""


def install_spec(repo=DEFAULT_REPO, branch=DEFAULT_BRANCH, *, url=None):
    """The pip requirement the install cell installs: ``ganlab @ git+https://github.com/...``."""
    url = url or f"git+https://github.com/{repo}"
    return f"ganlab @ {url}@{branch}"


def install_cell(repo=DEFAULT_REPO, branch=DEFAULT_BRANCH, *, url=None):
    """The source of every notebook's install cell (``url`` replaces GitHub, e.g. in tests)."""
    return INSTALL_CELL.format(spec=install_spec(repo, branch, url=url))


def point_badges(text, repo=DEFAULT_REPO, branch=DEFAULT_BRANCH):
    """``text`` with every Colab notebook link pointed at ``repo`` and ``branch``."""
    target = f"https://colab.research.google.com/github/{repo}/blob/{branch}/notebooks/"
    return BADGE.sub(lambda _: target, text)


def notebooks(root=ROOT):
    nb_dir = Path(root) / "notebooks"
    return sorted(nb_dir.glob("[0-9][0-9]_*.ipynb")) + sorted((nb_dir / "solutions").glob("*.ipynb"))


def point_notebook(path, repo=DEFAULT_REPO, branch=DEFAULT_BRANCH):
    """Rewrite one notebook's badge and install cell; return True if the file changed."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    badge, install = nb.cells[0], nb.cells[1]
    source = install.source
    if install.cell_type != "code" or "%pip install" not in source or "import ganlab" not in source:
        raise SystemExit(f"{path}: the second cell is not an install cell; not touched")
    new_badge, new_install = point_badges(badge.source, repo, branch), install_cell(repo, branch)
    if (new_badge, new_install) == (badge.source, install.source):
        return False
    badge.source, install.source = new_badge, new_install
    nbformat.write(nb, path)
    return True


def point_text(path, repo=DEFAULT_REPO, branch=DEFAULT_BRANCH):
    """Rewrite the Colab links in a text file (the README); return True if it changed."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    new = point_badges(text, repo, branch)
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def point_course(repo=DEFAULT_REPO, branch=DEFAULT_BRANCH, *, root=ROOT):
    """Point the README and every notebook at ``repo``/``branch``; return the changed paths."""
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
        raise SystemExit(f"REPO={repo!r}: expected owner/name, e.g. REPO=jane/ganlab")
    if not re.fullmatch(r"[\w./-]+", branch) or "/notebooks/" in f"/{branch}/":
        raise SystemExit(f"BRANCH={branch!r}: letters, digits, '.', '_', '-' and '/' only")
    changed = [p for p in notebooks(root) if point_notebook(p, repo, branch)]
    readmes = [Path(root) / name for name in ("README.md", "README.ko.md") if (Path(root) / name).exists()]
    return changed + [readme for readme in readmes if point_text(readme, repo, branch)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", required=True, help="owner/name on GitHub, e.g. jane/ganlab")
    parser.add_argument("--branch", default=DEFAULT_BRANCH)
    parser.add_argument("--root", default=ROOT, type=Path, help="the repository (default: this one)")
    args = parser.parse_args(argv)
    changed = point_course(args.repo, args.branch, root=args.root)
    for path in changed:
        print(f"pointed at {args.repo}@{args.branch}: {path}")
    print(f"{len(changed)} file(s) changed" + ("" if changed else " (already pointed there)"))


if __name__ == "__main__":
    sys.exit(main())
