"""The README's commands stay true: every command in its ```bash blocks either runs as written (exit 0)
from a clone's root, without `../shared` and without the network, or is listed below with the reason it is
not run here. Placeholders (`photo.jpg`, `photos/`) come from the README's own set-up line.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"

#: Command prefix -> why the doc test does not run it. Every key must still start a README command.
NOT_RUN: dict[str, str] = {
    "pip install": "installs packages (the set-up commands are checked from a clean clone by hand and CI)",
    "i2i data fetch": "downloads a dataset",
    "i2i data verify": "needs a fetched dataset",
    "i2i train": "trains for minutes to days",
    "i2i export runs/": "needs a finished training run",
    "i2i translate -m runs/": "needs a finished training run",
    "i2i serve": "a server that runs until stopped (tests/serve covers it)",
    "curl": "talks to a running server",
    "i2i stylize --style": "optimises a photo for a minute or more (tests/optimize covers it on tiny images)",
    "i2i dream": "optimises a photo for a minute or more (tests/optimize covers it on tiny images)",
    "i2i eval paired": "needs the facades dataset (downloaded on first use) and a minute or more",
    "i2i eval model": "needs the apple2orange dataset (downloaded on first use) and minutes",
    "i2i eval compare": "needs the apple2orange dataset and a second model (tests/eval covers it)",
    "i2i eval fid": "needs the FID Inception weights (tests/eval covers it)",
    "i2i eval style": "needs VGG16 weights and a minute (tests/eval covers it)",
    "i2i models fetch-official": "downloads from the reference authors' server",
    "i2i translate -m apple2orange photos/ out/ray --ray": "starts a Ray runtime (tests/runtime covers it)",
    "i2i translate -m apple2orange s3://": "needs an object store and a Ray cluster",
    "torchrun": "multi-machine training",
}


def readme_commands(text: str) -> list[str]:
    """Commands of the ```bash blocks, one per line (backslash-continued lines joined, comments and blank
    lines dropped, trailing `#` comments cut where they follow two spaces)."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():  # join continued lines
            line = re.split(r"\s{2,}#\s", line)[0].strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


def _skip_reason(command: str) -> str | None:
    for prefix, reason in NOT_RUN.items():
        if command.startswith(prefix):
            return reason
    return None


def test_every_not_run_entry_names_a_readme_command():
    commands = readme_commands(README.read_text())
    stale = [p for p in NOT_RUN if not any(c.startswith(p) for c in commands)]
    assert not stale, f"NOT_RUN entries no README command starts with: {stale}"


@pytest.mark.slow
def test_readme_commands_run_as_written(tmp_path):
    """The cheap commands, in README order, in a scratch folder laid out like a clone's root."""
    i2i_exe = shutil.which(
        "i2i", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
    )
    if i2i_exe is None:
        pytest.skip("the i2i console script is not installed")
    (tmp_path / "i2i").symlink_to(REPO / "i2i", target_is_directory=True)
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(Path(i2i_exe).parent), os.environ["PATH"]]),
        "I2I_DATA": str(tmp_path / "no-datasets"),  # no ../shared, nothing cached
        "I2I_MODELS_DIR": str(tmp_path / "user-models"),
        "I2I_OFFLINE": "1",
        "COLUMNS": "80",
    }
    ran = []
    for command in readme_commands(README.read_text()):
        if _skip_reason(command) is not None:
            continue
        done = subprocess.run(
            ["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, f"README command failed: {command}\n{done.stdout}\n{done.stderr}"
        # an example that finds an earlier example's outputs skips them and shows nothing
        assert "(exist; --overwrite replaces them)" not in done.stdout + done.stderr, command
        ran.append(command)
    assert any(c.startswith("i2i translate") for c in ran) and any("--model starry" in c for c in ran)
    # each example writes its own folder, so none of them finds its outputs already there and skips
    assert sorted(p.name for p in (tmp_path / "out" / "apples").glob("*.jpg")) == sorted(
        p.name for p in (tmp_path / "photos").glob("*.jpg")
    )
    # nothing was written into the package by any command
    assert not list((REPO / "i2i" / "assets").rglob("*.starry*")) and not list(
        (REPO / "i2i" / "assets").rglob("*.dream*")
    )


#: The one step `.ci/run` may take before the README's test command: installing the optional test prerequisite
#: the README names (Chromium and chromedriver, for the browser tests of `i2i serve`'s page), word for word.
CI_PREREQUISITE = r"""
packages=(chromium chromium-driver)
skip="the browser tests will skip"
as=()
[ "$(id -u)" = 0 ] || as=(sudo -n)
apt_get() { "${as[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq "$@" >/dev/null 2>&1; }
if command -v chromedriver >/dev/null; then
    :
elif ! command -v apt-get >/dev/null || ! "${as[@]}" true 2>/dev/null; then
    echo ".ci/run: no apt-get, or not root and no sudo without a password: $skip" >&2
elif ! apt_get install -y --no-install-recommends "${packages[@]}"; then
    { apt_get update && apt_get install -y --no-install-recommends "${packages[@]}"; } \
        || echo ".ci/run: apt-get could not install ${packages[*]}: $skip" >&2
fi
command -v chromedriver >/dev/null && export I2I_BROWSER_TESTS=required || true
"""
#: The README's sentence that names the prerequisite, and in it the packages CI_PREREQUISITE must install.
README_PREREQUISITE = re.compile(r"optional test prerequisite[^.]*?`apt-get install ([a-z0-9 .+-]+)`")


def ci_script_problems(ci_text: str, readme_text: str) -> list[str]:
    """Why a `.ci/run` text is not `set -euo pipefail`, a `cd`, optionally :data:`CI_PREREQUISITE` (with
    the packages the README names), then the README's test command, word for word (empty when it is)."""
    test_command = next(c for c in readme_commands(readme_text) if "pytest" in c)
    lines = [
        line.strip() for line in ci_text.splitlines() if line.strip() and not line.strip().startswith("#")
    ]
    prerequisite = [line.strip() for line in CI_PREREQUISITE.strip().splitlines()]
    problems = []
    if lines[-1:] != [test_command]:
        problems.append(f"the last command is not the README's test command: {lines[-1:]}")
    if lines[:2] != ["set -euo pipefail", 'cd "$(dirname "$0")/.."']:
        problems.append(f"it does not start with set -euo pipefail and a cd: {lines[:2]}")
    if lines[2:-1] not in ([], prerequisite):
        problems.append(f"commands other than the README's optional test prerequisite: {lines[2:-1]}")
    named = README_PREREQUISITE.search(" ".join(readme_text.split()))
    if named is None:
        problems.append("the README names no optional test prerequisite (`apt-get install ...`)")
    elif f"packages=({' '.join(named.group(1).split())})" != prerequisite[0]:
        problems.append(f"the prerequisite's packages are not the README's: {named.group(1)}")
    return problems


def test_ci_runs_the_readmes_test_command_after_only_the_optional_prerequisite():
    """`.ci/run` is the README's test command, word for word, after `set -euo pipefail`, a `cd` and the
    optional test prerequisite the README names; an extra command anywhere fails this."""
    ci_text, readme_text = (REPO / ".ci" / "run").read_text(), README.read_text()
    assert ci_script_problems(ci_text, readme_text) == []
    lines = ci_text.splitlines()
    test_line = next(i for i, line in enumerate(lines) if "pytest" in line)
    first_if = next(i for i, line in enumerate(lines) if line.startswith("if "))
    for extra, where in [
        ("pip install pytest-rerunfailures", test_line),  # before the tests
        ("python -m pytest tests/serve -n 0", test_line + 1),  # after them
        ("apt-get install -y firefox-esr", first_if),  # another package
    ]:
        changed = "\n".join([*lines[:where], extra, *lines[where:]])
        assert ci_script_problems(changed, readme_text), extra
    without = "\n".join(line for line in lines if "apt-get" not in line)  # a prerequisite cut short
    assert ci_script_problems(without, readme_text)
    other = readme_text.replace("chromium-driver`", "chromium-shell`")  # the README names other packages
    assert other != readme_text and ci_script_problems(ci_text, other)


def app_commands() -> set[str]:
    """Every visible command of the `i2i` app, as `NAME` or `GROUP NAME` (group commands listed by name,
    without building them: `i2i train`'s commands import their recipes only when run)."""
    import typer

    from i2i.cli.main import app

    root = typer.main.get_command(app)
    ctx = root.make_context("i2i", [], resilient_parsing=True)
    names = set()
    for name in root.list_commands(ctx):
        command = root.get_command(ctx, name)
        if getattr(command, "hidden", False):
            continue
        if hasattr(command, "list_commands"):
            names |= {f"{name} {sub}" for sub in command.list_commands(ctx)}
        else:
            names.add(name)
    return names


def tour_commands(text: str) -> set[str]:
    """The commands the README's tour block names: `i2i GROUP a | b | c   description` gives `GROUP a`,
    `GROUP b`, `GROUP c`; `i2i NAME ARGS   description` (ARGS not a bare lower-case word) gives `NAME`."""
    block = re.search(r"## The tour\n\n```text\n(.*?)```", text, flags=re.S)
    assert block, "README has no tour block"
    names = set()
    for line in block.group(1).splitlines():
        words = re.split(r"\s{2,}", line.strip())[0].split()[
            1:
        ]  # the part before the description, less `i2i`
        pieces = " ".join(words[1:]).split(" | ")
        if len(words) > 1 and re.fullmatch(r"[a-z][a-z0-9-]*", words[1]):  # a group and its commands
            names |= {f"{words[0]} {piece.split()[0]}" for piece in pieces if piece}
        else:
            names.add(words[0])
    return names


def test_the_tour_names_every_command_of_the_app_and_no_other():
    tour, app = tour_commands(README.read_text()), app_commands()
    assert not app - tour, f"commands missing from the README tour: {sorted(app - tour)}"
    assert not tour - app, f"the README tour names commands the app does not have: {sorted(tour - app)}"
