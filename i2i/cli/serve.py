"""`i2i serve`: the translation and style service (the command itself is :mod:`i2i.serve.command`, so
that ``python -m i2i.serve`` runs it without the CLI package)."""

from __future__ import annotations

from i2i.serve.command import read_token_file, register, serve_command

__all__ = ["read_token_file", "register", "serve_command"]
