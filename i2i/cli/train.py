"""`i2i train`: training recipes: `pix2pix`, `cyclegan`, and `style` (registered from train_style).

The options every recipe shares (data, schedule, bounds, runtime, outputs) are `Annotated` aliases defined
here once; each command adds its recipe's own. Torch is imported only when a command runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from i2i.cli.common import DataRootOption, console
from i2i.cli.train_style import register as register_style
from i2i.errors import I2IError

app = typer.Typer(no_args_is_help=True, help="Train Pix2Pix, CycleGAN or fast-style models.")

# ------------------------------------------------------------------------------ options shared by recipes
DataOption = Annotated[
    str | None,
    typer.Option(
        "--data",
        help="Dataset: a catalog name (fetched if absent, see `i2i data list`) or a folder.",
        show_default=False,
    ),
]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", help="Run folder (default: runs/<task>-<data>-<timestamp>).", show_default=False),
]
ResumeOption = Annotated[
    Path | None,
    typer.Option(
        "--resume",
        help="Continue the run in this folder exactly (its config is used; only --max-steps, "
        "--max-minutes, --workers and --device apply).",
        show_default=False,
    ),
]
DirectionOption = Annotated[
    str, typer.Option("--direction", help="AtoB | BtoA (facades labels->photo is BtoA).")
]
NgfOption = Annotated[int, typer.Option("--ngf", help="Generator width (64 in the papers).")]
NdfOption = Annotated[int, typer.Option("--ndf", help="Discriminator width (64 in the papers).")]
GanModeOption = Annotated[str, typer.Option("--gan-mode", help="vanilla | lsgan | wgangp | hinge.")]
LrOption = Annotated[float, typer.Option("--lr", help="Adam learning rate (G and D).")]
Beta1Option = Annotated[float, typer.Option("--beta1", help="Adam beta1.")]
BatchSizeOption = Annotated[int, typer.Option("--batch-size", help="Images per step (per process).")]
LoadSizeOption = Annotated[
    int | None,
    typer.Option("--load-size", help="Resize side before the random crop [286].", show_default=False),
]
CropSizeOption = Annotated[
    int | None, typer.Option("--crop-size", help="Training crop side [256].", show_default=False)
]
ImageSizeOption = Annotated[
    int | None,
    typer.Option(
        "--image-size",
        help="Shortcut: --crop-size N and --load-size N*286/256 (e.g. 128 -> 143).",
        show_default=False,
    ),
]
PreprocessOption = Annotated[
    str,
    typer.Option("--preprocess", help="resize_and_crop | crop | scale_width | scale_width_and_crop | none."),
]
FlipOption = Annotated[bool, typer.Option("--flip/--no-flip", help="Random horizontal flips.")]
EpochsOption = Annotated[int, typer.Option("--epochs", help="Epochs at the initial learning rate.")]
EpochsDecayOption = Annotated[int, typer.Option("--epochs-decay", help="Epochs of learning-rate decay.")]
LrPolicyOption = Annotated[str, typer.Option("--lr-policy", help="linear | step | plateau | cosine.")]
LrStepOption = Annotated[
    int, typer.Option("--lr-step-epochs", help="Epochs between x0.1 steps (step policy).")
]
MaxStepsOption = Annotated[
    int | None, typer.Option("--max-steps", help="Stop after this many steps in all.", show_default=False)
]
MaxMinutesOption = Annotated[
    float | None,
    typer.Option("--max-minutes", help="Stop (resumably) after this many minutes.", show_default=False),
]
SeedOption = Annotated[
    int, typer.Option("--seed", help="Random seed (weights, dropout, data order, jitter).")
]
DeviceOption = Annotated[
    str | None, typer.Option("--device", help="auto | cpu | cuda [auto].", show_default=False)
]
WorkersOption = Annotated[
    int | None, typer.Option("--workers", help="Data-loading processes [4].", show_default=False)
]
AmpOption = Annotated[
    str,
    typer.Option(
        "--amp",
        help="Mixed precision: auto | none | bf16 | fp16 (auto: bf16 + channels_last where the CPU/GPU "
        "has bf16 units, else none).",
    ),
]
ChannelsLastOption = Annotated[bool, typer.Option("--channels-last", help="NHWC memory format.")]
LogEveryOption = Annotated[int, typer.Option("--log-every", help="Steps between train_log.jsonl records.")]
SampleEveryOption = Annotated[int, typer.Option("--sample-every", help="Steps between sample grids.")]
StateEveryOption = Annotated[int, typer.Option("--state-every", help="Steps between last.pt saves.")]
ValEveryOption = Annotated[int, typer.Option("--val-every", help="Epochs between validation passes.")]
ValImagesOption = Annotated[
    int | None, typer.Option("--val-images", help="Validate on at most this many images.", show_default=False)
]
EvalEveryOption = Annotated[
    int | None,
    typer.Option(
        "--eval-every",
        help="Steps between quality probes on fixed held-out images (pix2pix: L1/PSNR/SSIM on val; "
        "cyclegan: KID), logged as `eval` records and eval_curves.png [off].",
        show_default=False,
    ),
]
EvalImagesOption = Annotated[int, typer.Option("--eval-images", help="Images in the --eval-every probe.")]
SaveEveryOption = Annotated[int, typer.Option("--save-every", help="Epochs between release checkpoints.")]


def sizes(image_size: int | None, load_size: int | None, crop_size: int | None) -> tuple[int, int]:
    """(load_size, crop_size) from the explicit options, the --image-size shortcut, or the defaults."""
    if image_size is not None:
        if image_size < 1:
            raise I2IError(f"--image-size must be positive, got {image_size}")
        crop = crop_size if crop_size is not None else image_size
        load = load_size if load_size is not None else round(image_size * 286 / 256)
        return load, crop
    return (load_size if load_size is not None else 286), (crop_size if crop_size is not None else 256)


def _resume_overrides(
    max_steps: int | None, max_minutes: float | None, workers: int | None, device: str | None
) -> dict[str, object]:
    given = {"max_steps": max_steps, "max_minutes": max_minutes, "workers": workers, "device": device}
    return {k: v for k, v in given.items() if v is not None}


# ------------------------------------------------------------------------------------------- pix2pix
@app.command("pix2pix")
def pix2pix(
    data: DataOption = None,
    out: OutOption = None,
    resume: ResumeOption = None,
    data_root: DataRootOption = None,
    direction: DirectionOption = "AtoB",
    net_g: Annotated[
        str, typer.Option("--netG", help="unet_256 | unet_128 | resnet_9blocks | resnet_6blocks.")
    ] = "unet_256",
    num_downs: Annotated[
        int | None,
        typer.Option("--num-downs", help="Depth of --netG unet (side multiple 2^N).", show_default=False),
    ] = None,
    net_d: Annotated[
        str, typer.Option("--netD", help="basic (70x70 PatchGAN) | n_layers | pixel.")
    ] = "basic",
    n_layers_d: Annotated[int, typer.Option("--n-layers-D", help="Depth of --netD n_layers.")] = 3,
    ngf: NgfOption = 64,
    ndf: NdfOption = 64,
    norm: Annotated[str, typer.Option("--norm", help="batch | instance | none.")] = "batch",
    dropout: Annotated[
        bool, typer.Option("--dropout/--no-dropout", help="Dropout in the U-Net decoder.")
    ] = True,
    gan_mode: GanModeOption = "vanilla",
    lambda_l1: Annotated[float, typer.Option("--lambda-l1", help="Weight of the L1 term.")] = 100.0,
    lr: LrOption = 2e-4,
    beta1: Beta1Option = 0.5,
    batch_size: BatchSizeOption = 1,
    load_size: LoadSizeOption = None,
    crop_size: CropSizeOption = None,
    image_size: ImageSizeOption = None,
    preprocess: PreprocessOption = "resize_and_crop",
    flip: FlipOption = True,
    epochs: EpochsOption = 100,
    epochs_decay: EpochsDecayOption = 100,
    lr_policy: LrPolicyOption = "linear",
    lr_step_epochs: LrStepOption = 50,
    max_steps: MaxStepsOption = None,
    max_minutes: MaxMinutesOption = None,
    seed: SeedOption = 0,
    device: DeviceOption = None,
    workers: WorkersOption = None,
    amp: AmpOption = "auto",
    channels_last: ChannelsLastOption = False,
    log_every: LogEveryOption = 50,
    sample_every: SampleEveryOption = 500,
    state_every: StateEveryOption = 1000,
    eval_every: EvalEveryOption = None,
    eval_images: EvalImagesOption = 32,
    val_every: ValEveryOption = 1,
    val_images: ValImagesOption = None,
    save_every: SaveEveryOption = 5,
) -> None:
    """Train Pix2Pix (U-Net generator + conditional PatchGAN; defaults are the paper's).

    Example: `i2i train pix2pix --data facades --direction BtoA`. Bounded CPU run at 128 px:
    `i2i train pix2pix --data facades --direction BtoA --netG unet_128 --image-size 128 --max-minutes 30`.
    """
    from i2i.train import pix2pix as recipe

    if resume is not None:
        cfg = recipe.load_config(resume, **_resume_overrides(max_steps, max_minutes, workers, device))
        recipe.train(cfg, run_dir=resume, resume=True, console=console)
        return
    if data is None:
        raise I2IError(
            "--data is required (a catalog name such as `facades`, or a folder), or --resume RUN_DIR"
        )
    load, crop = sizes(image_size, load_size, crop_size)
    cfg = recipe.Pix2PixConfig(
        data=data,
        data_root=str(data_root) if data_root is not None else None,
        out=str(out) if out is not None else None,
        direction=direction,
        netG=net_g,
        num_downs=num_downs,
        netD=net_d,
        n_layers_D=n_layers_d,
        ngf=ngf,
        ndf=ndf,
        norm=norm,
        dropout=dropout,
        gan_mode=gan_mode,
        lambda_l1=lambda_l1,
        lr=lr,
        beta1=beta1,
        batch_size=batch_size,
        epochs=epochs,
        epochs_decay=epochs_decay,
        lr_policy=lr_policy,
        lr_step_epochs=lr_step_epochs,
        load_size=load,
        crop_size=crop,
        preprocess=preprocess,
        flip=flip,
        workers=4 if workers is None else workers,
        max_steps=max_steps,
        max_minutes=max_minutes,
        seed=seed,
        device=device or "auto",
        amp=amp,
        channels_last=channels_last,
        log_every=log_every,
        sample_every=sample_every,
        state_every=state_every,
        eval_every=eval_every,
        eval_images=eval_images,
        val_every=val_every,
        val_images=val_images,
        save_every=save_every,
    )
    recipe.train(cfg, console=console)


# ------------------------------------------------------------------------------------------- cyclegan
@app.command("cyclegan")
def cyclegan(
    data: DataOption = None,
    out: OutOption = None,
    resume: ResumeOption = None,
    data_root: DataRootOption = None,
    direction: Annotated[
        str, typer.Option("--direction", help="AtoB trains trainA -> trainB as G; BtoA swaps the folders.")
    ] = "AtoB",
    net_g: Annotated[
        str, typer.Option("--netG", help="resnet_9blocks | resnet_6blocks | unet_256 | unet_128.")
    ] = "resnet_9blocks",
    net_d: Annotated[
        str, typer.Option("--netD", help="basic (70x70 PatchGAN) | n_layers | pixel.")
    ] = "basic",
    n_layers_d: Annotated[int, typer.Option("--n-layers-D", help="Depth of --netD n_layers.")] = 3,
    ngf: NgfOption = 64,
    ndf: NdfOption = 64,
    norm: Annotated[str, typer.Option("--norm", help="instance | batch | none.")] = "instance",
    dropout: Annotated[
        bool, typer.Option("--dropout/--no-dropout", help="Dropout in the generators.")
    ] = False,
    gan_mode: Annotated[str, typer.Option("--gan-mode", help="lsgan | vanilla | wgangp | hinge.")] = "lsgan",
    lambda_a: Annotated[float, typer.Option("--lambda-A", help="Weight of the A -> B -> A cycle.")] = 10.0,
    lambda_b: Annotated[float, typer.Option("--lambda-B", help="Weight of the B -> A -> B cycle.")] = 10.0,
    lambda_identity: Annotated[
        float, typer.Option("--lambda-identity", help="Identity weight, relative to the cycle weights.")
    ] = 0.5,
    pool_size: Annotated[int, typer.Option("--pool-size", help="Past fakes kept per discriminator.")] = 50,
    lr: LrOption = 2e-4,
    beta1: Beta1Option = 0.5,
    batch_size: BatchSizeOption = 1,
    load_size: LoadSizeOption = None,
    crop_size: CropSizeOption = None,
    image_size: ImageSizeOption = None,
    preprocess: PreprocessOption = "resize_and_crop",
    flip: FlipOption = True,
    serial_batches: Annotated[
        bool, typer.Option("--serial-batches", help="Pair A[i] with B[i] instead of a random B.")
    ] = False,
    epochs: EpochsOption = 100,
    epochs_decay: EpochsDecayOption = 100,
    lr_policy: LrPolicyOption = "linear",
    lr_step_epochs: LrStepOption = 50,
    max_steps: MaxStepsOption = None,
    max_minutes: MaxMinutesOption = None,
    seed: SeedOption = 0,
    device: DeviceOption = None,
    workers: WorkersOption = None,
    amp: AmpOption = "auto",
    channels_last: ChannelsLastOption = False,
    log_every: LogEveryOption = 50,
    sample_every: SampleEveryOption = 500,
    state_every: StateEveryOption = 1000,
    eval_every: EvalEveryOption = None,
    eval_images: EvalImagesOption = 32,
    save_every: SaveEveryOption = 5,
) -> None:
    """Train CycleGAN on unpaired folders trainA/ and trainB/ (defaults are the paper's).

    Example: `i2i train cyclegan --data apple2orange`. Bounded CPU run at 128 px:
    `i2i train cyclegan --data apple2orange --netG resnet_6blocks --ngf 32 --image-size 128 --max-minutes 60`.
    """
    from i2i.train import cyclegan as recipe

    if resume is not None:
        cfg = recipe.load_config(resume, **_resume_overrides(max_steps, max_minutes, workers, device))
        recipe.train(cfg, run_dir=resume, resume=True, console=console)
        return
    if data is None:
        raise I2IError(
            "--data is required (a catalog name such as `apple2orange`, or a folder), or --resume RUN_DIR"
        )
    load, crop = sizes(image_size, load_size, crop_size)
    cfg = recipe.CycleGANConfig(
        data=data,
        data_root=str(data_root) if data_root is not None else None,
        out=str(out) if out is not None else None,
        direction=direction,
        netG=net_g,
        netD=net_d,
        n_layers_D=n_layers_d,
        ngf=ngf,
        ndf=ndf,
        norm=norm,
        dropout=dropout,
        gan_mode=gan_mode,
        lambda_A=lambda_a,
        lambda_B=lambda_b,
        lambda_identity=lambda_identity,
        pool_size=pool_size,
        lr=lr,
        beta1=beta1,
        batch_size=batch_size,
        epochs=epochs,
        epochs_decay=epochs_decay,
        lr_policy=lr_policy,
        lr_step_epochs=lr_step_epochs,
        load_size=load,
        crop_size=crop,
        preprocess=preprocess,
        flip=flip,
        serial_batches=serial_batches,
        workers=4 if workers is None else workers,
        max_steps=max_steps,
        max_minutes=max_minutes,
        seed=seed,
        device=device or "auto",
        amp=amp,
        channels_last=channels_last,
        log_every=log_every,
        sample_every=sample_every,
        state_every=state_every,
        eval_every=eval_every,
        eval_images=eval_images,
        save_every=save_every,
    )
    recipe.train(cfg, console=console)


# ------------------------------------------------------------------------------------------- style
register_style(app)
