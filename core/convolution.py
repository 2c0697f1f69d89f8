"""Convolution, padding, stride, pooling, 1x1 and transposed convolution.

Everything here follows the course notes (``shared/seeds/004_*``) and deep-learning
usage: "convolution" means **cross-correlation** -- the filter is *not* mirrored.

    out[i, j] = sum_{a, b, c} x[i*s + a - p, j*s + b - p, c] * k[a, b, c]

Shapes use the notes' layout: images are ``H x W`` or ``H x W x C`` and filters are
``f x f``, ``f x f x C`` (one filter) or ``f x f x C x K`` (K filters -> K output
channels).  The size of one output axis is ``floor((n + 2p - f) / s) + 1``.

Only numpy and OpenCV are used; no Streamlit.  The worked examples of the notes are
module constants (``NOTES_6x6`` ...) so the page and the tests share the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

import cv2
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from core.snapshots import Snapshot
from core.i18n import N_, _

__all__ = [
    "NOTES_6x6", "NOTES_6x6_VERTICAL", "STEP_IMAGE", "STEP_RESULT", "LEARN_4x4",
    "MAXPOOL_INPUT", "MAXPOOL_RESULT", "AVGPOOL_INPUT", "AVGPOOL_RESULT",
    "VOLUME_INPUT", "VOLUME_FILTERS", "TRANSPOSE_INPUT", "TRANSPOSE_KERNEL",
    "KERNELS", "KERNEL_INFO", "EDGE_PAIRS",
    "output_size", "transposed_output_size", "max_transposed_padding", "transposed_formula",
    "zero_insertion", "ZeroInsertion", "edge_sign", "same_padding", "window_positions",
    "pad", "conv2d", "conv2d_steps", "ConvStep", "pool2d", "pool2d_steps", "PoolStep",
    "conv_transpose2d", "conv_transpose2d_steps", "TransposeStep",
    "get_kernel", "is_edge_kernel", "apply_filter", "BORDERS", "to_gray", "limit_size",
    "gradients", "EdgeMaps", "signed_to_rgb", "orientation_to_rgb", "edge_frame",
    "conv_layer_shapes", "LayerShapes", "conv_params", "conv_mults", "bottleneck_mults",
    "make_edge_pairs", "learn_filter_steps", "LearnStep",
    "outputs_so_far", "channel_sums", "window_coverage", "PADDING_SEEN", "NEVER_SEEN",
    "INPUT_SEEN", "percentile_scale", "magnitude_to_gray", "to_picture", "enlarge",
    "one_by_one_example", "OneByOneExample",
]

# ---------------------------------------------------------------------------
# The notes' worked examples (same numbers as the notes)
# ---------------------------------------------------------------------------

#: Edge Detection: the 6x6 grey image ...
NOTES_6x6 = np.array(
    [
        [3, 0, 1, 2, 7, 4],
        [1, 5, 8, 9, 3, 1],
        [2, 7, 2, 5, 1, 3],
        [0, 1, 3, 1, 7, 8],
        [4, 2, 1, 6, 2, 8],
        [2, 4, 5, 2, 3, 9],
    ]
)
#: ... convolved with the vertical filter gives this 4x4 result.
NOTES_6x6_VERTICAL = np.array(
    [
        [-5, -4, 0, 8],
        [-10, -2, 2, 3],
        [0, -2, -4, -7],
        [-3, -2, -3, -16],
    ]
)
#: Bright left half (10), dark right half (0): a vertical edge in the middle.
STEP_IMAGE = np.array([[10, 10, 10, 0, 0, 0]] * 6)
#: Vertical filter on STEP_IMAGE: the 30-column marks the (positive) edge.
STEP_RESULT = np.array([[0, 30, 30, 0]] * 4)
#: "Learning the filter values": the 4x4 image next to the unknown w1..w9.
LEARN_4x4 = np.array([[2, 7, 2, 5], [0, 1, 3, 1], [4, 2, 1, 6], [2, 4, 5, 2]])

#: Max pooling example: 5x5 input, f=3, s=1 -> 3x3.
MAXPOOL_INPUT = np.array(
    [
        [1, 3, 2, 1, 3],
        [2, 9, 1, 1, 5],
        [3, 2, 3, 2, 3],
        [8, 3, 5, 1, 0],
        [5, 6, 1, 2, 9],
    ]
)
MAXPOOL_RESULT = np.array([[9, 9, 5], [9, 9, 5], [8, 6, 9]])
#: Average pooling example: 4x4 input, f=2, s=2 -> 2x2.
AVGPOOL_INPUT = np.array([[1, 3, 2, 1], [2, 9, 1, 1], [1, 4, 2, 3], [5, 6, 1, 2]])
AVGPOOL_RESULT = np.array([[3.75, 1.25], [4.0, 2.0]])

#: Convolution over volumes: a 6x6x3 "RGB" input.  R is the notes' 6x6 image,
#: G the step image (vertical edge), B the step image turned (horizontal edge).
VOLUME_INPUT = np.stack([NOTES_6x6, STEP_IMAGE, STEP_IMAGE.T], axis=-1)

_V = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]])
_H = np.rot90(_V, -1)  # the notes: turn the vertical filter 90 degrees clockwise
_Z = np.zeros((3, 3), dtype=int)
#: Two 3x3x3 filters (layout f x f x C x K): #1 = vertical edges in the red
#: channel only, #2 = horizontal edges in every channel.
VOLUME_FILTERS = np.stack(
    [np.stack([_V, _Z, _Z], axis=-1), np.stack([_H, _H, _H], axis=-1)], axis=-1
)

#: Transposed convolution example (2x2 input, 3x3 filter, stride 2, padding 1).
TRANSPOSE_INPUT = np.array([[2, 1], [3, 2]])
TRANSPOSE_KERNEL = np.array([[1, 2, 1], [2, 0, 1], [0, 2, 1]])

# ---------------------------------------------------------------------------
# Kernels
# ---------------------------------------------------------------------------

KERNELS: dict[str, np.ndarray] = {
    # the notes' matrices; "x" filters find vertical edges (change along x)
    N_("vertical"): _V.astype(float),
    N_("horizontal"): _H.astype(float),
    "sobel_x": np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=float),
    "sobel_y": np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], dtype=float),
    "scharr_x": np.array([[3, 0, -3], [10, 0, -10], [3, 0, -3]], dtype=float),
    "scharr_y": np.array([[3, 10, 3], [0, 0, 0], [-3, -10, -3]], dtype=float),
    "laplacian": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=float),
    "box": np.full((3, 3), 1.0 / 9.0),
    "gaussian": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=float) / 16.0,
    "gaussian_5x5": np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]).astype(float) / 256.0,
    N_("sharpen"): np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=float),
    N_("emboss"): np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], dtype=float),
}
for _k in KERNELS.values():
    _k.setflags(write=False)

KERNEL_INFO: dict[str, str] = {
    "vertical": N_("The notes' vertical-edge filter: left column minus right column. "
    "Positive where it is brighter on the left, negative where brighter on the right."),
    "horizontal": N_("The vertical filter turned 90° clockwise: top row minus bottom row."),
    "sobel_x": N_("Sobel: the vertical filter with more weight (2) on the centre row."),
    "sobel_y": N_("Sobel for horizontal edges (Sobel x turned 90° clockwise)."),
    "scharr_x": N_("Scharr: weights 3, 10, 3 -- a better rotation-invariant gradient."),
    "scharr_y": N_("Scharr for horizontal edges."),
    "laplacian": N_("Second derivative: responds to edges in every direction (sum = 0)."),
    "box": N_("Box blur: the mean of the 3x3 neighbourhood."),
    "gaussian": N_("Gaussian blur 3x3 (binomial weights 1-2-1)."),
    "gaussian_5x5": N_("Gaussian blur 5x5 (binomial weights 1-4-6-4-1)."),
    "sharpen": N_("Sharpen: the pixel plus its difference from its neighbours (sum = 1)."),
    "emboss": N_("Emboss: a diagonal derivative added to the image (sum = 1)."),
}

#: Filter pairs for gradient magnitude / orientation: name -> (x filter, y filter).
EDGE_PAIRS: dict[str, tuple[str, str]] = {
    "sobel": ("sobel_x", "sobel_y"),
    "scharr": ("scharr_x", "scharr_y"),
    N_("simple"): ("vertical", "horizontal"),
}


def get_kernel(kernel: str | np.ndarray | Sequence) -> np.ndarray:
    """A kernel by name (see ``KERNELS``) or as an array-like, as a float64 2-D array."""
    if isinstance(kernel, str):
        try:
            return np.array(KERNELS[kernel], dtype=float)
        except KeyError:
            raise ValueError(
                f"Unknown kernel {kernel!r}. Known kernels: {', '.join(KERNELS)}."
            ) from None
    k = np.asarray(kernel, dtype=float)
    if k.ndim != 2 or k.size == 0:
        raise ValueError(_("A filter must be a 2-D matrix (f x f); got shape {shape}.", shape=k.shape))
    if not np.all(np.isfinite(k)):
        raise ValueError(_("The filter contains a value that is not a finite number."))
    return k


def is_edge_kernel(kernel: str | np.ndarray) -> bool:
    """True when the weights sum to zero: flat regions give 0, the response is signed."""
    k = get_kernel(kernel)
    return bool(abs(k.sum()) <= 1e-9 * max(1.0, np.abs(k).sum()))


# What a directed edge filter's sign means, by the sector (of 8) of its bright side; whole
# sentences, as the catalog translates them ("right" alone is "correct" elsewhere).
_EDGE_SIGNS = (
    N_("For this filter red means an edge that is brighter on its right side, blue one "
       "brighter on its left side."),
    N_("For this filter red means an edge that is brighter on its upper-right side, blue one "
       "brighter on its lower-left side."),
    N_("For this filter red means an edge that is brighter on its top side, blue one "
       "brighter on its bottom side."),
    N_("For this filter red means an edge that is brighter on its upper-left side, blue one "
       "brighter on its lower-right side."),
    N_("For this filter red means an edge that is brighter on its left side, blue one "
       "brighter on its right side."),
    N_("For this filter red means an edge that is brighter on its lower-left side, blue one "
       "brighter on its upper-right side."),
    N_("For this filter red means an edge that is brighter on its bottom side, blue one "
       "brighter on its top side."),
    N_("For this filter red means an edge that is brighter on its lower-right side, blue one "
       "brighter on its upper-left side."),
)


def edge_sign(kernel: str | np.ndarray) -> str:
    """What the sign of this (zero-sum) filter's response means, in words.

    On a brightness ramp I = a·x + b·y (x right, y down) a cross-correlation answers
    a·Σk·dx + b·Σk·dy, so the filter's first moments (Σk·dx, Σk·dy) are the direction in which
    growing brightness gives a positive (red) response. Filters without a direction (the
    Laplacian) compare a pixel with its neighbours instead.
    """
    k = get_kernel(kernel)
    rows, cols = np.indices(k.shape)
    dx = float((k * (cols - (k.shape[1] - 1) / 2)).sum())
    dy = float((k * (rows - (k.shape[0] - 1) / 2)).sum())
    if np.hypot(dx, dy) > 1e-9 * max(1.0, np.abs(k).sum()):
        sector = int(np.round(np.degrees(np.arctan2(-dy, dx)) / 45.0)) % 8
        if k.shape == (3, 3) and np.array_equal(k, KERNELS["vertical"]):
            return _("For this filter red means an edge that is brighter on its left side, blue "
                     "one brighter on its right side (the notes' 10|0 step gives +30; the 0|10 "
                     "step −30).")
        return _(_EDGE_SIGNS[sector])
    centre = k[(k.shape[0] - 1) // 2, (k.shape[1] - 1) // 2] if k.shape[0] % 2 and k.shape[1] % 2 else 0.0
    if centre < 0:
        return _("This filter has no direction (a second derivative): blue where a pixel is "
                "brighter than its neighbours (bright lines and dots, the bright side of an "
                "edge), red where it is darker.")
    if centre > 0:
        return _("This filter has no direction (a second derivative): red where a pixel is "
                "brighter than its neighbours (bright lines and dots, the bright side of an "
                "edge), blue where it is darker.")
    return _("Red where the pixels under the positive weights are brighter than those under the "
            "negative weights, blue where they are darker.")


# ---------------------------------------------------------------------------
# Output-size arithmetic
# ---------------------------------------------------------------------------


def _int(name: str, value, what: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            return int(value)
        raise ValueError(_("{what} ({name}) must be a whole number; got {value!r}.", what=_(what), name=name, value=value))
    return int(value)


def _check_geometry(n, f, p, s, *, n_name="n") -> tuple[int, int, int, int]:
    n = _int(n_name, n, N_("The input size"))
    f = _int("f", f, N_("The filter size"))
    p = _int("p", p, N_("The padding"))
    s = _int("s", s, N_("The stride"))
    if n < 1:
        raise ValueError(_("The input size {n_name} must be at least 1 pixel; got {n}.", n_name=n_name, n=n))
    if f < 1:
        raise ValueError(_("The filter size f must be at least 1; got f={f}.", f=f))
    if p < 0:
        raise ValueError(
            _("The padding p counts pixels added around the input, so it cannot be negative; "
              "got p={p}.", p=p)
        )
    if s < 1:
        raise ValueError(
            _("The stride s is how many pixels the filter moves each step; it must be at "
              "least 1; got s={s}.", s=s)
        )
    return n, f, p, s


def output_size(n: int, f: int, p: int = 0, s: int = 1) -> int:
    """Size of one output axis: ``floor((n + 2p - f) / s) + 1`` (the notes' formula).

    Raises ``ValueError`` with an explanation when the parameters make no sense
    (filter larger than the padded input, stride < 1, negative padding, ...).
    """
    n, f, p, s = _check_geometry(n, f, p, s)
    if f > n + 2 * p:
        raise ValueError(
            _("The filter (f={f}) is larger than the padded input (n + 2p = {n} + 2·{p} = "
              "{n2}): it does not fit anywhere, so there is no output. Use a smaller filter "
              "or more padding.", f=f, n=n, p=p, n2=n + 2 * p)
        )
    return (n + 2 * p - f) // s + 1


def same_padding(f: int) -> int:
    """Padding of a "same" convolution (stride 1): ``p = (f - 1) / 2``; f must be odd."""
    f = _int("f", f, N_("The filter size"))
    if f < 1:
        raise ValueError(_("The filter size f must be at least 1; got f={f}.", f=f))
    if f % 2 == 0:
        raise ValueError(
            _("A 'same' convolution pads p = (f - 1)/2 on every side; with an even filter "
              "(f={f}) that is {f2}, not a whole number of pixels, so the padding could not "
              "be symmetric. This is why filters are usually odd (3, 5, 7).", f=f, f2=(f - 1) / 2)
        )
    return (f - 1) // 2


def transposed_output_size(
    n: int, f: int, p: int = 0, s: int = 1, output_padding: int = 0
) -> int:
    """Size of one output axis of a transposed convolution (PyTorch's convention):

    ``(n - 1)·s - 2p + f + output_padding``.  ``output_padding`` (< s) adds rows/columns
    at the bottom/right, to undo the floor of a strided convolution.
    """
    n, f, p, s = _check_geometry(n, f, p, s)
    op = _int("output_padding", output_padding, N_("The output padding"))
    if op < 0:
        raise ValueError(_("The output padding cannot be negative; got {op}.", op=op))
    if op >= s:
        raise ValueError(
            _("The output padding ({op}) must be smaller than the stride ({s}): it only "
              "picks one of the {s} input sizes that a stride-{s} convolution maps to the "
              "same output size.", op=op, s=s)
        )
    full = (n - 1) * s + f + op
    if 2 * p >= full:
        raise ValueError(
            _("The padding p={p} crops 2p = {p2} rows/columns from an output of (n−1)·s + "
              "f{out_pad} = ({n}−1)·{s} + {f}{plus_op} = {full}; nothing would be left. Use at "
              "most p = {max_p}.", p=p, p2=2 * p, out_pad=' + out_pad' if op else '', n=n, s=s, f=f,
              plus_op=' + ' + str(op) if op else '', full=full, max_p=max_transposed_padding(n, f, s, op))
        )
    return full - 2 * p


def max_transposed_padding(n: int, f: int, s: int = 1, output_padding: int = 0) -> int:
    """The largest padding that leaves a transposed convolution at least one output row:
    2p < (n − 1)·s + f + output_padding."""
    return max(0, ((n - 1) * s + f + output_padding - 1) // 2)


def transposed_formula(n: int, f: int, p: int = 0, s: int = 1, output_padding: int = 0) -> str:
    """The output size with the numbers put in, once (LaTeX):
    ``(n-1)·s + f - 2p + out_pad = (3-1)·1 + 3 - 2·0 + 0 = 5``."""
    out = transposed_output_size(n, f, p, s, output_padding)
    return (rf"n_{{out}} = (n-1)\,s + f - 2p + \text{{out\_pad}} = ({n}-1)\cdot {s} + {f} - "
            rf"2\cdot {p} + {output_padding} = {out}")


def window_positions(n: int, f: int, p: int = 0, s: int = 1) -> list[int]:
    """Top-left offsets (in padded coordinates) of the windows along one axis."""
    return [i * s for i in range(output_size(n, f, p, s))]


# ---------------------------------------------------------------------------
# Convolution
# ---------------------------------------------------------------------------


def pad(x: np.ndarray, p: int, value: float = 0.0) -> np.ndarray:
    """Zero-pad (or ``value``-pad) the two spatial axes of ``x`` by ``p`` pixels."""
    x = np.asarray(x)
    p = _int("p", p, N_("The padding"))
    if p < 0:
        raise ValueError(_("The padding cannot be negative; got p={p}.", p=p))
    if p == 0:
        return x
    widths = [(p, p), (p, p)] + [(0, 0)] * (x.ndim - 2)
    return np.pad(x, widths, mode="constant", constant_values=value)


def _as_image(x) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim not in (2, 3) or x.size == 0:
        raise ValueError(
            _("The input must be an image: H x W or H x W x C; got shape {shape}.", shape=x.shape)
        )
    if not np.issubdtype(x.dtype, np.number) or np.issubdtype(x.dtype, np.complexfloating):
        raise ValueError(f"The input must hold real numbers; got dtype {x.dtype}.")
    return x


def _normalise(x, k) -> tuple[np.ndarray, np.ndarray, bool]:
    """-> x as H x W x C (float), k as kh x kw x C x K (float), squeeze-to-2-D flag."""
    x = _as_image(x).astype(np.float64, copy=False)
    k = np.asarray(k, dtype=np.float64)
    two_d = x.ndim == 2 and k.ndim == 2
    if x.ndim == 2:
        x = x[:, :, None]
    c = x.shape[2]
    if k.ndim == 2:
        if c != 1:
            raise ValueError(
                _("The input has {c} channels but the filter is a single {h}x{w} matrix. A "
                  "filter needs as many channels as its input (f x f x {c}); or convert the "
                  "image to grey first.", c=c, h=k.shape[0], w=k.shape[1])
            )
        k = k[:, :, None, None]
    elif k.ndim == 3:
        k = k[:, :, :, None]
    elif k.ndim != 4:
        raise ValueError(
            _("The filter must be f x f, f x f x C or f x f x C x K; got shape {shape}.", shape=k.shape)
        )
    if k.size == 0:
        raise ValueError(_("The filter is empty."))
    if k.shape[2] != c:
        raise ValueError(
            _("The number of channels must match: the input has {c}, the filter has {c2} "
              "(the notes: the filter's n_C equals the input's n_C).", c=c, c2=k.shape[2])
        )
    if not np.all(np.isfinite(k)):
        raise ValueError(_("The filter contains a value that is not a finite number."))
    return x, k, two_d


def _out_shape(x: np.ndarray, k: np.ndarray, padding: int, stride: int) -> tuple[int, int]:
    return (
        output_size(x.shape[0], k.shape[0], padding, stride),
        output_size(x.shape[1], k.shape[1], padding, stride),
    )


def conv2d(x, k, padding: int = 0, stride: int = 1) -> np.ndarray:
    """Cross-correlation of ``x`` with ``k`` (the deep-learning "convolution").

    ``x``: H x W or H x W x C.  ``k``: f x f (2-D input), f x f x C (one filter, result
    Ho x Wo x 1) or f x f x C x K (K filters, result Ho x Wo x K).  A 2-D input with a
    2-D filter gives a 2-D result.  Zero padding ``padding`` on each side, step
    ``stride``.

    Vectorised over pixels and channels: for each of the f·f filter taps (a, b), the
    strided slice ``x[a::s, b::s]`` (Ho x Wo x C) is multiplied by the C x K matrix
    ``k[a, b]`` and accumulated -- no loop over output positions, and no im2col copy, so
    memory stays at the size of the output.
    """
    x, k, two_d = _normalise(x, k)
    _check_geometry(x.shape[0], k.shape[0], padding, stride, n_name="H")
    ho, wo = _out_shape(x, k, padding, stride)
    xp = pad(x, padding)
    kh, kw = k.shape[:2]
    out = np.zeros((ho, wo, k.shape[3]))
    r_end, c_end = (ho - 1) * stride + 1, (wo - 1) * stride + 1
    for a in range(kh):
        for b in range(kw):
            out += xp[a : a + r_end : stride, b : b + c_end : stride, :] @ k[a, b]
    return out[:, :, 0] if two_d else out


@dataclass(frozen=True)
class ConvStep:
    """One position of the window (for the step-by-step view)."""

    index: int  #: 0-based step number (row-major over the output)
    total: int  #: number of steps = Ho * Wo
    out_pos: tuple[int, int]  #: (row, col) in the output
    in_pos: tuple[int, int]  #: top-left (row, col) of the window in the *padded* input
    window: np.ndarray  #: the input values under the filter (f x f [x C])
    products: np.ndarray  #: window * filter, element by element
    value: float  #: products.sum() -- the output value


def conv2d_steps(x, k, padding: int = 0, stride: int = 1) -> Iterator[ConvStep]:
    """Yield each window position, the window, the element-wise products and their sum.

    One filter only (f x f, or f x f x C for a volume).  The sums equal ``conv2d``.
    """
    if np.asarray(k).ndim == 4:
        raise ValueError("conv2d_steps shows one filter at a time; pass k[..., i].")
    xn, kn, two_d = _normalise(x, k)
    _check_geometry(xn.shape[0], kn.shape[0], padding, stride, n_name="H")
    ho, wo = _out_shape(xn, kn, padding, stride)
    xp = pad(xn, padding)
    kk = kn[:, :, :, 0]
    kh, kw = kk.shape[:2]
    total = ho * wo
    for idx in range(total):
        i, j = divmod(idx, wo)
        r, c = i * stride, j * stride
        win = xp[r : r + kh, c : c + kw, :]
        prod = win * kk
        if two_d:
            win, prod = win[:, :, 0], prod[:, :, 0]
        yield ConvStep(idx, total, (i, j), (r, c), win, prod, float(prod.sum()))


# ---------------------------------------------------------------------------
# Pooling
# ---------------------------------------------------------------------------


def pool2d(x, f: int, s: int | None = None, mode: str = "max") -> np.ndarray:
    """Max or average pooling, channel by channel (x: H x W or H x W x C).

    ``s`` defaults to ``f``.  No padding (the notes: p is usually 0).  Output shape
    ``floor((n - f)/s) + 1`` per axis; the number of channels does not change.
    """
    if mode not in ("max", "avg"):
        raise ValueError(f"Pooling mode must be 'max' or 'avg'; got {mode!r}.")
    x = _as_image(x)
    s = f if s is None else s
    ho = output_size(x.shape[0], f, 0, s)
    wo = output_size(x.shape[1], f, 0, s)
    win = sliding_window_view(x, (f, f), axis=(0, 1))[::s, ::s][:ho, :wo]
    if mode == "max":
        return win.max(axis=(-2, -1))
    return win.mean(axis=(-2, -1), dtype=np.float64)


@dataclass(frozen=True)
class PoolStep:
    index: int
    total: int
    out_pos: tuple[int, int]
    in_pos: tuple[int, int]
    window: np.ndarray
    value: float


def pool2d_steps(x, f: int, s: int | None = None, mode: str = "max") -> Iterator[PoolStep]:
    """Yield each pooling window (2-D input) and the value it produces."""
    x = _as_image(x)
    if x.ndim != 2:
        raise ValueError("pool2d_steps shows a single channel; pass x[..., c].")
    if mode not in ("max", "avg"):
        raise ValueError(f"Pooling mode must be 'max' or 'avg'; got {mode!r}.")
    s = f if s is None else s
    ho, wo = output_size(x.shape[0], f, 0, s), output_size(x.shape[1], f, 0, s)
    for idx in range(ho * wo):
        i, j = divmod(idx, wo)
        win = x[i * s : i * s + f, j * s : j * s + f]
        val = float(win.max() if mode == "max" else win.mean())
        yield PoolStep(idx, ho * wo, (i, j), (i * s, j * s), win, val)


# ---------------------------------------------------------------------------
# Transposed convolution
# ---------------------------------------------------------------------------


def conv_transpose2d(
    x, k, stride: int = 1, padding: int = 0, output_padding: int = 0
) -> np.ndarray:
    """Transposed convolution ("deconvolution"), PyTorch's semantics.

    Each input cell paints ``x[i, j] * k`` onto the output at ``(i*s, j*s)``; overlaps
    add up; then ``padding`` rows/columns are cropped from every side (and
    ``output_padding`` extra rows/columns are kept at the bottom/right).
    ``x``: H x W (with k f x f) or H x W x C (with k f x f x C x K -> K channels).
    """
    x, k, two_d = _normalise(x, k)   # the same shapes and checks as conv2d
    kh, kw = k.shape[:2]
    ho = transposed_output_size(x.shape[0], kh, padding, stride, output_padding)
    wo = transposed_output_size(x.shape[1], kw, padding, stride, output_padding)
    h, w = x.shape[:2]
    full = np.zeros(
        ((h - 1) * stride + kh + output_padding, (w - 1) * stride + kw + output_padding, k.shape[3])
    )
    # one vectorised scatter per filter tap (f*f of them), not per input pixel
    contrib = np.einsum("hwc,ijck->ijhwk", x, k, optimize=True)
    for a in range(kh):
        for b in range(kw):
            full[a : a + (h - 1) * stride + 1 : stride, b : b + (w - 1) * stride + 1 : stride] += contrib[a, b]
    out = full[padding : padding + ho, padding : padding + wo]
    return out[:, :, 0] if two_d else out


@dataclass(frozen=True)
class TransposeStep:
    """One input cell painting its weighted copy of the filter."""

    index: int
    total: int
    in_pos: tuple[int, int]  #: the input cell
    value: float  #: x[in_pos]
    patch: np.ndarray  #: value * filter
    full_pos: tuple[int, int]  #: top-left of the patch on the uncropped canvas
    canvas: np.ndarray  #: uncropped canvas after this step (a copy)
    crop: tuple[int, int, int, int]  #: (row0, row1, col0, col1) of the output in canvas


def conv_transpose2d_steps(
    x, k, stride: int = 1, padding: int = 0, output_padding: int = 0
) -> Iterator[TransposeStep]:
    """Yield each input cell's contribution (2-D input and filter) and the canvas so far.

    The final ``canvas[crop]`` equals ``conv_transpose2d(x, k, stride, padding, ...)``.
    """
    x = _as_image(x).astype(np.float64)
    k = get_kernel(k)
    if x.ndim != 2:
        raise ValueError(_("The step-by-step view takes a 2-D input (one channel)."))
    kh, kw = k.shape
    ho = transposed_output_size(x.shape[0], kh, padding, stride, output_padding)
    wo = transposed_output_size(x.shape[1], kw, padding, stride, output_padding)
    h, w = x.shape
    canvas = np.zeros(((h - 1) * stride + kh + output_padding, (w - 1) * stride + kw + output_padding))
    crop = (padding, padding + ho, padding, padding + wo)
    for idx in range(h * w):
        i, j = divmod(idx, w)
        patch = x[i, j] * k
        r, c = i * stride, j * stride
        canvas[r : r + kh, c : c + kw] += patch
        yield TransposeStep(idx, h * w, (i, j), float(x[i, j]), patch, (r, c), canvas.copy(), crop)


@dataclass(frozen=True)
class ZeroInsertion:
    """The same transposed convolution as an ordinary one: ``conv2d(grid, flipped)`` equals
    ``conv_transpose2d(x, k, stride, padding, output_padding)``."""

    grid: np.ndarray  #: x with s−1 zeros between its cells, f−1−p zeros around (+ out_pad)
    cells: tuple[tuple[int, int], ...]  #: where x's cells sit in ``grid`` (row, col)
    flipped: np.ndarray  #: the filter turned by 180°
    border: int  #: f − 1 − p zero rows/columns added around (negative: cut instead)


def zero_insertion(x, k, stride: int = 1, padding: int = 0, output_padding: int = 0) -> ZeroInsertion:
    """The "fractionally strided" view of a transposed convolution (2-D input and filter).

    Insert s − 1 zeros between neighbouring input cells, pad f − 1 − p zeros on every side
    (out_pad more at the bottom/right), and slide the filter turned by 180° over it with
    stride 1: every output value is the same as painting scaled copies at stride s.
    """
    x = _as_image(x).astype(np.float64)
    k = get_kernel(k)
    if x.ndim != 2:
        raise ValueError(_("The zero-insertion view takes a 2-D input (one channel)."))
    kh, kw = k.shape
    transposed_output_size(x.shape[0], kh, padding, stride, output_padding)  # the checks
    transposed_output_size(x.shape[1], kw, padding, stride, output_padding)
    h, w = x.shape
    spread = np.zeros(((h - 1) * stride + 1, (w - 1) * stride + 1))
    spread[::stride, ::stride] = x
    qh, qw = kh - 1 - padding, kw - 1 - padding
    op = int(output_padding)

    def fit(a: np.ndarray, axis: int, before: int, after: int) -> np.ndarray:
        widths = [(0, 0), (0, 0)]
        widths[axis] = (max(before, 0), max(after, 0))
        a = np.pad(a, widths)
        n = a.shape[axis]
        keep = slice(max(-before, 0), n - max(-after, 0))
        return a[keep] if axis == 0 else a[:, keep]

    grid = fit(fit(spread, 0, qh, qh + op), 1, qw, qw + op)
    cells = tuple((i * stride + qh, j * stride + qw) for i in range(h) for j in range(w)
                  if 0 <= i * stride + qh < grid.shape[0] and 0 <= j * stride + qw < grid.shape[1])
    return ZeroInsertion(grid, cells, k[::-1, ::-1].copy(), min(qh, qw))


# ---------------------------------------------------------------------------
# Photos: fast filtering, gradients, rendering, the live frame function
# ---------------------------------------------------------------------------

#: Border modes of ``apply_filter``: how pixels outside the image are invented.
BORDERS: dict[str, int] = {
    N_("reflect"): cv2.BORDER_REFLECT_101,  # ...dcb|abcd|cba...  (OpenCV's default)
    N_("replicate"): cv2.BORDER_REPLICATE,  # ...aaa|abcd|ddd...
    N_("zero"): cv2.BORDER_CONSTANT,  # ...000|abcd|000...  (zero padding, as conv2d)
}


def to_gray(image) -> np.ndarray:
    """Luma (0.299 R + 0.587 G + 0.114 B) as float32, same value range as the input."""
    img = _as_image(image)
    if img.ndim == 2:
        return img.astype(np.float32, copy=False)
    if img.shape[2] == 1:
        return img[:, :, 0].astype(np.float32, copy=False)
    if img.shape[2] not in (3, 4):
        raise ValueError(f"Expected an RGB image (3 channels); got {img.shape[2]}.")
    return cv2.cvtColor(img[:, :, :3].astype(np.float32, copy=False), cv2.COLOR_RGB2GRAY)


def limit_size(image: np.ndarray, max_side: int) -> np.ndarray:
    """Shrink (never enlarge) so the longer side is at most ``max_side`` (area filter)."""
    img = _as_image(image)
    if max_side < 1:
        raise ValueError(f"The maximum side must be at least 1 pixel; got {max_side}.")
    h, w = img.shape[:2]
    scale = max_side / max(h, w)
    if scale >= 1:
        return img
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA)


def apply_filter(image, kernel, border: str = "reflect") -> np.ndarray:
    """Fast cross-correlation of a photo with a 2-D kernel (OpenCV ``filter2D``).

    Same maths as ``conv2d`` -- no mirroring -- but the output has the *input's size*
    ("same"), the kernel's anchor being its centre ``(f//2, f//2)``.  Pixels outside the
    image come from ``border``: ``"reflect"`` (default, OpenCV's BORDER_REFLECT_101:
    ``dcb|abcd|cba``), ``"replicate"`` (``aaa|abcd|ddd``) or ``"zero"`` (zero padding,
    which gives exactly ``conv2d(x, k, padding=f//2)`` for odd f).  Away from the border
    (rows ``f//2 .. H-1-f//2``) the result equals ``conv2d(x, k)`` whatever the mode.

    ``image``: H x W or H x W x C (any numeric dtype; each channel filtered alone).
    Returns float32 of the same shape.
    """
    img = _as_image(image)
    k = get_kernel(kernel)
    if border not in BORDERS:
        raise ValueError(f"Unknown border mode {border!r}; use one of {', '.join(BORDERS)}.")
    if img.dtype not in (np.uint8, np.uint16, np.int16, np.float32, np.float64):
        img = img.astype(np.float32)
    if img.ndim == 3 and img.shape[2] > 4:
        return np.stack([apply_filter(img[:, :, c], k, border) for c in range(img.shape[2])], axis=-1)
    out = cv2.filter2D(
        img, cv2.CV_32F, k.astype(np.float32), anchor=(-1, -1), borderType=BORDERS[border]
    )
    if img.ndim == 3 and out.ndim == 2:  # OpenCV drops a single channel axis
        out = out[:, :, None]
    return out


@dataclass(frozen=True)
class EdgeMaps:
    """Signed responses of an x/y filter pair and the gradient they describe."""

    gx: np.ndarray  #: response of the x filter (vertical edges; > 0: brighter on the left)
    gy: np.ndarray  #: response of the y filter (horizontal edges; > 0: brighter above)
    magnitude: np.ndarray  #: sqrt(gx² + gy²)
    orientation: np.ndarray  #: degrees, direction in which brightness increases (0 = right, 90 = up)


def gradients(image, pair: str = "sobel", border: str = "reflect") -> EdgeMaps:
    """Edge strength and direction from a filter pair (``EDGE_PAIRS``) on the grey image."""
    if pair not in EDGE_PAIRS:
        raise ValueError(f"Unknown filter pair {pair!r}; use one of {', '.join(EDGE_PAIRS)}.")
    gray = to_gray(image)
    kx, ky = EDGE_PAIRS[pair]
    gx = apply_filter(gray, kx, border)
    gy = apply_filter(gray, ky, border)
    mag = cv2.magnitude(gx, gy)
    # the notes' filters give (left - right, top - bottom): brightness increases
    # towards -gx along x and towards +gy along "up"
    ori = np.degrees(np.arctan2(gy, -gx)).astype(np.float32)
    return EdgeMaps(gx, gy, mag, ori)


_NEG = np.array([33, 102, 172], dtype=np.float32)  # blue (negative edge)
_MID = np.array([247, 247, 247], dtype=np.float32)  # near white (zero)
_POS = np.array([178, 24, 43], dtype=np.float32)  # red (positive edge)
_MID_DARK = np.array([0, 0, 0], dtype=np.float32)


def signed_to_rgb(response, scale: float | None = None, dark: bool = False) -> np.ndarray:
    """Render a signed response with a diverging colour map (RGB uint8).

    Negative -> blue, 0 -> white (or black with ``dark=True``), positive -> red; the same
    colours as the "RdBu" heatmaps on the page.  ``scale``: the value shown at full colour
    (default: the 99.5th percentile of |response|).
    """
    r = np.asarray(response, dtype=np.float32)
    if r.ndim != 2:
        raise ValueError(f"A response map is 2-D; got shape {r.shape}.")
    if scale is None:
        scale = float(np.percentile(np.abs(r), 99.5)) if r.size else 1.0
    scale = scale if scale > 0 else 1.0
    t = np.clip(r / scale, -1.0, 1.0)[:, :, None]
    mid = _MID_DARK if dark else _MID
    out = np.where(t >= 0, mid + t * (_POS - mid), mid + (-t) * (_NEG - mid))
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def orientation_to_rgb(maps: EdgeMaps, scale: float | None = None) -> np.ndarray:
    """Hue = edge direction, brightness = edge strength (RGB uint8)."""
    mag = maps.magnitude
    if scale is None:
        scale = float(np.percentile(mag, 99.5)) if mag.size else 1.0
    scale = scale if scale > 0 else 1.0
    hsv = np.empty(mag.shape + (3,), dtype=np.uint8)
    hsv[..., 0] = (np.mod(maps.orientation, 360.0) / 2.0).astype(np.uint8)  # OpenCV hue 0..179
    hsv[..., 1] = 255
    hsv[..., 2] = np.clip(mag / scale * 255.0, 0, 255).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


def _full_scale(k: np.ndarray, peak: float = 255.0) -> float:
    """Largest response a kernel can give on [0, peak] pixels (a fixed, flicker-free scale)."""
    return float(max(k[k > 0].sum(), -k[k < 0].sum(), 1e-6) * peak)


def edge_frame(
    frame_rgb_uint8: np.ndarray,
    kernel: str | np.ndarray = "sobel",
    display: str = "auto",
    gain: float = 4.0,
    border: str = "reflect",
) -> np.ndarray:
    """The live-mode frame function: RGB uint8 frame in, RGB uint8 picture out.

    ``kernel``: a ``KERNELS`` name, a 2-D array, or a pair name from ``EDGE_PAIRS``
    ("sobel", "scharr", "simple").  ``display``:

    - ``"signed"``: grey-image response in diverging colours (red positive, blue negative,
      black zero);
    - ``"magnitude"``: |response| (or sqrt(gx²+gy²) for a pair) as grey;
    - ``"orientation"`` (pairs only): hue = direction, brightness = strength;
    - ``"image"``: the kernel applied to each colour channel, clipped to 0..255 (blur,
      sharpen, emboss);
    - ``"auto"``: "magnitude" for pairs, "signed" for zero-sum kernels, else "image".

    ``gain`` multiplies edge responses (their full scale is the largest response the
    kernel can give, so the picture does not flicker between frames).
    """
    frame = _as_image(frame_rgb_uint8)
    if frame.ndim == 2:
        frame = np.repeat(frame[:, :, None], 3, axis=2)
    if frame.shape[2] == 4:
        frame = frame[:, :, :3]
    if frame.shape[2] != 3:
        raise ValueError(f"A frame is RGB (3 channels); got {frame.shape[2]}.")
    if frame.dtype != np.uint8:
        frame = np.clip(frame, 0, 255).astype(np.uint8)
    if gain <= 0:
        raise ValueError(f"The gain must be positive; got {gain}.")
    if isinstance(kernel, str) and kernel in EDGE_PAIRS:
        if display not in ("auto", "magnitude", "orientation", "signed"):
            raise ValueError(f"A filter pair shows 'magnitude' or 'orientation'; got {display!r}.")
        maps = gradients(frame, kernel, border)
        scale = _full_scale(get_kernel(EDGE_PAIRS[kernel][0])) / gain
        if display == "orientation":
            return orientation_to_rgb(maps, scale)
        if display == "signed":
            return signed_to_rgb(maps.gx, scale, dark=True)
        g = np.clip(maps.magnitude / scale * 255.0, 0, 255).astype(np.uint8)
        return np.repeat(g[:, :, None], 3, axis=2)
    k = get_kernel(kernel)
    if display == "auto":
        display = "signed" if is_edge_kernel(k) else "image"
    if display == "image":
        out = apply_filter(frame, k, border)
        return np.clip(out + 0.5, 0, 255).astype(np.uint8)
    resp = apply_filter(to_gray(frame), k, border)
    scale = _full_scale(k) / gain
    if display == "signed":
        return signed_to_rgb(resp, scale, dark=True)
    if display == "magnitude":
        g = np.clip(np.abs(resp) / scale * 255.0, 0, 255).astype(np.uint8)
        return np.repeat(g[:, :, None], 3, axis=2)
    raise ValueError(
        f"Unknown display {display!r}; use auto, signed, magnitude, orientation or image."
    )


# ---------------------------------------------------------------------------
# Layer bookkeeping, 1x1 convolution, bottleneck
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerShapes:
    """The notes' shapes for conv layer l (all as tuples)."""

    a_prev: tuple[int, int, int]  #: n_H[l-1] x n_W[l-1] x n_C[l-1]
    filter: tuple[int, int, int]  #: f x f x n_C[l-1] (each filter)
    weights: tuple[int, int, int, int]  #: f x f x n_C[l-1] x n_C[l]
    bias: tuple[int, int, int, int]  #: 1 x 1 x 1 x n_C[l]
    a: tuple[int, int, int]  #: n_H[l] x n_W[l] x n_C[l]
    params_per_filter: int  #: f²·n_C[l-1] + 1
    params: int  #: (f²·n_C[l-1] + 1)·n_C[l]
    mults: int  #: multiplications for one forward pass


def conv_params(f: int, c_in: int, c_out: int, bias: bool = True) -> int:
    """Learnable parameters of a conv layer: (f·f·c_in + bias)·c_out."""
    for name, v in (("f", f), ("c_in", c_in), ("c_out", c_out)):
        if _int(name, v, N_("A layer size")) < 1:
            raise ValueError(_("{name} must be at least 1; got {v}.", name=name, v=v))
    return (f * f * c_in + int(bias)) * c_out


def conv_mults(h_out: int, w_out: int, f: int, c_in: int, c_out: int) -> int:
    """Multiplications of a conv layer: one f·f·c_in dot product per output value."""
    return h_out * w_out * c_out * f * f * c_in


def conv_layer_shapes(
    n_h: int, n_w: int, n_c_prev: int, f: int, n_c: int, p: int = 0, s: int = 1
) -> LayerShapes:
    """Shapes of a[l-1], w[l], b[l], a[l] and the parameter count for one conv layer."""
    if _int("n_C[l-1]", n_c_prev, N_("The number of input channels")) < 1:
        raise ValueError(_("The input needs at least one channel; got n_C[l-1]={n_c_prev}.", n_c_prev=n_c_prev))
    if _int("n_C[l]", n_c, N_("The number of filters")) < 1:
        raise ValueError(_("A layer needs at least one filter; got n_C[l]={n_c}.", n_c=n_c))
    ho, wo = output_size(n_h, f, p, s), output_size(n_w, f, p, s)
    return LayerShapes(
        a_prev=(n_h, n_w, n_c_prev),
        filter=(f, f, n_c_prev),
        weights=(f, f, n_c_prev, n_c),
        bias=(1, 1, 1, n_c),
        a=(ho, wo, n_c),
        params_per_filter=f * f * n_c_prev + 1,
        params=conv_params(f, n_c_prev, n_c),
        mults=conv_mults(ho, wo, f, n_c_prev, n_c),
    )


def bottleneck_mults(
    h: int, w: int, c_in: int, c_out: int, f: int, c_mid: int | None = None
) -> dict[str, int]:
    """Cost of an f x f "same" conv c_in -> c_out, directly or through a 1x1 bottleneck.

    Returns ``{"direct": ..., "reduce": ..., "conv": ..., "bottleneck": reduce + conv}``
    (``reduce``/``conv`` only when ``c_mid`` is given).  The classic example: 28x28x192
    -> 5x5 conv -> 28x28x32 costs 120.4 M multiplications, 12.4 M with a 16-channel
    1x1 bottleneck.
    """
    same_padding(f)
    out = {"direct": conv_mults(h, w, f, c_in, c_out)}
    if c_mid is not None:
        out["reduce"] = conv_mults(h, w, 1, c_in, c_mid)
        out["conv"] = conv_mults(h, w, f, c_mid, c_out)
        out["bottleneck"] = out["reduce"] + out["conv"]
    return out


# ---------------------------------------------------------------------------
# Learning the filter values (the notes' "필터 값 학습")
# ---------------------------------------------------------------------------


def make_edge_pairs(
    kernel="vertical", n: int = 8, size: int = 12, seed: int = 0, noise: float = 0.0,
    images: Sequence[np.ndarray] | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Training pairs (image, conv2d(image, kernel) [+ noise]).

    ``images``: grey images to use (e.g. the notes' 6x6 / 4x4 ones, photo patches);
    otherwise ``n`` random ``size x size`` images of values 0..9 (like the notes').
    """
    k = get_kernel(kernel)
    rng = np.random.default_rng(seed)
    if images is None:
        images = [rng.integers(0, 10, (size, size)).astype(float) for _ in range(n)]
    pairs = []
    for img in images:
        img = np.asarray(img, dtype=float)
        y = conv2d(img, k)
        if noise:
            y = y + rng.normal(0.0, noise, y.shape)
        pairs.append((img, y))
    if not pairs:
        raise ValueError(_("Need at least one training image."))
    return pairs


@dataclass
class LearnStep(Snapshot):
    """A training snapshot (``core.snapshots.Snapshot``) plus the current weights."""

    kernel: np.ndarray | None = None  #: current f x f weights (a copy)
    grad: np.ndarray | None = None  #: dLoss/dkernel at the previous weights


def learn_filter_steps(
    pairs: Sequence[tuple[np.ndarray, np.ndarray]],
    f: int = 3,
    steps: int = 200,
    lr: float | None = None,
    momentum: float = 0.7,
    seed: int = 0,
    init_scale: float = 1.0,
) -> Iterator[LearnStep]:
    """Learn an f x f filter from (image, target) pairs by gradient descent on the MSE.

    The gradient of ``mean((conv2d(x, w) - y)²)`` with respect to ``w`` is itself a
    convolution: ``2/N · conv2d(x, residual)``.  Starts from random weights (``seed``);
    ``lr`` defaults to ``1/L`` (L: the gradient's Lipschitz constant), which converges
    for any scale of the data.  Yields a ``LearnStep`` after each update.
    """
    f = _int("f", f, N_("The filter size"))
    if f < 1:
        raise ValueError(_("The filter size must be at least 1; got {f}.", f=f))
    if steps < 1:
        raise ValueError(_("The number of steps must be at least 1; got {steps}.", steps=steps))
    if not 0 <= momentum < 1:
        raise ValueError(_("Momentum must be in [0, 1); got {momentum}.", momentum=momentum))
    xs = [np.asarray(x, dtype=float) for x, _ in pairs]
    ys = [np.asarray(y, dtype=float) for _, y in pairs]
    if not xs:
        raise ValueError(_("Need at least one (image, target) pair."))
    for x, y in zip(xs, ys):
        if x.ndim != 2:
            raise ValueError(_("Training images are 2-D (grey); got shape {shape}.", shape=x.shape))
        want = (output_size(x.shape[0], f), output_size(x.shape[1], f))
        if y.shape != want:
            raise ValueError(
                _("A {h}x{w} image and a {f}x{f} filter give a {want}x{want2} output, but "
                  "the target is {h2}x{w2}.", h=x.shape[0], w=x.shape[1], f=f, want=want[0], want2=want[1], h2=y.shape[0], w2=y.shape[1])
            )
    # the problem is linear least squares: A w = b with A = all windows
    a = np.concatenate([sliding_window_view(x, (f, f)).reshape(-1, f * f) for x in xs])
    b = np.concatenate([y.ravel() for y in ys])
    n = len(b)
    if lr is None:
        lip = 2.0 * float(np.linalg.eigvalsh(a.T @ a).max()) / n
        lr = 1.0 / lip if lip > 0 else 1.0
    rng = np.random.default_rng(seed)
    w = rng.normal(0.0, init_scale, f * f)
    v = np.zeros_like(w)
    for t in range(1, steps + 1):
        r = a @ w - b
        grad = 2.0 / n * (a.T @ r)  # == 2/N * sum over pairs of conv2d(x, residual)
        v = momentum * v - lr * grad
        w = w + v
        loss = float(np.mean((a @ w - b) ** 2))
        yield LearnStep(step=t, total=steps, loss=loss, kernel=w.reshape(f, f).copy(),
                        grad=grad.reshape(f, f))


# ---------------------------------------------------------------------------
# What the lab's page shows: partial results, window coverage, pictures of maps
# ---------------------------------------------------------------------------


def outputs_so_far(steps: Sequence[ConvStep | PoolStep], upto: int) -> np.ndarray:
    """The output grid after the first ``upto`` windows of ``steps`` (the others NaN).

    ``steps``: all steps of one ``conv2d_steps`` or ``pool2d_steps`` run, in order.
    """
    steps = list(steps)
    if not steps:
        raise ValueError("Need at least one window step.")
    rows, cols = (v + 1 for v in steps[-1].out_pos)
    out = np.full((rows, cols), np.nan)
    for step in steps[: max(0, int(upto))]:
        out[step.out_pos] = step.value
    return out


def channel_sums(step: ConvStep) -> np.ndarray:
    """The products of one window of a volume summed per input channel (they add up to
    ``step.value``); a 2-D step gives one sum."""
    prod = np.asarray(step.products, dtype=float)
    return prod.sum(axis=(0, 1)) if prod.ndim == 3 else np.array([prod.sum()])


#: ``window_coverage`` codes: a padding cell some window covers, a cell no window covers,
#: an input cell some window covers.
PADDING_SEEN, NEVER_SEEN, INPUT_SEEN = 0, 1, 2


def window_coverage(n: int, f: int, p: int = 0, s: int = 1) -> np.ndarray:
    """Which cells of the padded (n + 2p) x (n + 2p) input the f x f windows at stride s cover.

    Codes: ``PADDING_SEEN`` (0), ``NEVER_SEEN`` (1: left over by the floor in
    ``output_size``), ``INPUT_SEEN`` (2).
    """
    pos = window_positions(n, f, p, s)
    size = n + 2 * p
    is_input = np.zeros((size, size), dtype=bool)
    is_input[p : p + n, p : p + n] = True
    used = np.zeros((size, size), dtype=bool)
    for r in pos:
        for c in pos:
            used[r : r + f, c : c + f] = True
    return np.where(~used, NEVER_SEEN, np.where(is_input, INPUT_SEEN, PADDING_SEEN)).astype(np.int8)


def percentile_scale(values, q: float = 98.0) -> float:
    """The q-th percentile of |values|, the value a picture of them shows at full strength
    (1.0 when that is 0, so a flat map does not divide by zero)."""
    v = np.abs(np.asarray(values))
    if v.size == 0:
        return 1.0
    return float(np.percentile(v, q)) or 1.0


def magnitude_to_gray(values, scale: float) -> np.ndarray:
    """|values| as grey uint8: 0 black, ``scale`` and above white."""
    if not scale > 0:
        raise ValueError(f"The scale must be positive; got {scale}.")
    return np.clip(np.abs(np.asarray(values)) / scale * 255, 0, 255).astype(np.uint8)


def to_picture(values) -> np.ndarray:
    """A filtered image back to uint8 pixels (rounded, clipped to 0..255)."""
    return np.clip(np.asarray(values) + 0.5, 0, 255).astype(np.uint8)


def enlarge(values, factor: int) -> np.ndarray:
    """Each cell of a 2-D (or H x W x C) map as a factor x factor block (nearest neighbour),
    so a pooled map can be drawn at the size of its input."""
    factor = _int("factor", factor, N_("The enlargement factor"))
    if factor < 1:
        raise ValueError(f"The enlargement factor must be at least 1; got {factor}.")
    a = np.asarray(values)
    return np.repeat(np.repeat(a, factor, axis=0), factor, axis=1)


@dataclass(frozen=True)
class OneByOneExample:
    """A random volume through 1x1 filters, and one pixel's dot product spelled out."""

    x: np.ndarray  #: size x size x channels input
    w: np.ndarray  #: 1 x 1 x channels x k filters
    out: np.ndarray  #: conv2d(x, w): size x size x k
    pixel: np.ndarray  #: 3 x channels: inputs at pixel (0, 0), weights of filter 1, products


def one_by_one_example(k: int, channels: int = 32, size: int = 6, seed: int = 0) -> OneByOneExample:
    """Random integers (inputs -3..3, weights -2..2) through ``k`` filters of 1x1xchannels."""
    if _int("k", k, N_("The number of filters")) < 1:
        raise ValueError(_("Need at least one filter; got k={k}.", k=k))
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, (size, size, channels)).astype(float)
    w = rng.integers(-2, 3, (1, 1, channels, k)).astype(float)
    pixel = np.stack([x[0, 0], w[0, 0, :, 0], x[0, 0] * w[0, 0, :, 0]])
    return OneByOneExample(x, w, conv2d(x, w), pixel)
