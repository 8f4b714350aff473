"""Named models: the shipped weights registry, per-user models, official-checkpoint catalog (torch-free).

This layer sits between the sessions and the runtime: it imports the core (:mod:`i2i.modelfile`,
:mod:`i2i.tasks`) and :mod:`i2i.sessions` (a file must run once before it is registered), never
:mod:`i2i.runtime`, which resolves ``--model NAME`` through it.

``resolve_path(name, direction)`` turns a model name into a verified ONNX file; the runtime's
``--model NAME`` goes through it. Module map: :mod:`.entry` (schema), :mod:`.store` (reading both
registries, resolution), :mod:`.verify` (cached sha256), :mod:`.manage` (registering models),
:mod:`.official` (the reference authors' pretrained generators), :mod:`.paths` (folders and env overrides).
Exporting checkpoints into the zoo and importing reference checkpoints (torch) is
:mod:`i2i.export.importer`.
"""

from i2i.zoo.entry import ModelEntry, Provenance
from i2i.zoo.paths import samples_dir, shipped_registry_path, user_models_dir, weights_dir
from i2i.zoo.store import Zoo, load_zoo, resolve_entry, resolve_path

__all__ = [
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
