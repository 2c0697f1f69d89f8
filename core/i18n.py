"""Messages ``core`` shows to people, marked for translation (GNU gettext) without knowing the
visitor's language.

``core`` has no Streamlit and no session, so it cannot pick a language. It marks its messages
the gettext way and they are translated where they are shown (``dashboard.i18n.tr``):

- ``_("Image is {w}×{h}", w=w, h=h)`` returns a :class:`Msg`: a ``str`` holding the English text
  (what logs and tests see) that also remembers its msgid and values, so the page can look the
  msgid up in the visitor's catalog and format the translation with the same values.
- ``N_("…")`` marks a constant for extraction and returns it unchanged.
- ``ngettext(singular, plural, n, **values)`` is the plural-aware form.

Extraction (Babel, ``make i18n``) finds all three by their names; ``babel.cfg`` says where.
"""
from __future__ import annotations

from typing import Any, Callable


class Msg(str):
    """An English message that can be re-rendered in another language."""

    msgid: str
    plural: str | None
    n: int | None
    values: dict[str, Any]

    def __new__(cls, msgid: str, /, plural: str | None = None, n: int | None = None,
                **values: Any) -> "Msg":
        template = plural if (plural is not None and n is not None and n != 1) else msgid
        obj = super().__new__(cls, template.format(n=n, **values) if (values or n is not None)
                              else template)
        obj.msgid, obj.plural, obj.n, obj.values = msgid, plural, n, values
        return obj

    def translate(self, gettext: Callable[[str], str],
                  ngettext: Callable[[str, str, int], str] | None = None) -> str:
        """The message in the language ``gettext`` (and ``ngettext``) translate to; values that
        are messages themselves are translated too."""
        values = {k: (v.translate(gettext, ngettext) if isinstance(v, Msg) else v)
                  for k, v in self.values.items()}
        if self.plural is not None and self.n is not None and ngettext is not None:
            return ngettext(self.msgid, self.plural, self.n).format(n=self.n, **values)
        text = gettext(self.msgid)
        return text.format(n=self.n, **values) if (values or self.n is not None) else text

    def __reduce__(self):  # survives pickling (jobs, Ray Serve) with its msgid and values
        return (_rebuild, (self.msgid, self.plural, self.n, self.values))


def _rebuild(msgid: str, plural: str | None, n: int | None, values: dict[str, Any]) -> Msg:
    return Msg(msgid, plural=plural, n=n, **values)


def _(msgid: str, /, **values: Any) -> Msg:
    """Mark ``msgid`` for translation; ``values`` fill its ``{name}`` fields."""
    return Msg(msgid, **values)


def N_(msgid: str) -> str:
    """Mark a constant for extraction only; it is translated where it is shown."""
    return msgid


def ngettext(singular: str, plural: str, n: int, /, **values: Any) -> Msg:
    """Plural-aware message: ``{n}`` is the count."""
    return Msg(singular, plural=plural, n=n, **values)


class Joined(Msg):
    """Messages joined by a separator (each translated on its own)."""

    parts: tuple[str, ...]
    sep: str

    def __new__(cls, sep: str, parts) -> "Joined":
        parts = tuple(parts)
        obj = str.__new__(cls, sep.join(parts))
        obj.msgid, obj.plural, obj.n, obj.values = sep.join(parts), None, None, {}
        obj.sep, obj.parts = sep, parts
        return obj

    def translate(self, gettext: Callable[[str], str],
                  ngettext: Callable[[str, str, int], str] | None = None) -> str:
        return self.sep.join(p.translate(gettext, ngettext) if isinstance(p, Msg) else p
                             for p in self.parts)

    def __reduce__(self):
        return (Joined, (self.sep, self.parts))


def joined(sep: str, parts) -> Joined:
    """``sep.join(parts)`` that stays translatable: each part that is a :class:`Msg` is
    translated on its own where the whole is shown."""
    return Joined(sep, parts)
