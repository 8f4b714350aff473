"""Torch-free inference for i2i exports: onnxruntime and OpenVINO sessions behind one interface, the
runtime/precision choice and its quality gate (:mod:`.engine`, :mod:`.gate`), providers, tiling, the
translate pipeline.

Nothing under ``i2i.runtime`` imports torch (a test enforces it), so ``i2i translate`` starts fast and runs
where only onnxruntime (or OpenVINO), numpy and Pillow are installed. The runtimes themselves are imported
when a session is made. Tensors at this boundary are float32 NCHW in [0, 1].
"""

from i2i.runtime.engine import PRECISIONS, RUNTIMES, describe_session, open_session
from i2i.runtime.inputs import FORMATS, Job, Problem, Source, collect_sources, plan_jobs
from i2i.runtime.metadata import ModelInfo, model_info_from_metadata
from i2i.runtime.openvino_session import OpenVINOSession
from i2i.runtime.pipeline import Summary, TranslateOptions, model_input, translate_jobs
from i2i.runtime.providers import DEVICES
from i2i.runtime.resolve import resolve_model, resolve_named_model
from i2i.runtime.session import TranslatorSession
from i2i.runtime.tiling import translate_tiled, translate_whole

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
