"""pytest configuration shared by tests/ and notebooks/ (nbval)."""


def pytest_collection_modifyitems(items):
    # Notebooks are committed with the outputs of a full run but without execution counts
    # (clean diffs). nbval calls a cell with outputs and no count an "unrun reference cell"
    # and fails it. Under --nbval-lax outputs are never compared (the quick run's numbers
    # differ from the full run's by design), so give such cells a count and let them run.
    for item in items:
        cell = getattr(item, "cell", None)
        if cell is not None and cell.get("outputs") and cell.get("execution_count") is None:
            cell["execution_count"] = 0
