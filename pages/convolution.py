"""Convolution lab: edge filters, the notes' worked examples, output size, volumes,
1×1 and transposed convolution, pooling, and learning a filter.

Thin page: every number is computed by ``core.convolution``; this file reads inputs and
draws.  Tabs are lazy (only the open tab runs) so the page stays fast.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core import convolution as cv
from dashboard.widgets import download_png, image_input, keep_tab_state

CELL = 34  # px per matrix cell in the small heatmaps
DIVERGING = "RdBu_r"  # blue negative, white zero, red positive (same as cv.signed_to_rgb)
GREY = "gray"  # 0 dark, high bright (the notes' step image: 10 = bright)
HIGHLIGHT = "#f5a623"


# ----------------------------------------------------------------------------- helpers


def _fmt(v: float) -> str:
    if np.isnan(v):
        return ""
    if float(v).is_integer():
        return f"{int(v)}"
    return f"{v:.2f}".rstrip("0").rstrip(".")


def matrix(m, *, title: str | None = None, scale: str = DIVERGING, zmid: float | None = 0.0,
           zrange: tuple[float, float] | None = None, boxes=(), fmt=_fmt, cell: int = CELL,
           font: int = 13, dashed=()) -> go.Figure:
    """A small matrix as a heatmap with its numbers; ``boxes``: (row, col, h, w[, colour])."""
    z = np.asarray(m, dtype=float)
    if z.ndim == 1:
        z = z[None, :]
    text = [[fmt(v) for v in row] for row in z]
    kw = {}
    if zrange is not None:
        kw.update(zmin=zrange[0], zmax=zrange[1])
    elif zmid is not None:
        lim = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 1.0
        kw.update(zmin=-(lim or 1.0), zmax=lim or 1.0)
    fig = go.Figure(
        go.Heatmap(z=z, text=text, texttemplate="%{text}", textfont={"size": font},
                   colorscale=scale, showscale=False, xgap=1, ygap=1,
                   hovertemplate="row %{y}, col %{x}: %{z}<extra></extra>", **kw)
    )
    for b in boxes:
        r, c, h, w = b[:4]
        colour = b[4] if len(b) > 4 else HIGHLIGHT
        fig.add_shape(type="rect", x0=c - 0.5, x1=c + w - 0.5, y0=r - 0.5, y1=r + h - 0.5,
                      line={"color": colour, "width": 4})
    for r, c, h, w in dashed:
        fig.add_shape(type="rect", x0=c - 0.5, x1=c + w - 0.5, y0=r - 0.5, y1=r + h - 0.5,
                      line={"color": "#333", "width": 2, "dash": "dash"})
    rows, cols = z.shape
    top = 26 if title else 2
    # plotly renders at least 150 px wide; long titles need room too
    width = max(cols * cell + 4, 150, 12 + 7 * len(title or ""))
    # fixed pixel sizes (no scaleanchor) so every cell is a square of `cell` px
    fig.update_layout(
        title={"text": title, "font": {"size": 13}, "x": 0, "xanchor": "left", "y": 1,
               "yanchor": "top", "pad": {"t": 4}} if title else None,
        height=rows * cell + top + 2, width=width,
        margin={"l": 2, "r": width - 2 - cols * cell, "t": top, "b": 2},
        plot_bgcolor="#eef0f4", paper_bgcolor="rgba(0,0,0,0)",
    )
    fig.update_xaxes(visible=False, range=[-0.5, cols - 0.5], fixedrange=True)
    fig.update_yaxes(visible=False, range=[rows - 0.5, -0.5], fixedrange=True)
    return fig


def show(fig: go.Figure, key: str) -> None:
    st.plotly_chart(fig, width="content", key=key, config={"displayModeBar": False})


def latex_matrix(m) -> str:
    rows = [" & ".join(_fmt(v) for v in row) for row in np.asarray(m, dtype=float)]
    return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"


def kernel_editor(key: str, default: str = "sobel_x", allow_pairs: bool = False):
    """Pick a kernel by name and edit its values in a grid; returns (name, kernel)."""
    names = list(cv.KERNELS) + ["custom 3×3", "custom 5×5"]
    name = st.selectbox("Filter", names, index=names.index(default), key=f"{key}-name",
                        help="Start from a named filter and edit any value in the grid.")
    if name.startswith("custom"):
        f = 5 if "5" in name else 3
        start = np.zeros((f, f))
        start[f // 2, f // 2] = 1.0
    else:
        start = cv.KERNELS[name]
        st.caption(cv.KERNEL_INFO.get(name, ""))
    df = pd.DataFrame(start, columns=[str(i) for i in range(start.shape[1])])
    edited = st.data_editor(df, key=f"{key}-grid-{name}", hide_index=True, width="content",
                            column_config={c: st.column_config.NumberColumn(c, format="%.4g")
                                           for c in df.columns})
    k = edited.to_numpy(dtype=float)
    if np.isnan(k).any():
        raise ValueError("Every cell of the filter needs a number (an empty cell was found).")
    return name, k


def guard(fn) -> None:
    """Run a tab body; bad parameters become a readable message, never a traceback."""
    try:
        fn()
    except ValueError as e:
        st.error(str(e), icon=":material/error:")


# ----------------------------------------------------------------------------- page head

st.title("Convolution lab")
st.write(
    "A filter (kernel) slides over the image; at every position the overlapping numbers are "
    "multiplied and summed. Deep learning calls this *convolution* although it is "
    "cross-correlation — the filter is not flipped. A vertical-edge filter answers strongly "
    "where brightness changes from left to right, with a sign that says which way."
)
st.latex(r"(x * k)[i,j] = \sum_{a=0}^{f-1}\sum_{b=0}^{f-1} x[i\,s+a,\ j\,s+b]\;k[a,b]"
         r"\qquad n_{out} = \left\lfloor \frac{n + 2p - f}{s} \right\rfloor + 1")

keep_tab_state("conv-")  # only the open tab runs; keep the others' settings

TABS = ["Edge filters", "Worked examples", "Output size", "Volumes", "1×1 conv",
        "Pooling", "Transposed conv", "Learn a filter"]
tabs = st.tabs(TABS, key="conv-tab", on_change="rerun")


def _is_open(i: int) -> bool:
    # .open is None when tab state is not tracked (then every tab renders)
    return tabs[i].open is not False


# ----------------------------------------------------------------------------- 1 edges


def tab_edges() -> None:
    left, right = st.columns([1, 1], gap="large")
    with left:
        image = image_input("conv-edges", default="camera")
    with right:
        name, k = kernel_editor("conv-edges")
        with st.expander("Advanced"):
            border = st.selectbox(
                "Border mode", list(cv.BORDERS), key="conv-edges-border",
                help="How pixels outside the picture are invented: reflect (dcb|abcd|cba), "
                     "replicate (aaa|abcd|ddd) or zero padding (000|abcd|000).")
            max_side = st.select_slider("Working size (longer side, px)",
                                        [256, 384, 512, 768, 1024], value=512,
                                        key="conv-edges-size")
    if image is None:
        st.info("Choose, upload or snap an image to filter it.")
        return
    img = cv.limit_size(image, max_side)
    gray = cv.to_gray(img)
    edge = cv.is_edge_kernel(k)
    c1, c2, c3 = st.columns(3)
    c1.image(gray.astype(np.uint8), caption=f"input (grey, {img.shape[1]}×{img.shape[0]})",
             width="stretch")
    if edge:
        resp = cv.apply_filter(gray, k, border)
        scale = float(np.percentile(np.abs(resp), 98)) or 1.0
        signed = cv.signed_to_rgb(resp, scale)
        mag = np.clip(np.abs(resp) / scale * 255, 0, 255).astype(np.uint8)
        c2.image(signed, caption=f"signed response: red > 0, blue < 0, white = 0 "
                                 f"(full colour at ±{scale:.0f})", width="stretch")
        c3.image(mag, caption="magnitude |response|", width="stretch")
        with c2:
            download_png(signed, "signed_response.png", key="conv-dl-signed")
        st.caption(
            f"Range of the response: {resp.min():.0f} … {resp.max():.0f}. "
            "The sign tells the direction of the edge: for the vertical filter, red means "
            "brighter on the left (the notes' +30), blue brighter on the right (−30)."
        )
    else:
        out = np.clip(cv.apply_filter(img, k, border) + 0.5, 0, 255).astype(np.uint8)
        c2.image(img, caption="input (colour)", width="stretch")
        c3.image(out, caption=f"filtered with '{name}' (weights sum to {k.sum():.3g})",
                 width="stretch")
        with c3:
            download_png(out, "filtered.png", key="conv-dl-filtered")

    st.subheader("Both directions: gradient magnitude and orientation")
    pair = st.radio("Filter pair", list(cv.EDGE_PAIRS), horizontal=True, key="conv-pair",
                    format_func=lambda p: f"{p} ({' + '.join(cv.EDGE_PAIRS[p])})")
    maps = cv.gradients(img, pair, border)
    s = float(np.percentile(maps.magnitude, 98)) or 1.0
    d1, d2, d3, d4 = st.columns(4)
    d1.image(cv.signed_to_rgb(maps.gx, s), caption="x filter (vertical edges)", width="stretch")
    d2.image(cv.signed_to_rgb(maps.gy, s), caption="y filter (horizontal edges)", width="stretch")
    d3.image(np.clip(maps.magnitude / s * 255, 0, 255).astype(np.uint8),
             caption="magnitude √(gx² + gy²)", width="stretch")
    d4.image(cv.orientation_to_rgb(maps, s),
             caption="orientation: hue = direction of increasing brightness "
                     "(red → right, yellow-green ↑, cyan ←, blue-violet ↓)", width="stretch")
    with st.expander("Live mode: the frame function on your webcam", icon=":material/videocam:"):
        st.caption("What a webcam stream shows: `core.convolution.edge_frame(frame, kernel, "
                   "display, gain)` — RGB uint8 in, RGB uint8 out, with a fixed scale so the "
                   "picture does not flicker between frames. A camera snapshot (Camera above) "
                   "goes through the same function.")
        lc = st.columns([1, 1, 2])
        live_kernel = lc[0].selectbox("Kernel", ["this filter"] + list(cv.EDGE_PAIRS),
                                      key="conv-edges-live-k")
        choices = (["auto", "magnitude", "orientation", "signed"]
                   if live_kernel in cv.EDGE_PAIRS else ["auto", "signed", "magnitude", "image"])
        display = lc[1].selectbox("Display", choices, key=f"conv-edges-live-d-{live_kernel}")
        gain = lc[2].slider("Gain", 0.5, 16.0, 4.0, step=0.5, key="conv-edges-live-g")
        frame = cv.edge_frame(img, k if live_kernel == "this filter" else live_kernel,
                              display, gain, border)
        st.image(frame, caption=f"edge_frame(…, display={display!r}, gain={gain})", width=480)
        if st.toggle("Webcam live mode", key="conv-edges-live-on",
                     help="Streams your webcam through the same edge_frame function."):
            from dashboard.live import live_view

            live_view("conv-edges-live", cv.edge_frame,
                      {"kernel": k if live_kernel == "this filter" else live_kernel,
                       "display": display, "gain": gain, "border": border})
    with st.expander("How it works"):
        st.markdown(
            f"""
- The picture is turned grey (`core.convolution.to_gray`: 0.299 R + 0.587 G + 0.114 B).
- `core.convolution.apply_filter(image, kernel, border="{border}")` runs OpenCV's
  `filter2D`, which computes the same cross-correlation as `conv2d` (no flipping) with the
  kernel's centre as anchor, so the output keeps the input's size. Pixels outside the
  image come from the border mode; away from the border the result equals
  `core.convolution.conv2d` exactly (the tests check this).
- Edge filters sum to zero, so flat regions give 0 and the response is signed; they are
  drawn with a diverging map (`signed_to_rgb`). Blurs, sharpen and emboss sum to 1 and give
  back an image.
- `core.convolution.gradients(image, "{pair}")` applies the x and y filters and returns
  the magnitude √(gx²+gy²) and the direction in which brightness grows.
- Live mode uses the same maths: `core.convolution.edge_frame(frame, kernel)` turns any
  RGB frame (a camera snapshot here) into a picture.
"""
        )


# ----------------------------------------------------------------------------- 2 worked


def tab_worked() -> None:
    st.subheader("The notes' 6×6 image * vertical filter = 4×4")
    k = cv.KERNELS["vertical"]
    steps = list(cv.conv2d_steps(cv.NOTES_6x6, k))
    idx = st.slider("Window position (step)", 1, len(steps), 1, key="conv-worked-step") - 1
    step = steps[idx]
    r, c = step.in_pos
    done = np.full((4, 4), np.nan)
    for s_ in steps[: idx + 1]:
        done[s_.out_pos] = s_.value
    cols = st.columns([6, 3, 3, 4])
    with cols[0]:
        show(matrix(cv.NOTES_6x6, title="input 6×6", scale=GREY, zmid=None, zrange=(0, 12),
                    boxes=[(r, c, 3, 3)]), "w-in")
    with cols[1]:
        show(matrix(k, title="filter 3×3"), "w-k")
    with cols[2]:
        show(matrix(step.products, title="products"), "w-prod")
    with cols[3]:
        show(matrix(done, title="output 4×4", boxes=[(*step.out_pos, 1, 1)],
                    zrange=(-16, 16)), "w-out")
    terms = " + ".join(f"({_fmt(w)}·{_fmt(f)})" for w, f in zip(step.window.ravel(), k.ravel()))
    st.markdown(f"Output cell {step.out_pos}: {terms} = **{_fmt(step.value)}**")
    st.caption("Drag the slider: after 16 steps the output is the notes' "
               "[−5 −4 0 8 / −10 −2 2 3 / 0 −2 −4 −7 / −3 −2 −3 −16].")

    st.subheader("Why it finds vertical edges: the 10 / 0 step image")
    flip = st.toggle("Flip the image (dark on the left, bright on the right)",
                     key="conv-worked-flip")
    img = cv.STEP_IMAGE[:, ::-1] if flip else cv.STEP_IMAGE
    out = cv.conv2d(img, k)
    cols = st.columns([6, 3, 4])
    with cols[0]:
        show(matrix(img, title="input", scale=GREY, zmid=None, zrange=(0, 10)), "s-in")
    with cols[1]:
        show(matrix(k, title="filter"), "s-k")
    with cols[2]:
        show(matrix(out, title="output", zrange=(-30, 30)), "s-out")
    if flip:
        st.markdown("Brightness now *increases* from left to right: the middle columns are "
                    "**−30**, a negative edge.")
    else:
        st.markdown("Bright (10) on the left, dark (0) on the right: the two middle columns "
                    "are **30**, a positive edge. On a 6×6 image the edge looks thick; on a "
                    "large picture it is a thin line.")
    with st.expander("How it works"):
        st.markdown(
            "- `core.convolution.conv2d_steps(x, k)` yields every window position with the "
            "window, the 9 element-wise products and their sum.\n"
            "- `core.convolution.conv2d(x, k)` computes all positions at once: for each of "
            "the 9 filter taps it multiplies a shifted copy of the image by that weight and adds "
            "it up; its 4×4 result is the notes' result.\n"
            "- The matrices are `NOTES_6x6` and `STEP_IMAGE` in `core.convolution`, shared with "
            "the tests."
        )


# ----------------------------------------------------------------------------- 3 size


def _window_animation(n: int, f: int, p: int, s: int) -> go.Figure:
    size = n + 2 * p
    grid = np.zeros((size, size))
    grid[p : p + n, p : p + n] = 1.0  # 0 = padding, 1 = input
    pos = cv.window_positions(n, f, p, s)
    used = np.zeros((size, size), dtype=bool)
    for r in pos:
        for c in pos:
            used[r : r + f, c : c + f] = True
    z = np.where(~used, 1.0, np.where(grid == 0, 0.0, 2.0))  # 1 = never covered (floor)
    cell = max(14, min(32, 420 // size))
    fig = go.Figure(go.Heatmap(
        z=z, colorscale=[[0, "#c4c8d0"], [0.5, "#f4b0b0"], [1, "#ffffff"]], zmin=0, zmax=2,
        showscale=False, xgap=1, ygap=1, hoverinfo="skip"))

    def rect(r, c):
        return {"type": "rect", "x0": c - 0.5, "x1": c + f - 0.5, "y0": r - 0.5,
                "y1": r + f - 0.5, "line": {"color": HIGHLIGHT, "width": 4},
                "fillcolor": "rgba(245,166,35,0.25)"}

    frames = []
    for i, r in enumerate(pos):
        for j, c in enumerate(pos):
            frames.append(go.Frame(name=f"{i * len(pos) + j + 1}", layout={
                "shapes": [rect(r, c)],
                "title": {"text": f"window at ({r}, {c}) → output ({i}, {j})"}}))
    fig.frames = frames
    fig.update_layout(
        shapes=[rect(pos[0], pos[0])], height=size * cell + 165,
        width=max(size * cell + 20, 340),
        margin={"l": 10, "r": max(10, 330 - size * cell), "t": 30, "b": 130},
        title={"text": "window at (0, 0) → output (0, 0)", "font": {"size": 13}, "x": 0,
               "xanchor": "left"},
        plot_bgcolor="#9aa1ad", paper_bgcolor="rgba(0,0,0,0)",
        updatemenus=[{
            "type": "buttons", "showactive": False, "x": 0, "y": -0.02, "xanchor": "left",
            "yanchor": "top", "direction": "left",
            "buttons": [
                {"label": "▶ Play", "method": "animate",
                 "args": [None, {"frame": {"duration": 350, "redraw": True},
                                 "transition": {"duration": 0}, "fromcurrent": True}]},
                {"label": "❚❚", "method": "animate",
                 "args": [[None], {"frame": {"duration": 0}, "mode": "immediate"}]},
            ],
        }],
        sliders=[{
            "x": 0, "len": 1, "y": -0.02, "yanchor": "top", "pad": {"t": 42},
            "currentvalue": {"prefix": "step ", "font": {"size": 12}},
            "steps": [{"label": fr.name, "method": "animate",
                       "args": [[fr.name], {"frame": {"duration": 0, "redraw": True},
                                            "mode": "immediate"}]} for fr in frames],
        }],
    )
    fig.update_xaxes(visible=False, range=[-0.5, size - 0.5], fixedrange=True)
    fig.update_yaxes(visible=False, range=[size - 0.5, -0.5], fixedrange=True,
                     scaleanchor="x", scaleratio=1)
    return fig


def tab_size() -> None:
    c = st.columns(5)
    n = c[0].number_input("n (input)", min_value=1, max_value=4096, value=6, key="conv-n")
    f = c[1].number_input("f (filter)", min_value=1, max_value=4096, value=3, key="conv-f")
    mode = c[2].selectbox("padding", ["custom", "valid (p = 0)", "same (p = (f−1)/2)"],
                          key="conv-pmode")
    if mode.startswith("valid"):
        p = 0
    elif mode.startswith("same"):
        p = cv.same_padding(int(f))
    else:
        p = c[2].number_input("p", min_value=0, max_value=1000, value=1, key="conv-p")
    s = c[3].number_input("s (stride)", min_value=1, max_value=100, value=2, key="conv-s")
    n, f, p, s = int(n), int(f), int(p), int(s)
    out = cv.output_size(n, f, p, s)
    num = n + 2 * p - f
    st.latex(
        rf"n_{{out}} = \left\lfloor \frac{{{n} + 2\cdot{p} - {f}}}{{{s}}} \right\rfloor + 1"
        rf" = \left\lfloor \frac{{{num}}}{{{s}}} \right\rfloor + 1"
        rf" = \lfloor {_fmt(num / s)} \rfloor + 1 = {out}"
    )
    c[4].metric("output", f"{out}×{out}")
    left_over = num - (out - 1) * s
    if num % s:
        st.info(
            f"(n + 2p − f)/s = {num}/{s} is not a whole number: after {out - 1} steps of {s} the "
            f"next step would push the filter {s - left_over} pixel(s) past the padded edge, so "
            f"that position is not computed — hence the floor. The last {left_over} "
            f"row(s)/column(s) of the padded input are never seen (pink below)."
        )
    same = f"p = {cv.same_padding(f)} → {cv.output_size(n, f, cv.same_padding(f), 1)}" \
        if f % 2 else "impossible with an even f (p would not be whole)"
    st.markdown(
        f"**valid** (p = 0, s = 1): {n} − {f} + 1 = {cv.output_size(n, f, 0, 1) if f <= n else '—'}"
        f" · **same** (s = 1): {same}"
    )
    if n + 2 * p <= 24:
        show(_window_animation(n, f, p, s), "size-anim")
        st.caption("Grey = padding, white = input, pink = never covered by the filter. "
                   "Press ▶ or drag the slider to move the window.")
    else:
        st.caption("The animation is drawn for n + 2p ≤ 24.")
    with st.expander("How it works"):
        st.markdown(
            "- `core.convolution.output_size(n, f, p, s)` = ⌊(n + 2p − f)/s⌋ + 1; it raises "
            "`ValueError` with the rule when the filter does not fit, the stride is < 1 or the "
            "padding negative.\n- `core.convolution.same_padding(f)` = (f − 1)/2, only for odd "
            "f.\n- `core.convolution.window_positions(n, f, p, s)` gives the window offsets "
            "animated above."
        )


# ----------------------------------------------------------------------------- 4 volumes


def tab_volumes() -> None:
    x, w = cv.VOLUME_INPUT, cv.VOLUME_FILTERS
    st.write("A 6×6×3 input and 3×3×3 filters. Filter 1 looks for vertical edges in the red "
             "channel only; filter 2 for horizontal edges in every channel. The filter must "
             "have as many channels as the input; each output value adds up the products of "
             "all 27 pairs.")
    top = st.columns(3)
    nf = top[0].radio("Number of filters", [1, 2], horizontal=True, key="conv-vol-nf")
    which = top[1].radio("Show the sums of filter", list(range(1, nf + 1)), horizontal=True,
                         key=f"conv-vol-which-{nf}") - 1
    steps = list(cv.conv2d_steps(x, w[..., which]))
    idx = st.slider("Window position", 1, len(steps), 1, key="conv-vol-step") - 1
    step = steps[idx]
    r, c = step.in_pos
    names = ["R", "G", "B"]
    cols = st.columns(3)
    sums = step.products.sum(axis=(0, 1))
    for ch in range(3):
        with cols[ch]:
            a, b, p_ = st.columns([6, 3, 3])
            with a:
                show(matrix(x[..., ch], title=f"input {names[ch]}", scale=GREY, zmid=None,
                            zrange=(0, 10), boxes=[(r, c, 3, 3)], cell=26, font=11),
                     f"v-in-{ch}")
            with b:
                show(matrix(w[..., ch, which], title=f"w {names[ch]}", cell=26, font=11),
                     f"v-w-{ch}")
            with p_:
                show(matrix(step.products[..., ch], title=f"Σ={_fmt(sums[ch])}", cell=26,
                            font=11), f"v-p-{ch}")
    st.markdown(
        f"Output ({step.out_pos[0]}, {step.out_pos[1]}) of filter {which + 1}: "
        f"R {_fmt(sums[0])} + G {_fmt(sums[1])} + B {_fmt(sums[2])} = **{_fmt(step.value)}**"
    )
    out = cv.conv2d(x, w[..., :nf])
    st.markdown(f"6×6×3 * {nf} filter(s) of 3×3×3 → **{'×'.join(map(str, out.shape))}**")
    oc = st.columns(4)
    for k_ in range(nf):
        with oc[k_]:
            show(matrix(out[..., k_], title=f"output channel {k_ + 1}"), f"v-out-{k_}")
    if nf >= 1:
        st.caption("Channel 1 is the notes' 4×4 result: the red channel is the notes' 6×6 image.")

    st.subheader("Layer shape bookkeeping")
    c = st.columns(7)
    n_h = c[0].number_input("n_H[l−1]", 1, 4096, 39, key="conv-l-nh")
    n_w = c[1].number_input("n_W[l−1]", 1, 4096, 39, key="conv-l-nw")
    n_cp = c[2].number_input("n_C[l−1]", 1, 4096, 3, key="conv-l-ncp")
    f = c[3].number_input("f[l]", 1, 99, 3, key="conv-l-f")
    p = c[4].number_input("p[l]", 0, 99, 0, key="conv-l-p")
    s = c[5].number_input("s[l]", 1, 99, 1, key="conv-l-s")
    n_c = c[6].number_input("n_C[l] (filters)", 1, 4096, 10, key="conv-l-nc")
    sh = cv.conv_layer_shapes(int(n_h), int(n_w), int(n_cp), int(f), int(n_c), int(p), int(s))
    fmt = lambda t: " × ".join(map(str, t))  # noqa: E731
    st.table(pd.DataFrame(
        {"shape": [fmt(sh.a_prev), fmt(sh.filter), fmt(sh.weights), fmt(sh.bias), fmt(sh.a)]},
        index=["input a[l−1]", "each filter", "weights w[l]", "bias b[l]", "output a[l]"]))
    st.latex(rf"z^{{[l]}} = w^{{[l]}} * a^{{[l-1]}} + b^{{[l]}},\quad a^{{[l]}} = g(z^{{[l]}})"
             rf"\qquad \text{{params}} = (f^2 n_C^{{[l-1]}} + 1)\, n_C^{{[l]}} = "
             rf"({f}^2\cdot{n_cp} + 1)\cdot{n_c} = {sh.params:,}")
    st.caption(f"{sh.params_per_filter} parameters per filter, however large the image "
               f"(parameter sharing); {sh.mults:,} multiplications per forward pass.")
    with st.expander("How it works"):
        st.markdown(
            "- `core.convolution.conv2d(x, k)` with x 6×6×3 and k 3×3×3 (one filter → 4×4×1) "
            "or 3×3×3×2 (two filters → 4×4×2).\n- `conv2d_steps` gives the per-channel "
            "products shown above.\n- `core.convolution.conv_layer_shapes(...)` does the "
            "bookkeeping; `output_size` gives n_H[l] and n_W[l]."
        )


# ----------------------------------------------------------------------------- 5 1x1

MIXES = {
    "grey (luma)": [[0.299, 0.299, 0.299], [0.587, 0.587, 0.587], [0.114, 0.114, 0.114]],
    "swap red and blue": [[0, 0, 1], [0, 1, 0], [1, 0, 0]],
    "sepia": [[0.393, 0.349, 0.272], [0.769, 0.686, 0.534], [0.189, 0.168, 0.131]],
    "identity": [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
}


def tab_one_by_one() -> None:
    st.write("On one channel a 1×1 filter only multiplies by a number. With many channels it "
             "takes the n_C numbers at each pixel and mixes them — a small fully connected "
             "layer applied at every position (\"network in network\"). It can shrink the "
             "number of channels, which pooling cannot.")
    c = st.columns([2, 3])
    k_out = c[0].slider("Number of 1×1×32 filters", 1, 64, 8, key="conv-1x1-k")
    rng = np.random.default_rng(0)
    x = rng.integers(-3, 4, (6, 6, 32)).astype(float)
    w = rng.integers(-2, 3, (1, 1, 32, k_out)).astype(float)
    out = cv.conv2d(x, w)
    c[0].markdown(f"6×6×32 * {k_out} × (1×1×32) → **{'×'.join(map(str, out.shape))}**, "
                  f"{cv.conv_params(1, 32, k_out):,} parameters.")
    with c[1]:
        show(matrix(np.stack([x[0, 0], w[0, 0, :, 0], x[0, 0] * w[0, 0, :, 0]]), cell=20,
                    font=9, title=f"pixel (0,0): 32 inputs × 32 weights → "
                                  f"{_fmt(out[0, 0, 0])} (output channel 1)"), "1x1-dot")
        st.caption("Rows: the 32 input values at pixel (0, 0), the 32 weights of filter 1, "
                   "their products (which sum to the output value).")
    st.subheader("On a photo: 1×1 convolution = colour mixing")
    left, right = st.columns([1, 2], gap="large")
    with left:
        image = image_input("conv-1x1", default="astronaut")
        preset = st.selectbox("Mixing (3 inputs → 3 outputs)", list(MIXES), key="conv-1x1-mix")
        df = pd.DataFrame(MIXES[preset], columns=["→R", "→G", "→B"], index=["R", "G", "B"])
        m = st.data_editor(df, key=f"conv-1x1-grid-{preset}", width="content").to_numpy(float)
        if np.isnan(m).any():
            raise ValueError("Every weight of the 1×1 filters needs a number.")
    if image is not None:
        img = cv.limit_size(image, 384)
        mixed = np.clip(cv.conv2d(img, m[None, None]) + 0.5, 0, 255).astype(np.uint8)
        with right:
            a, b = st.columns(2)
            a.image(img, caption="input H×W×3", width="stretch")
            b.image(mixed, caption="3 filters of 1×1×3 → H×W×3", width="stretch")
            download_png(mixed, "one_by_one.png", key="conv-dl-1x1")

    st.subheader("As a bottleneck")
    c = st.columns(6)
    h = c[0].number_input("H = W", 1, 1024, 28, key="conv-bn-h")
    cin = c[1].number_input("input channels", 1, 4096, 192, key="conv-bn-cin")
    cout = c[2].number_input("output channels", 1, 4096, 32, key="conv-bn-cout")
    f = c[3].number_input("f (same conv)", 1, 15, 5, step=2, key="conv-bn-f")
    cmid = c[4].number_input("1×1 bottleneck channels", 1, 4096, 16, key="conv-bn-mid")
    cost = cv.bottleneck_mults(int(h), int(h), int(cin), int(cout), int(f), int(cmid))
    c[5].metric("saving", f"{cost['direct'] / cost['bottleneck']:.1f}×")
    fig = go.Figure(go.Bar(
        x=[cost["direct"], cost["reduce"], cost["conv"]],
        y=[f"{f}×{f} conv directly", f"1×1 → {cmid} channels", f"then {f}×{f} conv"],
        orientation="h", marker_color=["#b2182b", "#2166ac", "#4393c3"],
        text=[f"{v / 1e6:.1f} M" for v in (cost["direct"], cost["reduce"], cost["conv"])],
        textposition="auto"))
    fig.update_layout(height=190, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      xaxis_title="multiplications", yaxis={"autorange": "reversed"})
    st.plotly_chart(fig, key="bn-bar", config={"displayModeBar": False})
    st.caption(f"{h}×{h}×{cin} → {h}×{h}×{cout}: {cost['direct']:,} multiplications directly, "
               f"{cost['bottleneck']:,} through the bottleneck (Inception's trick). Shrink it too "
               f"much and accuracy suffers.")
    with st.expander("How it works"):
        st.markdown(
            "- A 1×1 convolution is `core.convolution.conv2d(x, w)` with w of shape "
            "1×1×C×K: at each pixel the C-vector is multiplied by a C×K matrix.\n"
            "- `core.convolution.bottleneck_mults(h, w, c_in, c_out, f, c_mid)` counts "
            "H·W·K·f²·C multiplications per layer."
        )


# ----------------------------------------------------------------------------- 6 pooling


def tab_pooling() -> None:
    example = st.radio("The notes' example", ["max: 5×5, f=3, s=1", "average: 4×4, f=2, s=2"],
                       horizontal=True, key="conv-pool-ex")
    if example.startswith("max"):
        x, f, s, mode = cv.MAXPOOL_INPUT, 3, 1, "max"
    else:
        x, f, s, mode = cv.AVGPOOL_INPUT, 2, 2, "avg"
    steps = list(cv.pool2d_steps(x, f, s, mode))
    idx = st.slider("Window position", 1, len(steps), len(steps), key=f"conv-pool-step-{mode}") - 1
    step = steps[idx]
    done = np.full(cv.pool2d(x, f, s, mode).shape, np.nan)
    for s_ in steps[: idx + 1]:
        done[s_.out_pos] = s_.value
    cols = st.columns([5, 4, 6])
    with cols[0]:
        show(matrix(x, title=f"input {x.shape[0]}×{x.shape[1]}", scale=GREY, zmid=None,
                    zrange=(0, 12), boxes=[(*step.in_pos, f, f)]), "p-in")
    with cols[1]:
        show(matrix(done, title=f"{mode} pool f={f}, s={s}", scale="Blues", zmid=None,
                    zrange=(0, 12), boxes=[(*step.out_pos, 1, 1)]), "p-out")
    with cols[2]:
        what = "largest" if mode == "max" else "mean"
        st.markdown(f"Window at {step.in_pos}: {what} of "
                    f"{', '.join(_fmt(v) for v in step.window.ravel())} = **{_fmt(step.value)}**")
        st.markdown("No weights to learn — only f and s. Pooling works channel by channel, so "
                    "a 5×5×2 input gives 3×3×2.")

    st.subheader("Pooling a real feature map")
    left, right = st.columns([1, 2], gap="large")
    with left:
        image = image_input("conv-pool", default="camera")
        source = st.radio("Pool", ["Sobel edge magnitude", "grey picture"], horizontal=True,
                          key="conv-pool-src")
        c = st.columns(3)
        pf = c[0].number_input("f", 1, 64, 4, key="conv-pool-f")
        ps = c[1].number_input("s", 1, 64, 4, key="conv-pool-s")
        pmode = c[2].selectbox("mode", ["max", "avg"], key="conv-pool-mode")
    if image is None:
        return
    img = cv.limit_size(image, 512)
    fmap = cv.gradients(img).magnitude if source.startswith("Sobel") else cv.to_gray(img)
    pooled = cv.pool2d(fmap, int(pf), int(ps), pmode)
    top = float(np.percentile(fmap, 99.5)) or 1.0
    to8 = lambda a: np.clip(a / top * 255, 0, 255).astype(np.uint8)  # noqa: E731
    with right:
        a, b = st.columns(2)
        a.image(to8(fmap), caption=f"feature map {fmap.shape[1]}×{fmap.shape[0]}",
                width="stretch")
        big = np.kron(to8(pooled), np.ones((int(ps), int(ps)), dtype=np.uint8))
        b.image(big, caption=f"{pmode} pooled → {pooled.shape[1]}×{pooled.shape[0]} "
                             f"(drawn at the same size)", width="stretch")
        if pmode == "max" and source.startswith("Sobel"):
            st.caption("Max pooling keeps each strong edge response, just less precisely "
                       "placed; average pooling dilutes thin edges.")
    with st.expander("How it works"):
        st.markdown(
            "- `core.convolution.pool2d(x, f, s, mode)` takes all f×f windows with a strided "
            "view and reduces them with max or mean, channel by channel.\n"
            "- `core.convolution.pool2d_steps` yields each window for the step view; the edge "
            "map comes from `core.convolution.gradients`."
        )


# ----------------------------------------------------------------------------- 7 transposed


def tab_transposed() -> None:
    st.write("The reverse of a regular convolution: the input is smaller than the filter. "
             "Each input cell paints a copy of the filter, scaled by its value, onto the output "
             "at stride s; overlaps add up; then p rows/columns are cropped from each side. "
             "U-Net uses it to upsample.")
    c = st.columns(4)
    s = int(c[0].number_input("stride s", 1, 4, 2, key="conv-t-s"))
    p = int(c[1].number_input("padding p", 0, 4, 1, key="conv-t-p"))
    op = int(c[2].number_input("output padding", 0, 3, min(1, s - 1), key="conv-t-op",
                               help="Extra rows/columns at the bottom/right (must be < s)."))
    x, k = cv.TRANSPOSE_INPUT, cv.TRANSPOSE_KERNEL
    n_out = cv.transposed_output_size(2, 3, p, s, op)
    c[3].metric("output", f"{n_out}×{n_out}")
    st.latex(rf"n_{{out}} = (n-1)\,s - 2p + f + \text{{out\_pad}} = (2-1)\cdot{s} - 2\cdot{p}"
             rf" + 3 + {op} = {n_out}")
    steps = list(cv.conv_transpose2d_steps(x, k, s, p, op))
    idx = st.slider("Input cell", 1, len(steps), 1, key="conv-t-step") - 1
    step = steps[idx]
    r0, r1, c0, c1 = step.crop
    final = cv.conv_transpose2d(x, k, s, p, op)
    hi = float(max(np.abs(final).max(), np.abs(steps[-1].canvas).max(), 1))
    cols = st.columns([3, 4, 4, 6, 5])
    with cols[0]:
        show(matrix(x, title="input 2×2", scale="Blues", zmid=None, zrange=(0, 4),
                    boxes=[(*step.in_pos, 1, 1)]), "t-in")
    with cols[1]:
        show(matrix(k, title="filter 3×3", scale="Blues", zmid=None, zrange=(0, 4)), "t-k")
    with cols[2]:
        show(matrix(step.patch, title=f"{_fmt(step.value)} × filter", scale="Blues", zmid=None,
                    zrange=(0, hi)), "t-patch")
    with cols[3]:
        show(matrix(step.canvas, title="canvas so far", scale="Blues", zmid=None,
                    zrange=(0, hi), boxes=[(*step.full_pos, 3, 3)],
                    dashed=[(r0, c0, r1 - r0, c1 - c0)]), "t-canvas")
    with cols[4]:
        show(matrix(final, title=f"output {n_out}×{n_out}", scale="Blues", zmid=None,
                    zrange=(0, hi)), "t-out")
    st.caption("The dashed square is what remains after cropping p from every side "
               "(and keeping the output padding at the bottom/right).")
    with st.expander("How it works"):
        st.markdown(
            "- `core.convolution.conv_transpose2d(x, k, stride, padding, output_padding)` "
            "scatters x[i, j]·k at (i·s, j·s) for all cells at once (one add per filter tap) "
            "and crops; the tests check it against `torch.nn.functional.conv_transpose2d`.\n"
            "- `core.convolution.conv_transpose2d_steps` yields each cell's painted patch and "
            "the canvas after it."
        )


# ----------------------------------------------------------------------------- 8 learn


def tab_learn() -> None:
    st.write("Instead of choosing the numbers of an edge filter by hand, let gradient descent "
             "find them: take images, compute the wanted edge maps with the true filter, start "
             "nine weights at random and follow the gradient of the squared error.")
    st.latex(latex_matrix(cv.LEARN_4x4) + r" * \begin{bmatrix} w_1 & w_2 & w_3 \\ w_4 & w_5 & "
             r"w_6 \\ w_7 & w_8 & w_9 \end{bmatrix} \approx \text{edge map},\qquad "
             r"\frac{\partial L}{\partial w} = \frac{2}{N}\, x * (x * w - y)")
    c = st.columns(5)
    target = c[0].selectbox("True filter", ["vertical", "horizontal", "sobel_x", "sobel_y",
                                            "scharr_x", "laplacian"], key="conv-learn-k")
    data = c[1].selectbox("Training data", ["random 8×8 images", "the notes' 4×4 image",
                                            "the notes' 6×6 image"], key="conv-learn-data")
    if data.startswith("random"):
        n_img = c[1].slider("How many", 1, 20, 4, key="conv-learn-n",
                            help="Random 8×8 images of 0–9, like the notes' matrices.")
    steps = c[2].slider("Steps", 10, 500, 120, step=10, key="conv-learn-steps")
    noise = c[3].slider("Label noise (σ)", 0.0, 5.0, 0.0, step=0.5, key="conv-learn-noise")
    seed = int(c[4].number_input("Seed", 0, 9999, 0, key="conv-learn-seed"))
    true_k = cv.get_kernel(target)
    if data.startswith("random"):
        pairs = cv.make_edge_pairs(target, n=n_img, size=8, seed=seed, noise=noise)
    else:
        img = cv.LEARN_4x4 if "4×4" in data else cv.NOTES_6x6
        pairs = cv.make_edge_pairs(target, seed=seed, noise=noise, images=[img])
    n_eq = sum(y.size for _, y in pairs)
    st.caption(f"{len(pairs)} image(s) → {n_eq} equations for {true_k.size} unknown weights."
               + (" Fewer equations than unknowns: many filters fit the data exactly, so "
                  "the learned one need not be the true one." if n_eq < true_k.size else ""))
    run = st.button("Train", type="primary", key="conv-learn-run", icon=":material/play_arrow:")
    plot_slot, w_slot = st.columns([3, 2])
    loss_ph, weights_ph = plot_slot.empty(), w_slot.empty()
    state_key = "conv-learn-result"
    config = (target, data, len(pairs), steps, noise, seed)

    def draw(losses, kernel, final: bool):
        fig = go.Figure(go.Scatter(y=losses, x=list(range(1, len(losses) + 1)), mode="lines"))
        fig.update_layout(height=260, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                          title={"text": "loss (mean squared error)", "font": {"size": 14}},
                          yaxis_type="log", xaxis_title="step")
        loss_ph.plotly_chart(fig, key=f"learn-loss-{len(losses)}-{final}",
                             config={"displayModeBar": False})
        with weights_ph.container():
            a, b = st.columns(2)
            lim = float(np.abs(true_k).max())
            with a:
                show(matrix(kernel, title="learned w", zrange=(-lim, lim),
                            fmt=lambda v: f"{round(v, 2) + 0.0:.2f}"), f"learn-w-{len(losses)}-{final}")
            with b:
                show(matrix(true_k, title="true filter", zrange=(-lim, lim)),
                     f"learn-true-{len(losses)}-{final}")

    if run:
        losses = []
        last = None
        for snap in cv.learn_filter_steps(pairs, f=true_k.shape[0], steps=steps, seed=seed):
            losses.append(snap.loss)
            last = snap
            if snap.step % 10 == 0 or snap.step == snap.total:
                draw(losses, snap.kernel, snap.step == snap.total)
        st.session_state[state_key] = (config, losses, last.kernel)
    elif st.session_state.get(state_key) and st.session_state[state_key][0] == config:
        _, losses, kernel = st.session_state[state_key]
        draw(losses, kernel, True)
    else:
        st.caption("Press **Train** to watch the nine weights converge.")
    if st.session_state.get(state_key) and st.session_state[state_key][0] == config:
        _, losses, kernel = st.session_state[state_key]
        err = float(np.abs(kernel - true_k).max())
        st.markdown(f"Final loss **{losses[-1]:.3g}**; largest difference from the true "
                    f"filter: **{err:.3g}**.")
    with st.expander("How it works"):
        st.markdown(
            "- `core.convolution.make_edge_pairs(kernel, n, size, seed, noise)` makes "
            "(image, conv2d(image, kernel)) pairs.\n- `core.convolution.learn_filter_steps(pairs, "
            "f, steps)` is an iterator: each step takes the gradient 2/N·Σ x * residual, a "
            "momentum update with step size 1/L (L = the gradient's Lipschitz constant), and "
            "yields a snapshot with the loss and the current 3×3 weights."
        )


# ----------------------------------------------------------------------------- render

for i, body in enumerate([tab_edges, tab_worked, tab_size, tab_volumes, tab_one_by_one,
                          tab_pooling, tab_transposed, tab_learn]):
    if _is_open(i):
        with tabs[i]:
            guard(body)
