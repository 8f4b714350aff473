"""The loaded models, by name and direction, shared by every request.

Each ``--models`` item becomes one onnxruntime session, loaded once at start-up. A registry name is
served under that name (``NAME:BtoA`` serves NAME's partner under NAME, told apart by direction); an .onnx
path is served under the name in the model's own metadata (else the file's stem), so a CycleGAN pair
exported as two files shares one name. Without ``--models`` every shipped and user model is served under
its registry name. Sessions are thread-safe, so worker threads share them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from i2i.errors import I2IError
from i2i.modelfile import ModelInfo
from i2i.serve.limits import ServeError
from i2i.tasks import DIRECTIONS, find
from i2i.tasks.registry import TRANSLATE


class Session(Protocol):
    """What the service needs of a loaded model (a :class:`~i2i.runtime.TranslatorSession` is one)."""

    info: ModelInfo

    def __call__(self, batch: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class ModelEntry:
    """One served model."""

    name: str
    session: Session
    source: str  # the --models item it came from
    provider: str = "cpu"

    @property
    def info(self) -> ModelInfo:
        return self.session.info

    @property
    def direction(self) -> str | None:
        return self.info.direction

    @property
    def kind(self) -> str:
        """The endpoint that runs it, as its task declares (``stylize`` for fast style, else
        ``translate``)."""
        spec = find(self.info.task)
        return spec.endpoint if spec else TRANSLATE

    def describe(self) -> dict[str, Any]:
        """JSON-ready metadata for ``GET /v1/models``."""
        info = self.info
        return {
            "name": self.name,
            "direction": info.direction,
            "task": info.task,
            "endpoint": f"/v1/{self.kind}",
            "arch": info.arch,
            "domains": list(info.domains) if info.domains else None,
            "precision": info.precision,
            "size_multiple": info.size_multiple,
            "in_channels": info.io.in_channels,
            "out_channels": info.io.out_channels,
            "provider": self.provider,
            "file": Path(self.source).name,
        }


def load_entry(
    spec: str,
    device: str = "auto",
    threads: int | None = None,
    runtime: str = "auto",
    precision: str = "auto",
) -> ModelEntry:
    """One ``--models`` item loaded: ``NAME[:DIRECTION]`` (served as NAME) or an .onnx path (served under
    its metadata name), through the runtime and precision chosen as for ``i2i translate``."""
    from i2i.runtime import resolve_model
    from i2i.runtime.engine import open_session
    from i2i.runtime.resolve import is_model_path

    name, direction = split_spec(spec.strip())
    path = resolve_model(name, direction)
    session = open_session(
        path, runtime=runtime, precision=precision, device=device, threads=threads, shrink_arena=True
    )
    info = session.info
    if direction and info.direction and direction != info.direction:
        raise I2IError(f"{session.path}: translates {info.direction}, not {direction}")
    label = (info.name or session.path.stem) if is_model_path(name) else name
    return ModelEntry(label, session, str(session.path), session.provider)


def split_spec(spec: str) -> tuple[str, str | None]:
    """``NAME:BtoA`` -> (NAME, BtoA); anything else -> (spec, None) (paths may contain colons)."""
    head, sep, tail = spec.rpartition(":")
    if sep and tail in DIRECTIONS and head:
        return head, tail
    return spec, None


class ModelPool:
    """Models by (name, direction); raises on a duplicate pair."""

    def __init__(self, entries: list[ModelEntry]) -> None:
        if not entries:
            raise I2IError("no models to serve: pass --models NAME|FILE.onnx[,...]")
        self._entries: dict[tuple[str, str | None], ModelEntry] = {}
        for entry in entries:
            key = (entry.name, entry.direction)
            if key in self._entries:
                raise I2IError(
                    f"two models named {entry.name!r} ({entry.direction or 'no direction'}): "
                    f"{self._entries[key].source} and {entry.source}"
                )
            self._entries[key] = entry

    @classmethod
    def load(
        cls,
        specs: tuple[str, ...],
        device: str = "auto",
        threads: int | None = None,
        runtime: str = "auto",
        precision: str = "auto",
    ) -> ModelPool:
        """Resolve and load every ``--models`` item once (I2IError naming the item that fails).

        ``runtime``/``precision``: as for ``i2i translate`` (:func:`i2i.runtime.engine.open_session`)."""
        return cls([load_entry(spec, device, threads, runtime, precision) for spec in specs])

    @classmethod
    def load_registry(
        cls, device: str = "auto", threads: int | None = None, runtime: str = "auto", precision: str = "auto"
    ) -> tuple[ModelPool, list[str]]:
        """Every shipped and user model under its registry name, and one line per model that could not be
        loaded (skipped, so one broken user model does not stop the service).

        Raises:
            I2IError: no registered model could be loaded.
        """
        from i2i.zoo.store import load_zoo

        names = load_zoo().names()
        entries, skipped = [], []
        for name in names:
            try:
                entries.append(load_entry(name, device, threads, runtime, precision))
            except I2IError as err:
                skipped.append(f"{name}: {err}")
        if not entries:
            reason = "; ".join(skipped) if skipped else "no shipped or user models are installed"
            raise I2IError(f"no models to serve ({reason}): pass --models NAME|FILE.onnx[,...]")
        return cls(entries), skipped

    def __len__(self) -> int:
        return len(self._entries)

    def entries(self) -> list[ModelEntry]:
        """Every model, sorted by name then direction."""
        return sorted(self._entries.values(), key=lambda e: (e.name, e.direction or ""))

    def get(self, name: str, direction: str | None, kind: str) -> ModelEntry:
        """The model called ``name`` (``direction`` needed only when it has two) for endpoint ``kind``.

        Raises:
            ServeError: 404 unknown name or direction; 400 ambiguous direction or wrong endpoint.
        """
        matches = [e for (n, _), e in self._entries.items() if n == name]
        if not matches:
            known = ", ".join(sorted({e.name for e in self._entries.values()}))
            raise ServeError(404, f"unknown model {name!r}; this server has: {known}")
        if direction is not None:
            matches = [e for e in matches if e.direction in (direction, None)]
            if not matches:
                raise ServeError(404, f"model {name!r} has no direction {direction}")
        if len(matches) > 1:
            options = ", ".join(sorted(e.direction or "-" for e in matches))
            raise ServeError(400, f"model {name!r} has directions {options}: choose one with direction=")
        entry = matches[0]
        if entry.kind != kind:
            raise ServeError(400, f"model {name!r} is a {entry.info.task} model: POST it to /v1/{entry.kind}")
        return entry
