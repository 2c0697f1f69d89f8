"""Keep the garbage collection Streamlit runs after every script run cheap.

Streamlit's server ends every script run with ``gc.collect(2)`` (``runner.postScriptGC``). A full
collection walks every object the interpreter tracks, and once torch, torchvision, timm and the
pages are imported that is about 480 000 objects: 0.28 s of CPU on a 2-core machine, after every
rerun, also one that only ticks a checkbox. Almost all of them (modules, functions, classes, the
cached models) live as long as the process. So after a page run that imported modules,
:func:`settle` moves everything tracked into the permanent generation (``gc.freeze()``), and the
full collections after later runs walk only what was made since.

Reference counting still frees frozen objects; only reference cycles among objects that were
alive at a freeze are no longer collected (a one-time amount per freeze, and freezes happen only
when modules were imported: a few times per process).
"""
from __future__ import annotations

import gc
import sys
import threading

GROWTH = 20           # modules imported since the last freeze that make another one worth it

_lock = threading.Lock()
_modules_at_freeze = 0


def settle() -> bool:
    """``gc.freeze()`` when at least :data:`GROWTH` modules were imported since the last freeze
    (the app shell calls it after every page run). Returns whether it froze."""
    global _modules_at_freeze
    if len(sys.modules) - _modules_at_freeze < GROWTH:
        return False
    with _lock:
        if len(sys.modules) - _modules_at_freeze < GROWTH:
            return False
        gc.freeze()
        _modules_at_freeze = len(sys.modules)
    return True
