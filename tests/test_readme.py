"""The README's "Compose your own loss" example runs as written."""

import os
import re

import numpy as np

README = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")


def test_compose_your_own_loss_example_runs():
    text = open(README).read()
    section = text[text.index("## Compose your own loss"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    metrics = namespace["metrics"]
    assert set(metrics) == {"d_loss", "mine", "d_total", "g_loss", "real_logit", "fake_logit"}
    assert int(namespace["train_state"].step) == 1
    np.testing.assert_allclose(metrics["d_total"], metrics["d_loss"] + 10.0 * metrics["mine"], rtol=1e-5)
