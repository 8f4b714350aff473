"""`i2i serve`: an HTTP service for translation and fast style, with a small web page (torch-free).

The service is FastAPI on uvicorn. Models are loaded once into a :class:`~i2i.serve.pool.ModelPool` and
shared by every request; inference runs on a bounded worker pool with a bounded queue
(:class:`~i2i.serve.work.WorkPool`), so load beyond capacity is refused with 503 + Retry-After instead
of growing memory. Nothing here imports torch (a test checks the server process).

Modules: ``settings`` (the frozen configuration), ``pool`` (loaded models by name and direction),
``work`` (worker pool, admission, Retry-After from the admitted work), ``limits`` (HTTP errors; body
guard: size, minimum rate, deadline, byte budget counted as bytes arrive), ``guard`` (connection level:
request-head deadline, connection cap with JSON 503s up to a hard limit), ``auth`` (optional bearer
token, Host check), ``origin`` (cross-site requests to tokenless servers), ``headers`` (security headers,
header-safe text), ``memory`` (per-request memory plan, tiling), ``allocator`` (giving memory back after
jobs), ``imaging`` (request bytes -> model -> response bytes, the same steps as ``i2i translate``), ``app``
(the FastAPI app factory), ``run`` (uvicorn), ``access_log`` (one line per request), ``command`` (the
``i2i serve`` command, also ``python -m i2i.serve``).
"""

from i2i.serve.settings import ServeSettings

__all__ = ["ServeSettings"]
