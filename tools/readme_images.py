"""Write docs/img/NN.png, the README's picture of each notebook: the figure of the code cell
tagged `readme` in notebooks/NN_*.ipynb, as the committed (full) run drew it.

    python tools/readme_images.py    # after tools/run_notebooks.py has re-run the notebooks
"""

import base64
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_figure(notebook):
    """The PNG bytes of the last figure of the cell tagged `readme`; a clear error if none."""
    cells = json.loads(Path(notebook).read_text())["cells"]
    tagged = [c for c in cells if "readme" in c.get("metadata", {}).get("tags", [])]
    pngs = [o["data"]["image/png"] for c in tagged for o in c.get("outputs", [])
            if "image/png" in o.get("data", {})]
    if not pngs:
        raise SystemExit(f"{notebook}: no figure in a cell tagged 'readme' (tag the cell whose "
                         "figure the README shows, and run the notebook in full first)")
    return base64.b64decode(pngs[-1])


def main():
    out = ROOT / "docs" / "img"
    out.mkdir(parents=True, exist_ok=True)
    for notebook in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        path = out / f"{notebook.name[:2]}.png"
        path.write_bytes(readme_figure(notebook))
        print(f"{path.relative_to(ROOT)} <- {notebook.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
