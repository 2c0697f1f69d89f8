"""figures.table: a sortable dataframe normally; in presentation mode an HTML table whose text
grows with the page (the dataframe's canvas text stays ~14 px on a projector)."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest


def _script():
    import streamlit as st

    from dashboard import figures

    figures.table(st, {"class": ["tabby", "tiger cat"], "probability": [0.61234, 0.2]}, hide_index=True)
    c1, _ = st.columns(2)
    figures.table(c1, [{"box": 1, "IoU": 0.5}], height=200)


@pytest.mark.parametrize("present", [False, True])
def test_table_is_a_dataframe_normally_and_a_growing_table_when_presenting(present):
    at = AppTest.from_function(_script, default_timeout=30)
    if present:
        at.query_params["present"] = "1"
    at.run()
    assert not at.exception
    frames, tables = at.dataframe, at.table
    if present:
        assert len(frames) == 0 and len(tables) == 2
    else:
        assert len(frames) == 2 and len(tables) == 0
        assert list(at.dataframe[0].value.columns) == ["class", "probability"]


def test_presented_cells_read_like_the_dataframes():
    from dashboard.figures import _cell

    assert [_cell(v) for v in (1.0, 0.5, 0.61234, 0.0, 1234567.0, float("nan"), 3, "tabby", True)] == \
        ["1", "0.5", "0.612", "0", "1,234,567", "", "3", "tabby", "True"]


def test_a_log_axis_over_many_decades_is_labelled_at_powers_of_ten_only():
    from dashboard import figures

    assert figures.decade_ticks([0.5, 20.0, None, 0.0]) == {}        # 1.6 decades: plotly's 1-2-5 labels
    assert figures.decade_ticks([1e-13, 100.0]) == {"dtick": 3, "exponentformat": "power"}   # 15 decades
    assert figures.decade_ticks([1e-3, 1e2])["dtick"] == 1
    assert figures.decade_ticks([float("nan"), -1.0]) == {}
    fig = figures.loss_curves([figures.Curve("loss", [1, 2, 3], [100.0, 1.0, 1e-13], "#000")], log_y=True)
    assert fig.layout.yaxis.dtick == 3 and fig.layout.yaxis.type == "log"


def test_log_ticks_written_out_and_at_most_seven_over_many_decades():
    from dashboard.figures import log_ticks

    assert log_ticks(0.013, 0.9) == ([0.02, 0.05, 0.1, 0.2, 0.5], ["0.02", "0.05", "0.1", "0.2", "0.5"])
    assert log_ticks(0.003, 2000)[1] == ["0.01", "0.1", "1", "10", "100", "1,000"]
    # a style-transfer content loss that starts at ~0 (float noise): 13 decades, 7 labels
    vals, text = log_ticks(3e-11, 335)
    assert text == ["10⁻¹⁰", "10⁻⁸", "10⁻⁶", "10⁻⁴", "10⁻²", "1", "10²"] and len(vals) == 7
    assert log_ticks(2e-5, 3e-4)[1] == ["2×10⁻⁵", "5×10⁻⁵", "0.0001", "0.0002"]
    assert log_ticks(0.5, 0.6)[0] == [0.2, 0.5, 1.0]         # a narrow range: its neighbours
    with pytest.raises(ValueError):
        log_ticks(0, 1)
