"""One picture, one prediction (issue 15, part 2): classify, the saliency target, occlusion,
"Cover it" and the adversarial "Before" all ask the model about the same pixels."""
from __future__ import annotations

import numpy as np
import pytest

from core import images
from core.vis import attribution as T
from core.vis import optimise as O

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("sample", ["chelsea", "coffee"])
def test_every_method_sees_the_same_picture_and_gives_the_same_top_class(lm, sample):
    picture = images.load_sample(sample, max_side=1024)
    seen = lm.prepare(picture)
    assert seen.shape == (224, 224, 3) and seen.dtype == np.uint8
    classify = lm.classify(picture, topk=5)                      # "What the model says"
    top = T.top_classes(lm, seen, 5)                             # saliency's default target
    assert [k for k, *_ in classify] == [k for k, *_ in top]
    assert np.allclose([p for *_, p in classify], [p for *_, p in top], atol=2e-3)
    cls, p1 = top[0][0], top[0][2]
    # occlusion's "before" and Cover it, on the same view
    covered, before, after, target = T.occlude(lm, seen, (150, 40, 200, 90), None)
    assert target == cls and abs(before - p1) < 2e-3
    # the metric and the table under it agree: both are about exactly the covered pixels
    table = dict((k, p) for k, _, p in T.top_classes(lm, covered, 1000))
    assert abs(table[cls] - after) < 2e-3
    # adversarial "Before"
    adv = O.adversarial(lm, seen, None, eps=2 / 255, steps=1)
    assert adv.before[0][0] == cls and abs(adv.before[0][2] - p1) < 2e-3


def test_prepare_follows_the_models_own_transforms(lm):
    tf = lm.transforms
    assert (tf.resize, tf.crop) == (256, 224)
    wide = np.zeros((300, 600, 3), np.uint8)
    wide[:, 300:] = 255                                          # right half white
    seen = lm.prepare(wide)
    # shorter side 300 → 256: the picture becomes 512×256, the centre 224 columns straddle the edge
    assert seen.shape == (224, 224, 3)
    assert seen[:, :100].max() < 10 and seen[:, 124:].min() > 245
    assert "224×224 centre crop" in lm.input_note and "256" in lm.input_note


def test_the_inside_page_gives_one_prediction_in_every_tab():
    from tests.pageapp import page_app

    at = page_app("inside", default_timeout=180).run()
    at.button(key="inside-classify-go").click().run()
    table = at.dataframe[0].value
    top_class = int(table["class"].iloc[0].split()[0])
    top_p = float(table["probability"].iloc[0])
    at.session_state["inside-tab"] = "Saliency"
    at.run()
    target = [s for s in at.selectbox if (s.key or "").startswith("inside-sal-target")][0]
    assert target.value == top_class
    at.button(key="inside-occ-go").click().run()
    metric = at.metric[0]
    cover_table = at.dataframe[0].value
    shown = {int(c.split()[0]): p for c, p in zip(cover_table["class"], cover_table["probability"])}
    if top_class in shown:   # the metric and the table under it agree
        assert abs(shown[top_class] - float(metric.value)) < 2e-3
    at.session_state["inside-tab"] = "Adversarial & fooling"
    at.run()
    at.button(key="inside-adv-go").click().run(timeout=180)
    before_table = at.dataframe[0].value
    assert int(before_table["class"].iloc[0].split()[0]) == top_class
    assert abs(float(before_table["probability"].iloc[0]) - top_p) < 2e-3
    assert not at.exception
