"""`i2i train` command group (not yet available)."""

from i2i.cli.common import not_yet_available

app = not_yet_available("train")
