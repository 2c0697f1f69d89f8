"""Merge translations from partial .po files into the lab's catalog.

    python scripts/po_merge.py part.po [more.po ...] [--lang ko]

Each part is a normal gettext .po (``msgid``/``msgstr``, ``msgid_plural``/``msgstr[0]`` for
plurals; no header needed). Entries with a translation are added to
``locales/<lang>/LC_MESSAGES/cnnlab.po`` or replace the one there; the catalog is rewritten in the
same layout as ``make i18n`` (sorted, no locations, width 100). Several people (or tools) can
merge at once: the catalog is locked while it is rewritten. ``make i18n`` afterwards refreshes the
template and drops what no source marks any more.
"""
from __future__ import annotations

import argparse
import fcntl
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]


def merge(parts: list[Path], lang: str = "ko") -> tuple[int, int]:
    po = ROOT / "locales" / lang / "LC_MESSAGES" / "cnnlab.po"
    added = replaced = 0
    with open(po.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with po.open("rb") as f:
            catalog = read_po(f, locale=lang, domain="cnnlab")
        for part in parts:
            with part.open("rb") as f:
                new = read_po(f, locale=lang, domain="cnnlab")
            for m in new:
                if not m.id:
                    continue
                strings = m.string if isinstance(m.string, tuple) else (m.string,)
                if not all(strings):
                    continue
                old = catalog.get(m.id if isinstance(m.id, str) else m.id[0])
                if old is None:
                    added += 1
                elif old.string != m.string:
                    replaced += 1
                else:
                    continue
                if old is None:
                    catalog.add(m.id, m.string)
                else:   # Catalog.add keeps an existing entry's string: replace it here
                    old.string = m.string
                catalog.get(m.id if isinstance(m.id, str) else m.id[0]).flags.discard("fuzzy")
        tmp = po.with_suffix(".po.tmp")
        with tmp.open("wb") as f:
            write_po(f, catalog, width=100, no_location=True, sort_output=True)
        tmp.replace(po)
    return added, replaced


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("parts", nargs="+", type=Path)
    p.add_argument("--lang", default="ko")
    a = p.parse_args(argv)
    added, replaced = merge(a.parts, a.lang)
    print(f"{added} added, {replaced} replaced")
    return 0


if __name__ == "__main__":
    sys.exit(main())
