"""The FastAPI application: endpoints, error answers, middleware order, the static page.

Endpoints (``/docs`` and ``/openapi.json`` describe them):

- ``GET /health``: liveness and load, never needs the token.
- ``GET /v1/models``: every served model with its metadata (name, direction, task, endpoint, ...).
- ``POST /v1/translate?model=NAME[&direction=AtoB|BtoA][&format=same|png|jpg|webp]``: the image as a
  multipart upload (field ``image``) or as the raw body -> the translated image.
- ``POST /v1/stylize?model=NAME[&format=...]``: the same for fast-style models.
- ``GET /``: the web page.

Errors are JSON ``{"detail": "..."}`` with their status: 400 wrong endpoint/ambiguous direction,
401 token, 403 cross-site request to a tokenless server, 404 unknown model, 408 body too slow or late,
413 body or pixels over the limit (or an image that cannot be decoded within limits), 415 not an image,
422 bad query values, 500 inference failure, 503 busy (with Retry-After), 504 timed out.
"""

from __future__ import annotations

import asyncio
import re
from contextlib import asynccontextmanager
from importlib import resources
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect

from i2i import __version__
from i2i.errors import I2IError
from i2i.serve.allocator import MemoryReleaser
from i2i.serve.auth import BearerAuthMiddleware, HostCheckMiddleware
from i2i.serve.headers import SecurityHeadersMiddleware, header_text
from i2i.serve.imaging import Encoded, image_pixels, translate_bytes
from i2i.serve.limits import BodyGuardMiddleware, ServeError
from i2i.serve.origin import OriginCheckMiddleware
from i2i.serve.pool import ModelPool
from i2i.serve.settings import ServeSettings
from i2i.serve.work import WorkPool

OutputFormat = Literal["same", "png", "jpg", "webp"]

_IMAGE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The image: a multipart upload with a file field `image`, or the raw file as body.",
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"image": {"type": "string", "format": "binary"}},
                    "required": ["image"],
                }
            },
            "image/*": {"schema": {"type": "string", "format": "binary"}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


class ErrorBody(BaseModel):
    """Every error answer."""

    detail: str


class ModelDescription(BaseModel):
    """One served model, as ``GET /v1/models`` lists it."""

    name: str
    direction: str | None
    task: str
    endpoint: str
    arch: str
    domains: list[str] | None
    precision: str
    size_multiple: int
    in_channels: int
    out_channels: int
    provider: str
    file: str


class ModelList(BaseModel):
    models: list[ModelDescription]


class Health(BaseModel):
    status: str
    models: int
    in_flight: int
    capacity: int
    token_required: bool


_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in {
        400: "wrong endpoint for the model, or a direction is needed",
        401: "missing or invalid bearer token",
        403: "cross-site request to a server without a token (see --allow-origin)",
        404: "unknown model or direction",
        408: "request body not received in time",
        413: "body over the size limit, image over the pixel limit, or not decodable within limits",
        415: "not an image, or an image that cannot be decoded",
        503: "busy: every worker and queue slot is taken (see Retry-After)",
        504: "no result within the per-request timeout",
    }.items()
}
_IMAGE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The output image (format: the input's unless `format` says otherwise).",
        "content": {"image/png": {}, "image/jpeg": {}, "image/webp": {}},
    },
    **_ERRORS,
}


def _static_dir():
    return resources.files("i2i.serve") / "static"


async def _read_upload(request: Request) -> tuple[bytes, str | None]:
    """The image bytes of a multipart upload (field ``image`` or ``file``) or of the raw body."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        async with request.form(max_files=1, max_fields=8) as form:
            upload = form.get("image") or form.get("file")
            if not isinstance(upload, UploadFile):
                raise ServeError(415, "multipart upload without a file: send the image in a field 'image'")
            return await upload.read(), upload.filename
    return await request.body(), None


_UNSAFE = re.compile(r"[^\w.-]+", re.ASCII)


def _output_name(filename: str | None, model: str, extension: str) -> str:
    stem = _UNSAFE.sub("_", (filename or "image").rsplit(".", 1)[0])[:80] or "image"
    return f"{stem}.{_UNSAFE.sub('_', model)}.{extension}"


def create_app(settings: ServeSettings, pool: ModelPool, work: WorkPool | None = None) -> FastAPI:
    """The service over already-loaded models (``work``: the worker pool, default from ``settings``)."""
    work = work or WorkPool(settings.workers, settings.queue)
    releaser = MemoryReleaser()

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        yield
        work.shutdown()

    app = FastAPI(
        title="i2i serve",
        version=__version__,
        summary="Image-to-image translation and fast style over HTTP.",
        lifespan=lifespan,
        docs_url=None,  # our own /docs page below: Swagger UI would load its scripts from a CDN
        redoc_url=None,
    )

    @app.exception_handler(ServeError)
    async def _serve_error(_: Request, err: ServeError) -> JSONResponse:
        return JSONResponse({"detail": str(err)}, err.status, headers=err.headers)

    @app.exception_handler(ClientDisconnect)
    async def _gone(_: Request, __: ClientDisconnect) -> Response:
        return Response(status_code=400)  # nobody is left to read it; keeps the log free of tracebacks

    @app.exception_handler(I2IError)
    async def _user_error(_: Request, err: I2IError) -> JSONResponse:
        return JSONResponse({"detail": str(err)}, 400)

    async def run_image(request: Request, kind: str, model: str, direction: str | None, output: str):
        entry = pool.get(model, direction, kind)
        loop = asyncio.get_running_loop()
        start = loop.time()
        data, filename = await _read_upload(request)  # the body guard bounds its size, rate and time
        # header only, off the event loop: broken images and bombs are refused before they hold a slot
        pixels = await asyncio.to_thread(image_pixels, data, settings.max_pixels)
        ticket = work.admit(f"{entry.name}:{entry.direction}", pixels)  # a slow upload held no slot

        def job() -> Encoded:  # on a worker thread
            with releaser.job(entry.session, pixels):
                limits = (settings.quality, settings.max_pixels, settings.memory_share)
                return translate_bytes(entry.session, data, output, *limits)

        try:
            remaining = settings.timeout - (loop.time() - start)
            try:
                encoded = await work.run(ticket, remaining, job, limit=settings.timeout)
            except (ServeError, I2IError):
                raise
            except Exception as err:  # onnxruntime failures (e.g. out of memory): one clear line
                reason = " ".join(str(err).split())[:300] or type(err).__name__
                raise ServeError(500, f"inference failed: {reason}") from None
        finally:
            if not ticket.submitted:
                ticket.release()
        seconds = loop.time() - start
        name = _output_name(filename, entry.name, encoded.extension)
        headers = {
            "Content-Disposition": f'inline; filename="{name}"',
            "X-I2I-Model": header_text(entry.name),
            "X-I2I-Seconds": f"{seconds:.3f}",
        }
        if entry.direction:
            headers["X-I2I-Direction"] = entry.direction
        return Response(encoded.data, media_type=encoded.media_type, headers=headers)

    @app.get("/health", response_model=Health, tags=["service"])
    async def health() -> Health:
        """Liveness and load; answered without a token."""
        return Health(
            status="ok",
            models=len(pool),
            in_flight=work.admitted,
            capacity=work.capacity,
            token_required=settings.token is not None,
        )

    image_route: dict[str, Any] = {
        "tags": ["images"],
        "response_class": Response,
        "responses": _IMAGE_RESPONSE,
        "openapi_extra": _IMAGE_BODY,
    }

    @app.get("/v1/models", response_model=ModelList, tags=["models"], responses={401: _ERRORS[401]})
    async def list_models() -> ModelList:
        """Every served model with its metadata; ``endpoint`` says where to POST images for it."""
        return ModelList(models=[ModelDescription(**e.describe()) for e in pool.entries()])

    @app.post("/v1/translate", **image_route)
    async def translate(
        request: Request,
        model: Annotated[str, Query(description="Model name, as listed by /v1/models.")],
        direction: Annotated[
            Literal["AtoB", "BtoA"] | None, Query(description="Needed when the name has two directions.")
        ] = None,
        output: Annotated[OutputFormat, Query(alias="format", description="Output format.")] = "same",
    ) -> Response:
        """Translate one image with a pix2pix/CycleGAN model; the output keeps the input's size."""
        return await run_image(request, "translate", model, direction, output)

    @app.post("/v1/stylize", **image_route)
    async def stylize(
        request: Request,
        model: Annotated[str, Query(description="Fast-style model name, as listed by /v1/models.")],
        output: Annotated[OutputFormat, Query(alias="format", description="Output format.")] = "same",
    ) -> Response:
        """Stylize one image with a fast-style model; the output keeps the input's size."""
        return await run_image(request, "stylize", model, None, output)

    page = (_static_dir() / "index.html").read_text(encoding="utf-8")
    docs_page = (_static_dir() / "docs.html").read_text(encoding="utf-8")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index() -> HTMLResponse:
        return HTMLResponse(page)

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    async def docs() -> HTMLResponse:
        """The API reference, rendered in the browser from /openapi.json by /static/docs.js."""
        return HTMLResponse(docs_page)

    app.mount("/static", StaticFiles(directory=str(_static_dir())), name="static")

    # Outermost last: security headers wrap everything, then the Host check and the cross-site check
    # (tokenless servers) or auth, the body guard, and the app.
    app.add_middleware(
        BodyGuardMiddleware,
        max_bytes=settings.max_bytes,
        min_rate=settings.min_upload_rate,
        grace=settings.client_timeout,
        budget=settings.body_budget,
        deadline=settings.timeout,
    )
    if settings.token is not None:
        app.add_middleware(BearerAuthMiddleware, token=settings.token)
    else:
        app.add_middleware(OriginCheckMiddleware, allowed=settings.allowed_origins)
        app.add_middleware(HostCheckMiddleware, allowed=settings.allowed_hosts)
    app.add_middleware(SecurityHeadersMiddleware)
    app.state.work = work
    app.state.pool = pool
    return app
