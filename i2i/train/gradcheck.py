"""The gradient check at the start of every training run (``--no-grad-check`` skips it).

Why: in torch 2.14.1 on CPU the backward of instance_norm / batch_norm is wrong at batch 1 when the
incoming gradient is channels_last-strided and the input is not, which is what a channels_last network
sends back. Runs trained on such gradients learn from noise, and no loss value shows it. So before the
first step the loop runs the recipe's own ``train_step`` on the run's first batch twice from the same
weights, RNG streams and recipe state, once under the run's precision and memory format and once in
float32 NCHW (a third time for channels_last under reduced precision, below), with every optimizer step
skipped (every pass sees the initial weights throughout). For each trained network (``recipe.modules``)
it compares the flattened gradient the optimizer would have used: cosine similarity and relative norm
error ``|g - g_ref| / |g_ref|``. Afterwards every module state, optimizer, loss scaler, RNG and the
recipe's per-rank state (image pools) are as before, so the run's weights and RNG stream are unchanged
and a resumed run stays bit-identical.

Under reduced precision with channels_last the check first compares float32 channels_last on its own, so
a memory-format error is judged by float32's limits and not hidden in bf16's noise. Under ``--amp auto`` a
failing precision falls back to float32 in the memory format asked for; a precision or ``--channels-last``
asked for by name that fails stops the run with one line.

Limits, from these measurements (``python benchmarks/gradcheck_thresholds.py --width 8 --seeds 0 1 2``:
torch 2.14.1, AMD EPYC with AVX512-BF16, 32 px crops, ngf = ndf = 8, the recipes' losses, resnet_6blocks
generators for the GANs, pix2pix also with a 5-down U-Net; per run the worst network, ranges over seeds and
recipes):

======================================  ==================  ==================  =========================
comparison vs float32 NCHW              worst cosine        worst rel. error    limits
======================================  ==================  ==================  =========================
bf16 autocast, NCHW, batch 1 and 2      0.8971 (cyclegan)   0.483 (cyclegan)    cos >= 0.7, rel <= 1.0
float32 channels_last, batch 1          0.0161 .. 0.6088    0.852 .. 1.457      cos >= 0.999, rel <= 0.05
  (pix2pix resnet, cyclegan, FastCUT)
float32 channels_last, batch 2          0.2609 .. 0.6459    0.820 .. 1.185
  (pix2pix resnet: batch norm)
float32 channels_last, other cases      1.0000              0.000
======================================  ==================  ==================  =========================

From the CLI (``--max-steps 1``, batch 1, 128 px, ngf = ndf = 16): pix2pix unet_128 on facades, float32
channels_last: G cos 0.985 rel 0.173, D cos 0.976 rel 0.220 (the mildest failure seen, 3.5x the float32
relative-error limit); bf16 NCHW: G 0.9996 / 0.028. CycleGAN resnet_9blocks on apple2orange, bf16 NCHW:
worst G_B cos 0.944 rel 0.337. bf16 in NCHW passes with a margin of 3x in ``1 - cosine`` and 2x in
relative error; float32 in another memory format agrees to the 4th digit when it is right (limit 0.05,
room for a GPU's TF32 convolutions, not measured on a GPU yet) and fails by 3.5x and more when it is
wrong. Why bf16 costs CycleGAN and FastCUT more (G cos 0.90-0.95) than pix2pix (0.99): not the losses
or reductions, which are float32 already (:mod:`i2i.losses`); keeping the instance norms or the output
tanh in float32 too, or dropping the cycle and identity terms, moves the generator gradient's cosine with
float64 by at most 0.02 either way (CycleGAN, ngf 8: 0.910 as it is, 0.901-0.929 with norms in float32,
0.911 with tanh in float32, 0.899 without cycle and identity terms). So it is what bf16 convolutions cost
(our reading, not proven: the instance norms' backward keeps a small remainder of gradients that the
convolutions' backward rounded to bf16).
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import torch
from torch import nn
from torch.utils.data import default_collate

from i2i.amp import Precision
from i2i.errors import I2IError
from i2i.train.distributed import all_reduce_max
from i2i.train.rng import rng_state, set_rng_state

#: Tries of a step under fp16 before its gradient is taken as it is: a loss scaler starts at 2**16 and
#: halves its scale after each step whose gradient overflowed (the run skips those steps), so the check
#: measures the first step the scaler would take.
FP16_TRIES = 24

#: Reduced precision (bf16/fp16 autocast) passes when every network's gradient has at least this cosine
#: with float32 NCHW's ...
COSINE_MIN = 0.7
#: ... and at most this relative norm error ``|g - g_ref| / |g_ref|``.
REL_ERROR_MAX = 1.0
#: float32 in another memory format computes the same sums in another order (or with TF32 on a GPU), so
#: it is held to much tighter limits: this cosine ...
FLOAT32_COSINE_MIN = 0.999
#: ... and this relative error.
FLOAT32_REL_ERROR_MAX = 0.05


def limits(prec: Precision) -> tuple[float, float]:
    """(minimum cosine, maximum relative error) a network's gradient under ``prec`` must meet."""
    if prec.amp == "none":
        return FLOAT32_COSINE_MIN, FLOAT32_REL_ERROR_MAX
    return COSINE_MIN, REL_ERROR_MAX


class Agreement(NamedTuple):
    """How one network's gradient under some precision agrees with float32 NCHW's."""

    cosine: float
    rel_error: float


@dataclass(frozen=True)
class CheckResult:
    """One comparison: ``precision`` in words, the agreement of each trained network (empty when the
    precision is the float32 NCHW reference itself, which needs no comparison) and the limits it must meet.
    """

    precision: str
    networks: Mapping[str, Agreement]
    cosine_min: float
    rel_error_max: float

    @property
    def passed(self) -> bool:
        return all(
            a.cosine >= self.cosine_min and a.rel_error <= self.rel_error_max for a in self.networks.values()
        )

    def numbers(self) -> str:
        return ", ".join(f"{n} cos {a.cosine:.4f} rel {a.rel_error:.3f}" for n, a in self.networks.items())

    def line(self) -> str:
        """The console line: ``gradient check (bf16 autocast, NCHW) vs float32 NCHW ...: G cos 0.99 ...``."""
        if not self.networks:
            return f"gradient check: {self.precision} is the reference (float32 NCHW); nothing to compare"
        limits = f"cos >= {self.cosine_min:g}, rel <= {self.rel_error_max:g}"
        verdict = f"ok ({limits})" if self.passed else f"FAILED (needs {limits})"
        head = f"gradient check ({self.precision}) vs float32 NCHW on the first batch"
        return f"{head}: {self.numbers()}: {verdict}"

    def record(self) -> dict[str, Any]:
        """The train_log.jsonl fields of a ``gradcheck`` record."""
        nets = {n: {"cosine": a.cosine, "rel_error": a.rel_error} for n, a in self.networks.items()}
        return {"precision": self.precision, "passed": self.passed, "networks": nets,
                "cosine_min": self.cosine_min, "rel_error_max": self.rel_error_max}  # fmt: skip


def first_batch(dataset: Any, sampler: Any, epoch: int, batch_in_epoch: int) -> Any:
    """The batch the loop will train on first (epoch ``epoch``, batch ``batch_in_epoch``, or the next
    epoch's first when that epoch has no batch left), collated as the DataLoader does, without worker
    processes. The datasets draw their jitter from (seed, epoch, index), so this draws nothing from the
    global RNGs; the loop sets the epochs again before iterating."""
    sampler.set_epoch(epoch, batch_in_epoch)
    indices = next(iter(sampler), None)
    if indices is None:  # stopped after the last batch of an epoch: the next epoch's first
        epoch += 1
        sampler.set_epoch(epoch)
        indices = next(iter(sampler))
    dataset.set_epoch(epoch)
    return default_collate([dataset[i] for i in indices])


def agreement(grad: torch.Tensor, reference: torch.Tensor) -> Agreement:
    """Cosine and relative norm error of two flattened gradients (computed in float64)."""
    g, r = grad.double().flatten(), reference.double().flatten()
    denom = g.norm() * r.norm()
    cosine = float(g @ r / denom) if denom > 0 else float(torch.equal(g, r))
    rel = float((g - r).norm() / r.norm()) if r.norm() > 0 else float(g.norm() > 0)
    if not torch.isfinite(g).all():
        cosine, rel = float("nan"), float("inf")
    return Agreement(cosine, rel)


@contextlib.contextmanager
def _skipped_steps(optimizers: Mapping[str, torch.optim.Optimizer]) -> Iterator[dict[int, torch.Tensor]]:
    """Replace each optimizer's ``step`` with one that records the gradients it was given (by parameter
    id, first step only) and leaves the weights alone; put the original (or the lr scheduler's wrapper
    held on the instance) back afterwards."""
    seen: dict[int, torch.Tensor] = {}
    saved: dict[str, Any] = {}

    def recorder(opt: torch.optim.Optimizer) -> Any:
        def step(*args: Any, **kwargs: Any) -> None:
            seen.setdefault(id(opt), torch.empty(0))  # this optimizer was stepped (its scaler did not skip)
            for group in opt.param_groups:
                for p in group["params"]:
                    if p.grad is not None and id(p) not in seen:
                        seen[id(p)] = p.grad.detach().clone()

        return step

    for name, opt in optimizers.items():
        saved[name] = opt.__dict__.get("step")
        opt.step = recorder(opt)  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        for name, opt in optimizers.items():
            if saved[name] is None:
                del opt.step
            else:
                opt.step = saved[name]  # type: ignore[method-assign]


def _state_of(modules: list[nn.Module]) -> list[dict[str, torch.Tensor]]:
    return [{k: v.detach().clone() for k, v in m.state_dict().items()} for m in modules]


def step_gradients(recipe: Any, batch: Any) -> dict[str, torch.Tensor]:
    """Per trained network, the flattened gradient (float32) that ``recipe.train_step(batch)`` hands its
    optimizers from the current weights, under ``recipe.env.prec``. Leaves every module state, which
    parameters require gradients, train/eval modes, scalers, RNG streams and the recipe's per-rank state
    as it found them, and every ``.grad`` None; the optimizers never step. ``recipe.nets`` must be set
    (the plain modules: no DDP)."""
    modules = list({id(m): m for m in [*recipe.modules.values(), *recipe.env.placed]}.values())
    states, rng, rank_state = _state_of(modules), rng_state(), copy.deepcopy(recipe.rank_state())
    flags = [[p.requires_grad for p in m.parameters()] for m in modules]  # steps switch D's off and on
    modes = [[sub.training for sub in m.modules()] for m in modules]
    scalers = recipe.scalers
    recipe.scalers = {name: copy.deepcopy(s) for name, s in scalers.items()}

    def restore() -> None:
        for module, state, wanted, training in zip(modules, states, flags, modes, strict=True):
            module.load_state_dict(state)
            for p, flag in zip(module.parameters(), wanted, strict=True):
                p.grad = None
                p.requires_grad_(flag)
            for sub, mode in zip(module.modules(), training, strict=True):
                sub.training = mode
        set_rng_state(rng)
        recipe.load_rank_state(rank_state)

    try:
        for _ in range(FP16_TRIES):
            for net in recipe.nets.values():
                net.train()
            with _skipped_steps(recipe.optimizers) as seen:
                recipe.train_step(batch)
            if not _scaler_skipped(recipe, seen):
                break
            # fp16: the gradient overflowed at the loss scaler's scale and its step was skipped; the
            # scaler (a copy) has halved its scale, as it does in the run's first steps: try again
            restore()
        out = {}
        for name, module in recipe.modules.items():
            parts = []
            for p in module.parameters():
                g = seen.get(id(p), p.grad)  # a step fp16's scaler skipped: the (inf) grad as left
                parts.append(torch.zeros(p.numel(), device=p.device) if g is None else g.float().flatten())
            out[name] = torch.cat(parts) if parts else torch.zeros(0)
        return out
    finally:
        recipe.scalers = scalers
        restore()


def _scaler_skipped(recipe: Any, seen: dict[int, torch.Tensor]) -> bool:
    """True when an enabled loss scaler skipped an optimizer's step (its gradients were not finite)."""
    if not any(scaler.is_enabled() for scaler in recipe.scalers.values()):
        return False
    return any(
        id(opt) not in seen and any(p.grad is not None for g in opt.param_groups for p in g["params"])
        for opt in recipe.optimizers.values()
    )


def use_precision(recipe: Any, prec: Precision) -> None:
    """Make ``prec`` the run's precision: the placed modules in its memory format (same weights), its
    loss scalers where fp16 loss scaling switches on or off, and ``env.prec`` (what ``env.batch`` and
    the recipe's steps read)."""
    env = recipe.env
    if prec.channels_last != env.prec.channels_last:
        for module in {id(m): m for m in [*recipe.modules.values(), *env.placed]}.values():
            module.to(memory_format=prec.memory_format)
    if (prec.amp == "fp16") != (env.prec.amp == "fp16"):
        recipe.scalers = {name: prec.grad_scaler() for name in recipe.optimizers}
    env.prec = prec


def compare(recipe: Any, batch: Any, prec: Precision) -> list[CheckResult]:
    """The gradients of one step on ``batch`` under ``prec`` against float32 NCHW; with channels_last
    under reduced precision, first float32 channels_last on its own (held to the float32 limits, so a
    memory-format bug is not hidden in bf16's noise). The run's precision is ``prec`` afterwards."""
    if prec.reference:
        use_precision(recipe, prec)
        return [CheckResult(prec.describe(), {}, *limits(prec))]
    use_precision(recipe, Precision(prec.device, "none", False))
    reference = step_gradients(recipe, batch)
    sides = [Precision(prec.device, "none", True)] if prec.channels_last and prec.amp != "none" else []
    results = []
    for option in [*sides, prec]:
        use_precision(recipe, option)
        grads = step_gradients(recipe, batch)
        nets = {name: agreement(grads[name], reference[name]) for name in recipe.modules}
        results.append(CheckResult(option.describe(), nets, *limits(option)))
    return results


def candidates(prec: Precision) -> list[Precision]:
    """What to try, in order: the run's precision, then, for the parts ``--amp auto`` chose, float32 in
    the memory format asked for. A ``--channels-last`` or an ``--amp`` given by name is never dropped."""
    options = [prec]
    if prec.auto and prec.amp != "none":
        options.append(Precision(prec.device, "none", prec.channels_last))
    return options


def check(
    recipe: Any, batch: Any, prec: Precision, consensus: Callable[[bool], bool] | None = None
) -> tuple[list[CheckResult], bool]:
    """Run the check and leave the run on the first candidate precision that passes.

    Returns every comparison made and whether the last candidate passed. ``consensus(failed) -> failed``
    turns a rank's verdict into the run's (any rank failing fails all; None in one process). When none
    passes, the run is left on the last candidate and the caller stops with :func:`failure`.
    """
    results: list[CheckResult] = []
    failed_kinds: set[str] = set()  # precisions that failed (on some rank): not compared again
    own_amp, own_scalers = recipe.env.prec.amp, recipe.scalers
    passed = False
    for option in candidates(prec):
        if option.describe() in failed_kinds:
            continue
        made = compare(recipe, batch, option)
        results += made
        for result in made:
            failed = not result.passed
            if consensus is not None:
                failed = consensus(failed)
            if failed:
                failed_kinds.add(result.precision)
        if not failed_kinds & {r.precision for r in made}:
            passed = True
            break
    if recipe.env.prec.amp == own_amp:
        # the switches to float32 and back made fresh loss scalers; a resumed fp16 run keeps its own scale
        recipe.scalers = own_scalers
    return results, passed


class GradCheckFailed(I2IError):
    """A precision asked for by name failed the check; ``results`` holds every comparison made."""

    def __init__(self, message: str, results: list[CheckResult]) -> None:
        super().__init__(message)
        self.results = results


def failure(asked: Precision, results: list[CheckResult]) -> GradCheckFailed:
    """The one-line error of a run whose precision, asked for by name, fails the check."""
    worst = next((r for r in results if not r.passed), results[-1])  # float32 channels_last comes first
    named = [f"--amp {asked.amp}"] if not asked.auto else []
    named += ["--channels-last"] if asked.channels_last else []
    return GradCheckFailed(
        f"gradient check failed: under {worst.precision} the first batch's gradients disagree with float32 "
        f"NCHW ({worst.numbers()}; needs cos >= {worst.cosine_min:g}, rel <= {worst.rel_error_max:g}); "
        f"drop {' and '.join(named)} "
        "(--amp auto picks a precision that passes), or skip the check with --no-grad-check",
        results,
    )


def run_start(recipe: Any, sampler: Any, batch_in_epoch: int) -> list[CheckResult]:
    """The check on this rank's first batch, on the plain networks (no DDP; every rank checks its own
    batch, any failure fails all). Under ``--amp auto`` a failing precision falls back to one that passes;
    a precision asked for by name that fails prints the comparisons and raises :class:`GradCheckFailed`
    (before a new run's folder is made, and before a resumed run's log is touched)."""
    env = recipe.env
    batch = first_batch(recipe.train_set, sampler, env.epoch, batch_in_epoch)
    recipe.nets = recipe.wrap(lambda module: module)
    asked = env.prec

    def consensus(failed: bool) -> bool:
        return bool(all_reduce_max(float(failed), env.ctx))

    results, passed = check(recipe, batch, asked, consensus)
    if not passed:
        for result in results:
            env.console.print(result.line(), soft_wrap=True)
        raise failure(asked, results)
    return results
