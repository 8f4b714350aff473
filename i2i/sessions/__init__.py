"""Running one i2i ONNX file (torch-free): an onnxruntime session (:mod:`.onnxruntime_session`, with the
execution providers of :mod:`.providers`) or an OpenVINO one (:mod:`.openvino_session`), both taking and
returning float32 NCHW batches in [0, 1].

This layer knows model files (:mod:`i2i.modelfile`) but no model names, precision policy or pipelines:
the model zoo (:mod:`i2i.zoo`) uses it to check a file runs before registering it, the exporter to verify
an export, and :mod:`i2i.runtime` builds the translate pipeline and the runtime/precision choice on it.
The runtimes themselves are imported when a session is made.
"""

from i2i.sessions.onnxruntime_session import TranslatorSession
from i2i.sessions.openvino_session import OpenVINOSession, openvino_available
from i2i.sessions.providers import DEVICES

__all__ = ["DEVICES", "OpenVINOSession", "TranslatorSession", "openvino_available"]
