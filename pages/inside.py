"""Inside the network: placeholder for the visualization lab, with a working classifier check."""
import streamlit as st

from dashboard.cache import model_or_error, provenance_badge
from dashboard.stub import coming_soon
from dashboard.widgets import image_input

coming_soon("inside", [
    "First-layer filters and feature maps of VGG-16 (block1_conv1 … block5_conv3)",
    "Maximally activating patches for a chosen channel",
    "Saliency by occlusion, vanilla gradient, guided backprop and Grad-CAM",
    "Class visualization by gradient ascent with L2, jitter, blur and total-variation regularizers",
    "Feature inversion, nearest neighbours and t-SNE of the last layer",
    "Adversarial and fooling images",
])

st.subheader("Already working: what does the ImageNet model say?")
st.write("The model every visualization here will open up, run on your picture: the five classes "
         "it finds most likely, with their softmax probabilities.")
image = image_input("inside-classify", default="chelsea", max_side=1024)
if image is not None:
    left, right = st.columns([1, 1])
    left.image(image, width="stretch")
    with right:
        if st.button("Classify", type="primary", key="inside-classify-go"):
            lm = model_or_error("imagenet")
            if lm is not None:
                provenance_badge(lm)
                top = lm.classify(image, topk=5)
                st.dataframe(
                    {"class": [f"{i} {name}" for i, name, _ in top],
                     "probability": [p for *_, p in top]},
                    column_config={"probability": st.column_config.ProgressColumn(
                        "probability", min_value=0.0, max_value=1.0, format="%.3f")},
                    hide_index=True, width="stretch")
        else:
            st.caption("Press **Classify** to load the model (once) and run it.")

st.subheader("Live: the classifier on your webcam")
st.write("Every frame goes through `core.frames.classify_frame`, the same function a snapshot uses; "
         "the five-class panel is written onto the frame.")
if st.toggle("Live mode", key="inside-live", help="Loads the model and shows the webcam stream."):
    lm = model_or_error("imagenet")
    if lm is not None:
        from core.frames import classify_frame
        from dashboard.live import live_view

        provenance_badge(lm)
        live_view("inside-live-view", classify_frame, {"model": lm, "topk": 3}, default_fps=10)
