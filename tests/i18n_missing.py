"""Marked strings under some folders or files that the Korean catalog lacks, printed as .po stubs.

    .venv/bin/python -m tests.i18n_missing pages/detection [core/detection ...]
"""
from __future__ import annotations

import sys

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.pofile import write_po

from tests.i18n_pages import ROOT, catalog

KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def extracted(paths: list[str]) -> list:
    """Messages Babel extracts from these folders or files, in order, without repeats."""
    seen, out = set(), []
    for p in paths:
        path = (ROOT / p).resolve()
        if path.is_dir():
            found = [m for _f, _l, m, _c, _x in extract_from_dir(
                path, method_map=[("**.py", "python")], keywords=KEYWORDS)]
        else:
            found = [m for _l, m, _c, _x in extract_from_file("python", path, keywords=KEYWORDS)]
        for m in found:
            if m not in seen:
                seen.add(m)
                out.append(m)
    return out


def missing(paths: list[str]) -> list:
    cat = catalog()
    out = []
    for m in extracted(paths):
        key = m[0] if isinstance(m, tuple) else m
        entry = cat.get(key)
        strings = (entry.string if entry else None) or ""
        strings = strings if isinstance(strings, tuple) else (strings,)
        if not entry or not all(strings):
            out.append(m)
    return out


if __name__ == "__main__":
    todo = missing(sys.argv[1:] or ["core", "dashboard", "pages"])
    stub = Catalog(locale="ko")
    for m in todo:
        stub.add(m, ("", "") if isinstance(m, tuple) else "")
    write_po(sys.stdout.buffer, stub, width=100, omit_header=True, no_location=True)
    print(f"# {len(todo)} missing", file=sys.stderr)
