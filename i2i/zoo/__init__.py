"""Named models: the shipped weights registry, per-user models, official-checkpoint catalog (torch-free).

``resolve_path(name, direction)`` turns a model name into a verified ONNX file; the runtime's
``--model NAME`` goes through it. Module map: :mod:`.entry` (schema), :mod:`.store` (reading both
registries, resolution), :mod:`.verify` (cached sha256), :mod:`.manage` (registering models),
:mod:`.official` (the reference authors' pretrained generators), :mod:`.paths` (folders and env overrides).
The torch side of importing reference checkpoints lives in :mod:`i2i.zoo.importer`.
"""

from i2i.zoo.entry import TASKS, ModelEntry, Provenance
from i2i.zoo.paths import samples_dir, shipped_registry_path, user_models_dir, weights_dir
from i2i.zoo.store import Zoo, load_zoo, resolve_entry, resolve_path

__all__ = [
    "TASKS",
    "ModelEntry",
    "Provenance",
    "Zoo",
    "load_zoo",
    "resolve_entry",
    "resolve_path",
    "samples_dir",
    "shipped_registry_path",
    "user_models_dir",
    "weights_dir",
]
