"""`i2i models`: named models (list, show, add, remove, import, fetch-official, official) and pretrained
backbones (`fetch-backbones`); the maintainers' `ship` is in :mod:`i2i.cli.models_maintainer`. Bodies call
:mod:`i2i.zoo` (torch-free) and, for checkpoints, :mod:`i2i.export.importer`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from i2i.cli import models_maintainer
from i2i.cli.common import InsecureOption, ProgressOption, console, sha256_option, warn

app = typer.Typer(help="Named models and pretrained backbones.", no_args_is_help=True)


@app.command("fetch-backbones")
def fetch_backbones(
    names: Annotated[
        list[str] | None,
        typer.Argument(help="Backbones to fetch (default: all known).", show_default=False),
    ] = None,
) -> None:
    """Download, verify and cache the pretrained feature networks, so later runs work offline."""
    from i2i.errors import I2IError
    from i2i.features.resolver import cache_dir, resolve_weights
    from i2i.features.sources import backbone_sources

    sources = backbone_sources()
    wanted = names or list(sources)
    unknown = [n for n in wanted if n not in sources]
    if unknown:
        raise I2IError(f"unknown backbone(s) {', '.join(unknown)}; valid: {', '.join(sources)}")
    console.print(f"cache: {cache_dir()}")
    failed = []
    for name in wanted:
        try:
            got = resolve_weights(sources[name], retry=True)
        except I2IError as err:
            failed.append(name)
            console.print(f"[red]{name}: unavailable[/] ({err})", soft_wrap=True)
            continue
        console.print(f"[green]{name}[/]: {got.path} ({got.origin})", soft_wrap=True)
    if failed:
        console.print(f"[red]{len(failed)} of {len(wanted)} backbones unavailable:[/] {', '.join(failed)}")
        raise typer.Exit(1)


# ------------------------------------------------------------------------------ named models (weights/)

DirectionOption = Annotated[
    str | None,
    typer.Option(
        "--direction",
        help="AtoB | BtoA (default: from the model / the official catalog).",
        show_default=False,
    ),
]


def _size(path) -> str:
    """``12.3 MB``, or ``missing`` when the file is not there."""
    size = _size_bytes(path)
    return f"{size / 1e6:.1f} MB" if size is not None else "missing"


def _translation(entry) -> str:
    parts = [entry.direction or ""]
    if entry.domains:
        parts.append(f"{entry.domains[0]} -> {entry.domains[1]}")
    return " ".join(p for p in parts if p) or "-"


#: Quality keys `models list` shows (the first present), with their label; else the first number.
HEADLINE_QUALITY = (
    ("KID_ratio", "KID/untranslated {:.3g}"),
    ("FID", "FID {:.3g}"),
    ("LPIPS_vgg", "LPIPS {:.3g}"),
    ("style_left_vs_gatys", "style left {:.2f}x Gatys'"),
    ("style_left_percent", "style left {:.3g}%"),
    ("PSNR_dB", "PSNR {:.3g} dB"),
)
LIST_COLUMNS = ("name", "origin", "task", "direction / domains", "arch", "size", "quality")


def headline_quality(quality: dict) -> str:
    """One figure of a model's quality table, e.g. ``FID 231``; ``-`` when it has none."""
    for key, template in HEADLINE_QUALITY:
        if isinstance(quality.get(key), int | float):
            return template.format(quality[key])
    for key, value in quality.items():
        if isinstance(value, int | float) and not isinstance(value, bool) and key not in ("images",):
            return f"{key} {value:.3g}"
    return "-"


def _size_bytes(path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _list_row(entry) -> dict:
    return {
        "name": entry.name,
        "origin": entry.origin,
        "task": entry.task,
        "direction / domains": _translation(entry),
        "arch": entry.arch,
        "size": _size(entry.path),
        "quality": headline_quality(entry.quality),
    }


def plain_columns(rows: list[dict[str, str]], columns: tuple[str, ...]) -> list[str]:
    """A header and one aligned line per row: never wrapped or truncated, so `| grep NAME` finds the row."""
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns}
    lines = ["  ".join(c.upper().ljust(widths[c]) for c in columns).rstrip()]
    lines += ["  ".join(r[c].ljust(widths[c]) for c in columns).rstrip() for r in rows]
    return lines


@app.command("list")
def list_models(
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON document with every field of every entry.")
    ] = False,
) -> None:
    """Named models, one line each: shipped with i2i and your own (`i2i models add`)."""
    import json

    from i2i.zoo import load_zoo, shipped_registry_path, user_models_dir

    zoo = load_zoo()
    entries = zoo.entries()
    if as_json:
        doc = {
            "shipped_registry": str(shipped_registry_path()),
            "user_models": str(user_models_dir()),
            "models": [
                {
                    "name": e.name,
                    "origin": e.origin,
                    "path": str(e.path),
                    "size_bytes": _size_bytes(e.path),
                    **e.to_dict(),
                }
                for e in entries
            ],
        }
        print(json.dumps(doc, indent=2, default=str))
        return
    if entries:
        for line in plain_columns([_list_row(e) for e in entries], LIST_COLUMNS):
            print(line)
    else:
        print("no named models installed")
    console.print(
        f"shipped registry: {shipped_registry_path()}  user models: {user_models_dir()}  "
        "(licence and provenance: i2i models show NAME)",
        soft_wrap=True,
    )
    for name in zoo.shadowed():
        console.print(f"[yellow]warning:[/] user model {name!r} is hidden by the shipped model of that name")


@app.command("show")
def show_model(name: Annotated[str, typer.Argument(help="Model name.", show_default=False)]) -> None:
    """Everything the registry records about one model (licence, provenance, quality), and whether its file
    passes the sha256 check. Plain `key  value` lines that a pipe or a narrow terminal does not wrap."""
    from i2i.errors import I2IError
    from i2i.zoo import load_zoo
    from i2i.zoo.verify import verify_file

    entry = load_zoo().get(name)
    try:
        verify_file(entry.path, entry.sha256, entry.name)
        status = "ok"
    except I2IError as err:
        status = f"FAILED: {err}"
    rows = [
        ("name", entry.name),
        ("origin", entry.origin),
        ("task", entry.task),
        ("direction", entry.direction or "-"),
        ("domains", " -> ".join(entry.domains) if entry.domains else "-"),
        ("pair", entry.pair or "-"),
        ("arch", f"{entry.arch} {entry.arch_kwargs}" if entry.arch_kwargs else entry.arch),
        ("size multiple", str(entry.size_multiple)),
        ("precision", entry.precision),
        ("licence", entry.licence),
        ("description", entry.description or "-"),
        ("samples", entry.samples or "-"),
        ("file", f"{entry.path} ({_size(entry.path)})"),
        ("checkpoint", str(entry.checkpoint_path) if entry.checkpoint_path else "-"),
        ("sha256", entry.sha256),
        ("verified", status),
        *_int8_rows(entry),
    ]
    rows += [(f"provenance.{k}", str(v)) for k, v in entry.provenance.to_dict().items()]
    rows += [(f"quality.{k}", str(v)) for k, v in entry.quality.items()]
    width = max(len(key) for key, _ in rows)
    for key, value in rows:
        print(f"{key.ljust(width)}  {value}")


def _int8_rows(entry) -> list[tuple[str, str]]:
    """`models show`'s int8 lines: the pinned file, its sha256 check and the gate it recorded."""
    from i2i.errors import I2IError
    from i2i.runtime.int8 import read_record
    from i2i.zoo.verify import verify_int8

    if entry.int8 is None:
        return [("int8", "-")]
    try:
        record = read_record(verify_int8(entry))
    except ImportError:  # no OpenVINO wheel for this platform: the file cannot run here either
        return [("int8", f"{entry.int8_path} (not usable here: OpenVINO is not installed)")]
    except I2IError as err:
        return [("int8", f"{entry.int8_path}"), ("int8.verified", f"FAILED: {err}")]
    return [
        ("int8", f"{entry.int8_path} (+ .bin {_size(entry.base / entry.int8.bin_file)})"),
        ("int8.verified", "ok"),
        ("int8.gate", record.describe()),
        ("int8.made with", f"{record.quantiser}, {record.calibration_images} calibration images"),
    ]


@app.command("add")
def add_model(
    name: Annotated[str, typer.Argument(help="Name to register the model under.", show_default=False)],
    model: Annotated[
        Path, typer.Argument(help="An i2i checkpoint (.pt) or an ONNX export (.onnx).", show_default=False)
    ],
    direction: DirectionOption = None,
    pair: Annotated[
        str | None,
        typer.Option(
            "--pair", help="Pair label shared with the model of the other direction.", show_default=False
        ),
    ] = None,
    task: Annotated[
        str | None, typer.Option("--task", help="Override the header's task.", show_default=False)
    ] = None,
    licence: Annotated[str, typer.Option("--licence", help="Licence of the weights.")] = "unspecified",
    description: Annotated[str, typer.Option("--description", help="One line about the model.")] = "",
    replace: Annotated[bool, typer.Option("--replace", help="Replace your model of the same name.")] = False,
) -> None:
    """Register a model of yours (copied into the per-user models folder; the package is never touched)."""
    fields = {
        "direction": direction,
        "pair": pair,
        "task": task,
        "licence": licence,
        "description": description,
    }
    if model.suffix.lower() == ".onnx":
        from i2i.zoo.manage import add_user_onnx

        entry = add_user_onnx(name, model, replace=replace, **fields)
    else:
        from i2i.export.importer import add_user_checkpoint

        console.print(f"exporting {model} to ONNX (verified against torch) ...")
        entry = add_user_checkpoint(name, model, replace=replace, **fields)
    console.print(f"[green]added[/] {entry.name}: {entry.path} ({entry.task}, {_translation(entry)})")


@app.command("remove")
def remove_model(name: Annotated[str, typer.Argument(help="Your model's name.", show_default=False)]) -> None:
    """Unregister one of your models and delete its files from the user models folder."""
    from i2i.zoo.manage import remove_user

    entry = remove_user(name)
    console.print(f"removed {entry.name} ({entry.path})")


def _import_report(entry) -> None:
    console.print(
        f"[green]imported[/] {entry.name}: {entry.path} (+ checkpoint {entry.checkpoint_path}); "
        f"try: i2i translate -m {entry.name} INPUTS... OUT_DIR",
        soft_wrap=True,
    )


@app.command("import")
def import_model(
    pth: Annotated[
        Path, typer.Argument(help="A generator .pth of the reference implementation.", show_default=False)
    ],
    arch: Annotated[
        str,
        typer.Option(
            "--arch", help="resnet_9blocks | resnet_6blocks | unet_256 | unet_128 ...", show_default=False
        ),
    ],
    name: Annotated[str, typer.Option("--name", help="Name to register it under.", show_default=False)],
    ngf: Annotated[int, typer.Option("--ngf", min=1, help="Generator width (reference --ngf).")] = 64,
    norm: Annotated[
        str | None,
        typer.Option(
            "--norm",
            help="instance | batch (default: instance for resnet, batch for unet).",
            show_default=False,
        ),
    ] = None,
    dropout: Annotated[
        bool | None,
        typer.Option(
            "--dropout/--no-dropout",
            help="Dropout layers (no weights; default as the reference).",
            show_default=False,
        ),
    ] = None,
    task: Annotated[
        str | None,
        typer.Option("--task", help="cyclegan | pix2pix (default from --arch).", show_default=False),
    ] = None,
    direction: DirectionOption = "AtoB",
    pair: Annotated[
        str | None, typer.Option("--pair", help="Pair label (see `models add`).", show_default=False)
    ] = None,
    licence: Annotated[str, typer.Option("--licence", help="Licence of the weights.")] = "unspecified",
    replace: Annotated[bool, typer.Option("--replace", help="Replace your model of the same name.")] = False,
) -> None:
    """Convert an official pretrained generator into an i2i checkpoint + verified ONNX, as a user model."""
    from i2i.export.importer import import_reference

    console.print(f"converting {pth} ({arch}, ngf {ngf}) and exporting to ONNX ...")
    entry = import_reference(
        pth,
        name=name,
        arch=arch,
        ngf=ngf,
        norm=norm,
        dropout=dropout,
        task=task,
        direction=direction,
        pair=pair,
        licence=licence,
        replace=replace,
    )
    _import_report(entry)


@app.command("fetch-official")
def fetch_official_command(
    official: Annotated[
        str,
        typer.Argument(
            help="Published name (apple2orange, horse2zebra, style_monet, map2sat ...).", show_default=False
        ),
    ],
    task: Annotated[
        str | None,
        typer.Option("--task", help="cyclegan | pix2pix (for names published by both).", show_default=False),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option("--name", help="Name to register (default: OFFICIAL-TASK).", show_default=False),
    ] = None,
    ngf: Annotated[int, typer.Option("--ngf", min=1, help="Generator width of the published file.")] = 64,
    replace: Annotated[bool, typer.Option("--replace", help="Replace your model of the same name.")] = False,
    progress: ProgressOption = True,
    sha256: sha256_option("the .pth") = None,
    insecure: InsecureOption = None,
) -> None:
    """Download a pretrained generator from the reference authors' server and import it as a user model.

    The server is https://efrosgans.eecs.berkeley.edu ($I2I_OFFICIAL_BASE_URL overrides it); downloads resume.
    """
    from i2i.export.importer import fetch_official
    from i2i.zoo.official import find_official

    model = find_official(official, task)
    console.print(f"fetching {model.url()} ...", soft_wrap=True)

    entry = fetch_official(
        model,
        name=name,
        ngf=ngf,
        progress=progress,
        replace=replace,
        sha256=sha256,
        insecure=insecure,
        on_warning=warn,
    )
    _import_report(entry)


@app.command("official")
def list_official() -> None:
    """The pretrained generators `fetch-official` can download, one line each."""
    from i2i.zoo.official import CATALOG

    columns = ("name", "task", "domains", "arch", "default user name")
    rows = [
        {
            "name": m.name,
            "task": m.task,
            "domains": f"{m.domains[0]} -> {m.domains[1]}",
            "arch": m.arch,
            "default user name": m.default_user_name,
        }
        for m in CATALOG
    ]
    console.print("official pretrained generators (reference implementation):")
    for line in plain_columns(rows, columns):
        print(line)


models_maintainer.register(app)  # `ship`, listed last
