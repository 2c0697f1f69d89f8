"""The shared shape of progress reports from long-running work.

Every long job in ``core`` (dreaming, stylizing, training, class visualization) is an
iterator of :class:`Snapshot` objects, so a page can draw progress and the current image,
a CLI can print a bar, and any caller can stop early by breaking out of the loop.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.i18n import Msg, _

import numpy as np


@dataclass
class Snapshot:
    step: int
    total: int
    loss: float | None = None
    image: np.ndarray | None = None  # RGB uint8 HxWx3, the current result, when there is one
    info: dict[str, Any] = field(default_factory=dict)  # extra numbers (loss terms, accuracy, ...)

    @property
    def fraction(self) -> float:
        return 0.0 if self.total <= 0 else min(1.0, max(0.0, self.step / self.total))

    def describe(self) -> str:
        head = (_("step {step}/{total} · loss {loss:.4g}", step=self.step, total=self.total,
                  loss=self.loss) if self.loss is not None else
                _("step {step}/{total}", step=self.step, total=self.total))
        rest = "".join(f" · {k} {v:.4g}" for k, v in self.info.items()
                       if isinstance(v, (int, float)) and not isinstance(v, bool))
        return Msg("{head}{rest}", head=head, rest=rest) if rest else head
