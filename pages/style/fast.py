"""Style › Fast style: one forward pass of a small network trained once per style, on pictures
and the webcam; and training your own, small, on this machine."""
from __future__ import annotations

import time

import streamlit as st

from core import images
from core import style as S
from dashboard import jobs
from dashboard.cache import get_model
from dashboard.live import live_view
from dashboard.widgets import download_png, image_input

from .common import Style, style_picker


def _fast_model(name: str) -> S.FastStyleModel:
    """A bundled fast-style network from the shared model cache (zoo "fast-style-<name>")."""
    return get_model(f"fast-style-{name}").model


def render(s: Style) -> None:
    st.write(
        "Gatys' method runs hundreds of forward and backward passes per picture. Fast style "
        "transfer (notes 001/003) trains a small image-to-image network **once per style** with "
        "the same content and style losses; afterwards a single forward pass stylises any "
        "picture — fast enough for live video.")
    bundled = S.bundled_fast_styles()
    trained = st.session_state.get("st-own-models", {})
    choices = list(bundled) + [f"{n} (yours)" for n in trained]
    if not choices:
        st.warning("No fast-style models are bundled yet: run `make assets` "
                   "(scripts/make_style_assets.py), or train one below.")
    else:
        _stylise(s, bundled, trained, choices)
    with st.expander("Train your own fast-style model (small, on this machine)"):
        _train(s, trained)


def _stylise(s: Style, bundled: dict, trained: dict, choices: list[str]) -> None:
    f1, f2 = st.columns([1, 2], gap="large")
    with f1:
        pick = st.selectbox("Model", choices, key="st-fast-model",
                            index=choices.index("starry_night") if "starry_night" in choices else 0,
                            format_func=lambda n: n.replace("_", " ").title())
        if pick in bundled:
            model = _fast_model(pick)
        else:
            model = trained[pick.removesuffix(" (yours)")]
        card = model.card
        st.caption(f"{S.count_params(model.net):,} parameters · trained {card.get('steps', '?')} "
                   f"steps × {card.get('batch', '?')} crops of {card.get('size', '?')} px on "
                   f"{card.get('n_content', '?')} photos, style `{card.get('style_image', '?')}`, "
                   f"loss network {card.get('loss_network', '?')}")
        strength = st.slider("Strength", 0.0, 1.0, 1.0, step=0.05, key="st-fast-strength",
                             help="Blend of the stylised picture with the input.")
        fside = st.select_slider("Processing size (px)", [256, 320, 480, 640, 960], value=480,
                                 key="st-fast-side")
        fimg = image_input("st-fast-img", default="astronaut", max_side=1024)
    with f2:
        if fimg is not None:
            S.fast_style_frame(fimg, model, max_side=fside, strength=strength, threads=s.threads)
            t0 = time.perf_counter()       # the second call: what every video frame costs
            out = S.fast_style_frame(fimg, model, max_side=fside, strength=strength,
                                     threads=s.threads)
            ms = (time.perf_counter() - t0) * 1000
            a, b = st.columns(2)
            a.image(images.resize_max(fimg, fside), caption="Input", width="stretch")
            b.image(out, caption=f"One forward pass: {ms:.0f} ms ≈ {1000 / ms:.1f} frames/s "
                                 f"at {fside} px", width="stretch")
            download_png(out, f"fast-style-{model.name}.png", key="st-fast-png")
    st.subheader("Live: webcam")
    if st.toggle("Webcam live mode", key="st-fast-live-on",
                 help="Streams your webcam through the same frame function, fast_style_frame."):
        live_view("st-fast-live", S.fast_style_frame,
                  {"model": model, "strength": strength, "threads": s.threads},
                  default_side=320, default_fps=10)


def _train(s: Style, trained: dict) -> None:
    st.write("The same training as `cnnlab train-style STYLE --content-dir DIR` "
             "(`core.style.train_style_main`), small enough to watch: random crops of the "
             "bundled sample photos.")
    own_style = style_picker("st-own", default="swirls")
    o1, o2 = st.columns(2)
    own_steps = o1.slider("Training steps", 20, 600, 150, step=10, key="st-own-steps")
    own_size = o2.select_slider("Crop size (px)", [96, 128, 160, 192], value=128, key="st-own-size")
    if st.button("Train", icon=":material/model_training:", key="st-own-go",
                 disabled=own_style is None):
        contents = [images.load_sample(n, max_side=384) for n in images.samples()]
        it = S.train_fast_style(own_style, contents, s.lm, steps=own_steps, size=own_size,
                                batch=2, preview_every=10,
                                preview=images.load_sample("chelsea", max_side=256),
                                threads=s.threads)
        last = jobs.follow(it, "st-own-run", image_caption="the network on a held-out photo",
                           image_width=320, every=5)
        if last is not None:
            name = f"custom {len(trained) + 1}"
            own = dict(trained)
            own[name] = S.FastStyleModel(name, last.info["net"],
                                         {"steps": own_steps, "batch": 2, "size": own_size,
                                          "n_content": len(contents), "style_image": "yours",
                                          "loss_network": s.lm.title})
            st.session_state["st-own-models"] = own
            st.success(f"Trained '{name}' in {last.info['seconds']:.0f} s; pick "
                       f"'{name} (yours)' above.")
