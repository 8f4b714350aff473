"""History of generated images for the discriminators (Shrivastava et al. 2017, used by CycleGAN §4).

Training D on a buffer of past fakes rather than only the latest ones damps oscillation. The buffer holds
up to ``capacity`` images. Until it is full every new fake is stored and returned; afterwards each new
fake, with probability 1/2, is swapped with a random stored one (the stored one is returned and the new
one kept), and otherwise is returned as is.
"""

from __future__ import annotations

import torch


class ImagePool:
    """A buffer of past generator outputs, one image (C, H, W) per slot.

    ``query(images)`` takes a batch (N, C, H, W) and returns a batch of the same shape, detached from the
    graph (the discriminator must never push gradients into the generator through the pool). With
    ``capacity == 0`` it returns the input, detached. Randomness comes from ``generator`` (a
    ``torch.Generator`` on CPU) so that a resumed run replays the same choices.
    """

    def __init__(self, capacity: int = 50, generator: torch.Generator | None = None) -> None:
        if capacity < 0:
            raise ValueError(f"capacity must be >= 0, got {capacity}")
        self.capacity = capacity
        self.images: list[torch.Tensor] = []
        self.generator = generator

    def _rand(self) -> float:
        return torch.rand((), generator=self.generator).item()

    def _randint(self, high: int) -> int:
        return int(torch.randint(high, (), generator=self.generator).item())

    def query(self, images: torch.Tensor) -> torch.Tensor:
        images = images.detach()
        if self.capacity == 0:
            return images
        out = []
        for image in images:
            image = image.unsqueeze(0)
            if len(self.images) < self.capacity:
                self.images.append(image.clone())
                out.append(image)
            elif self._rand() > 0.5:
                slot = self._randint(self.capacity)
                out.append(self.images[slot].clone())
                self.images[slot] = image.clone()
            else:
                out.append(image)
        return torch.cat(out, dim=0)

    def state_dict(self) -> dict[str, object]:
        """Stored images (for exact resume)."""
        return {"capacity": self.capacity, "images": [t.cpu() for t in self.images]}

    def load_state_dict(self, state: dict[str, object], device: torch.device | str = "cpu") -> None:
        self.capacity = int(state["capacity"])  # type: ignore[arg-type]
        self.images = [t.to(device) for t in state["images"]]  # type: ignore[union-attr]
