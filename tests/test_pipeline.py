import pickle

import numpy as np

from classifier.pipeline import DEFAULT_PARAMS, build_pipeline

TEXTS = [
    "全区开展全员核酸检测。",
    "密接人员一律集中隔离。",
    "保障生活物资供应充足。",
    "入境人员实行闭环管理。",
    "压实四方责任，严肃追责问责。",
    "今年粮食产量稳中有升。",
] * 3
Y = np.array([[1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1], [0] * 5] * 3)


def test_unfitted_pipeline_holds_params_only():
    pipeline = build_pipeline(C=1.5)
    assert pipeline.named_steps["classify"].estimator.C == 1.5
    assert not hasattr(pipeline.named_steps["classify"], "estimators_")
    assert DEFAULT_PARAMS["C"] != 1.5


def test_fitted_pipeline_pickles_and_is_deterministic():
    first = build_pipeline(min_df=1).fit(TEXTS, Y)
    second = pickle.loads(pickle.dumps(build_pipeline(min_df=1).fit(TEXTS, Y)))
    probe = ["对密接人员开展核酸检测。", "畅通物资运输绿色通道。"]
    assert np.array_equal(first.predict_proba(probe), second.predict_proba(probe))
    assert first.predict_proba(probe).shape == (2, 5)
