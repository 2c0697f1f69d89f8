"""What several convolution tabs share: the filter picker with an editable grid, a picture
section, and the "How it works" expander."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from core import convolution as cv
from dashboard.i18n import N_, _, opt, tr
from dashboard.widgets import image_input


def kernel_editor(key: str, default: str = "sobel_x", allow_pairs: bool = False):
    """Pick a kernel by name and edit its values in a grid; returns (name, kernel)."""
    names = list(cv.KERNELS) + [N_("custom 3×3"), N_("custom 5×5")]
    name = st.selectbox(_("Filter"), names, index=names.index(default), key=f"{key}-name",
                        format_func=opt, help=_("Start from a named filter and edit any value in "
                                                "the grid."))
    if name.startswith("custom"):
        f = 5 if "5" in name else 3
        start = np.zeros((f, f))
        start[f // 2, f // 2] = 1.0
    else:
        start = cv.KERNELS[name]
        st.caption(tr(cv.KERNEL_INFO.get(name, "")))
    df = pd.DataFrame(start, columns=[str(i) for i in range(start.shape[1])])
    edited = st.data_editor(df, key=f"{key}-grid-{name}", hide_index=True, width="content",
                            column_config={c: st.column_config.NumberColumn(c, format="%.4g")
                                           for c in df.columns})
    k = edited.to_numpy(dtype=float)
    if np.isnan(k).any():
        raise ValueError(_("Every cell of the filter needs a number (an empty cell was found)."))
    return name, k


def picture_section(title: str, key: str, default: str):
    """A section with a picture picker on the left: (image or None, left column, right column)."""
    st.subheader(title)
    left, right = st.columns([1, 2], gap="large")
    with left:
        image = image_input(key, default=default)
    return image, left, right
