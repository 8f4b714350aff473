"""Torch-free inference for i2i exports: the runtime/precision choice and its quality gate (:mod:`.engine`,
:mod:`.gate`), ``--model NAME|FILE`` resolution (:mod:`.resolve`), tiling, the translate pipeline.

Layers: this package builds on :mod:`i2i.sessions` (one onnxruntime or OpenVINO session per file, with its
providers; re-exported here) and on the model zoo (:mod:`i2i.zoo`: names, bundled samples, the sha256
cache); neither imports it back.

Nothing under ``i2i.runtime`` imports torch (a test enforces it), so ``i2i translate`` starts fast and runs
where only onnxruntime (or OpenVINO), numpy and Pillow are installed. The runtimes themselves are imported
when a session is made. Tensors at this boundary are float32 NCHW in [0, 1].
"""

from i2i.modelfile import ModelInfo, model_info_from_metadata
from i2i.runtime.engine import PRECISIONS, RUNTIMES, describe_session, open_session
from i2i.runtime.inputs import FORMATS, Job, Problem, Source, collect_sources, plan_jobs
from i2i.runtime.pipeline import Summary, TranslateOptions, model_input, translate_jobs
from i2i.runtime.resolve import resolve_model, resolve_named_model
from i2i.runtime.tiling import translate_tiled, translate_whole
from i2i.sessions.onnxruntime_session import TranslatorSession
from i2i.sessions.openvino_session import OpenVINOSession
from i2i.sessions.providers import DEVICES

__all__ = [
    "DEVICES",
    "FORMATS",
    "PRECISIONS",
    "RUNTIMES",
    "Job",
    "ModelInfo",
    "OpenVINOSession",
    "Problem",
    "Source",
    "Summary",
    "TranslateOptions",
    "TranslatorSession",
    "collect_sources",
    "describe_session",
    "model_info_from_metadata",
    "model_input",
    "open_session",
    "plan_jobs",
    "resolve_model",
    "resolve_named_model",
    "translate_jobs",
    "translate_tiled",
    "translate_whole",
]
