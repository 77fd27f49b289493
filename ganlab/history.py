"""What a training run remembers: one row of numbers per logged step, and snapshots."""

import torch


class History:
    """Logged rows (step, losses, D(x), D(G(z)), seconds, ...) and fixed-noise snapshots.
    ``.frame`` is a pandas DataFrame with one row per logged step."""

    def __init__(self):
        self.rows = []  # list of {column: float}
        self.snapshots = []  # list of (step, images) made from the fixed noise
        self.interrupted = False

    def __len__(self):
        return len(self.rows)

    def log(self, step, stats, **extra):
        """Append a row; tensors become Python floats here (one sync per row)."""
        row = {"step": int(step)}
        try:
            row.update({k: float(v.detach() if isinstance(v, torch.Tensor) else v) for k, v in stats.items()})
            row.update({k: float(v) for k, v in extra.items()})
        except (TypeError, ValueError, RuntimeError, AttributeError):
            raise TypeError("a step must return a dict of numbers (floats or one-element tensors, e.g. "
                            f"loss_D.detach()), not {str(stats)[:200]}") from None
        self.rows.append(row)
        return row

    def snapshot(self, step, images):
        """Keep a (half-precision, CPU) copy of generated images at ``step``."""
        self.snapshots.append((int(step), images.detach().to("cpu", torch.float16)))

    @property
    def frame(self):
        import pandas as pd  # imported here: pandas is slow to import and only needed now

        return pd.DataFrame(self.rows)

    @property
    def seconds(self):
        """Training seconds so far (over every call to ``train``, resumes included)."""
        return self.rows[-1].get("seconds", 0.0) if self.rows else 0.0

    def tail_mean(self, column, frac=0.25):
        """Mean of ``column`` over the last ``frac`` of the rows: where a run settled."""
        if not self.rows or column not in self.rows[-1] or not 0 < frac <= 1:
            raise ValueError(f"tail_mean({column!r}, frac={frac!r}): give a logged column "
                             f"({', '.join(self.rows[-1]) if self.rows else 'none yet: train first'}) "
                             "and a share of the rows in (0, 1]")
        values = self.frame[column].to_numpy()
        return float(values[-max(1, int(len(values) * frac)) :].mean())

    def state_dict(self):
        # Only lists, dicts, floats and tensors: loadable with weights_only=True.
        snaps = [{"step": s, "images": x} for s, x in self.snapshots]
        return {"rows": self.rows, "snapshots": snaps, "interrupted": self.interrupted}

    def load_state_dict(self, state):
        self.rows = list(state["rows"])
        self.snapshots = [(s["step"], s["images"]) for s in state["snapshots"]]
        self.interrupted = bool(state["interrupted"])
