"""The service tests' tiny models, reused by the security tests."""

from tests.serve.conftest import exported_model, models, pool  # noqa: F401  (fixtures)
