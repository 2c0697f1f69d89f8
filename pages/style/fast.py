"""Style › Fast style: one forward pass of a small network trained once per style, on pictures
and the webcam; the checkerboard lesson; and training your own, small, on this machine."""
from __future__ import annotations

import hashlib

import streamlit as st

from core import images
from core import style as S
from dashboard import jobs
from dashboard.cache import get_model
from dashboard.i18n import _
from dashboard.live import live_view
from dashboard.widgets import download_png, image_input

from . import checkerboard
from .common import Style, style_picker

REPEATS = 5          # timed forward passes behind the frames/s figure (their median)
OWN_BETA = 3e3       # style weight of "train your own": 150 small steps need a strong pull


def _fast_model(name: str) -> S.FastStyleModel:
    """A bundled fast-style network from the shared model cache (zoo "fast-style-<name>")."""
    return get_model(f"fast-style-{name}").model


def render(s: Style) -> None:
    st.write(_(
        "Gatys' method runs hundreds of forward and backward passes per picture. Fast style "
        "transfer (notes 001/003) trains a small image-to-image network **once per style** with "
        "the same content and style losses; afterwards a single forward pass stylises any "
        "picture — fast enough for live video."))
    bundled = S.bundled_fast_styles()
    trained = st.session_state.get("st-own-models", {})
    choices = list(bundled) + [f"{n} (yours)" for n in trained]
    if not choices:
        st.warning(_("No fast-style models are bundled yet: run `make assets` "
                     "(scripts/make_style_assets.py), or train one below."))
    else:
        _stylise(s, bundled, trained, choices)
    with st.expander(_("Train your own fast-style model (small, on this machine)")):
        _train(s, trained)


def _label(n: str) -> str:
    if n.endswith(" (yours)"):      # "custom 1 (yours)": the value stays English, shown translated
        return _("{name} (yours)").format(name=_own_name(n.removesuffix(" (yours)")))
    return n.replace("_", " ").title()


def _own_name(name: str) -> str:
    """A trained model's name ("custom 1") in the visitor's language."""
    number = name.removeprefix("custom ")
    return _("custom {number}").format(number=number) if number.isdigit() else name


def _stylise(s: Style, bundled: dict, trained: dict, choices: list[str]) -> None:
    pending = st.session_state.pop("st-fast-next", None)   # a model trained on the last run
    if pending in choices:
        st.session_state["st-fast-model"] = pending
    f1, f2 = st.columns([1, 2], gap="large")
    with f1:
        pick = st.selectbox(_("Model"), choices, key="st-fast-model",
                            index=choices.index("starry_night") if "starry_night" in choices else 0,
                            format_func=_label)
        model = _fast_model(pick) if pick in bundled else trained[pick.removesuffix(" (yours)")]
        card = model.card
        if model.style is not None:
            painting = _label(pick) if pick in bundled else _("your style picture")
            st.image(model.style, caption=_("The style it learnt: {painting}").format(painting=painting),
                     width=200)
        facts = dict(params=f"{S.count_params(model.net):,}", steps=card.get("steps", "?"),
                     batch=card.get("batch", "?"), size=card.get("size", "?"),
                     photos=card.get("n_content", "?"), loss_network=card.get("loss_network", "?"))
        if card.get("held_out"):
            st.caption(_("{params} parameters · trained {steps} steps × {batch} crops of {size} px on "
                         "{photos} photos, loss network {loss_network}; never saw `{held_out}`").format(
                             held_out=card["held_out"], **facts))
        else:
            st.caption(_("{params} parameters · trained {steps} steps × {batch} crops of {size} px on "
                         "{photos} photos, loss network {loss_network}").format(**facts))
        strength = st.slider(_("Strength"), 0.0, 1.0, 1.0, step=0.05, key="st-fast-strength",
                             help=_("Blend of the stylised picture with the input."))
        fside = st.select_slider(_("Processing size (px)"), [256, 320, 480, 640, 960], value=480,
                                 key="st-fast-side")
        fimg = image_input("st-fast-img", default=S.HELD_OUT_SAMPLE, max_side=1024)
    with f2:
        if fimg is not None:
            out, sec, times = _timed(pick, model, fimg, fside, strength, s.threads)
            a, b = st.columns(2)
            a.image(images.resize_max(fimg, fside), caption=_("Input"), width="stretch")
            b.image(out, caption=_("One forward pass: {ms:.0f} ms ≈ {fps:.1f} frames/s "
                                   "at {side} px (median of {n} calls, "
                                   "{lo:.0f}–{hi:.0f} ms)").format(
                        ms=sec * 1000, fps=1 / sec, side=fside, n=len(times),
                        lo=min(times) * 1000, hi=max(times) * 1000),
                    width="stretch")
            download_png(out, f"fast-style-{model.name}.png", key="st-fast-png")
    if fimg is not None:
        checkerboard.lesson(fimg, s.threads)
    st.subheader(_("Live: webcam"))
    if st.toggle(_("Webcam live mode"), key="st-fast-live-on",
                 help=_("Streams your webcam through the same frame function, fast_style_frame.")):
        live_view("st-fast-live", S.fast_style_frame,
                  {"model": model, "strength": strength, "threads": s.threads},
                  default_side=320, default_fps=10)


def _timed(pick: str, model, image, side: int, strength: float, threads):
    """core.style.timed_fast_style, kept per model, picture and settings in this session: any
    other widget's rerun would otherwise repeat the REPEATS + 1 forward passes."""
    key = (pick, id(model.net), hashlib.sha1(image.tobytes()).hexdigest(), image.shape, side, strength)
    kept = st.session_state.get("st-fast-timed")
    if kept is None or kept[0] != key:
        kept = (key, S.timed_fast_style(image, model, REPEATS, max_side=side, strength=strength,
                                        threads=threads))
        st.session_state["st-fast-timed"] = kept
    return kept[1]


def _train(s: Style, trained: dict) -> None:
    st.write(_("The same training as `cnnlab train-style STYLE --content-dir DIR` "
               "(`core.style.train_style_main`), small enough to watch: random crops of the "
               "bundled sample photos except `{sample}`, which the preview shows.").format(
                   sample=S.HELD_OUT_SAMPLE))
    done = st.session_state.pop("st-own-done", None)
    if done:
        name, seconds = done
        st.success(_("Trained '{name}' in {seconds:.0f} s: it is selected above.").format(
            name=_own_name(name), seconds=seconds))
    own_style = style_picker("st-own", default="swirls")
    if own_style is not None:
        st.image(images.resize_max(own_style, 256), caption=_("Style picture"), width=160)
    o1, o2, o3 = st.columns(3)
    own_steps = o1.slider(_("Training steps"), 20, 600, 150, step=10, key="st-own-steps")
    own_size = o2.select_slider(_("Crop size (px)"), [96, 128, 160, 192], value=128, key="st-own-size")
    own_beta = o3.select_slider(_("Style weight β"), [3e2, 1e3, 3e3, 1e4], value=OWN_BETA,
                                key="st-own-beta", format_func=lambda v: f"{v:g}",
                                help=_("Higher: the style's textures take over sooner."))
    if st.button(_("Train"), icon=":material/model_training:", key="st-own-go",
                 disabled=own_style is None):
        contents = S.training_photos(max_side=384)
        it = S.train_fast_style(own_style, contents, s.lm, steps=own_steps, size=own_size,
                                batch=2, beta=own_beta, preview_every=10,
                                preview=images.load_sample(S.HELD_OUT_SAMPLE, max_side=256),
                                threads=s.threads)
        last = jobs.follow(it, "st-own-run", image_width=320, every=5,
                           image_caption=_("the network on `{sample}`, a photo it "
                                           "does not train on").format(sample=S.HELD_OUT_SAMPLE))
        if last is not None:
            name = f"custom {len(trained) + 1}"
            own = dict(trained)
            own[name] = S.FastStyleModel(
                name, last.info["net"],
                {"steps": own_steps, "batch": 2, "size": own_size, "n_content": len(contents),
                 "style_image": "yours", "loss_network": s.lm.title,
                 "held_out": f"sample:{S.HELD_OUT_SAMPLE}"},
                style=images.resize_max(own_style, S.STYLE_THUMB_SIDE))
            st.session_state["st-own-models"] = own
            st.session_state["st-fast-next"] = f"{name} (yours)"
            st.session_state["st-own-done"] = (name, last.info["seconds"])   # shown after the rerun
            st.rerun()
    stopped = jobs.interrupted("st-own-run")
    if stopped is not None:
        st.info(_("Training stopped at step {step}/{total}; nothing was added. "
                  "Train again to keep a model.").format(step=stopped.step, total=stopped.total))

