"""Notes on a result prepared ahead (``core.precompute.Current``), in the visitor's language.

``Current.tail``/``note``/``stale_note`` in core are English; pages show these instead.
"""
from __future__ import annotations

from core import precompute
from dashboard.i18n import _, tr


def tail(cur: precompute.Current) -> str:
    """``cur.tail`` in the visitor's language: for the picture's caption."""
    if cur.state != "prepared":
        return ""
    return _(" · prepared ahead — press {button} to compute it now").format(button=tr(cur.button))


def stale_note(cur: precompute.Current) -> str | None:
    """``cur.stale_note`` in the visitor's language."""
    if cur.state != "stale":
        return None
    return _("The picture, model or settings changed since this result — press **{button}** "
             "to compute it for them.").format(button=tr(cur.button))


def note(cur: precompute.Current) -> str | None:
    """``cur.note`` in the visitor's language: for a caption under a row of pictures."""
    if cur.state == "prepared":
        return _("Prepared ahead — press **{button}** to compute it now.").format(button=tr(cur.button))
    return stale_note(cur)
