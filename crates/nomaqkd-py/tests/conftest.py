"""Shared fixtures: where shared/ and the `nomaqkd` CLI binary are."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]


def shared_dir() -> Path:
    """shared/ from $NOMAQKD_SHARED, else ../shared beside the repository root."""
    env = os.environ.get("NOMAQKD_SHARED")
    path = Path(env) if env else REPO_ROOT.parent / "shared"
    if not (path / "checkpoints" / "rates.json").is_file():
        pytest.fail(f"shared/ not found at {path}; set NOMAQKD_SHARED to the folder holding checkpoints/")
    return path


@pytest.fixture(scope="session")
def checkpoints_path() -> Path:
    return shared_dir() / "checkpoints" / "rates.json"


@pytest.fixture(scope="session")
def cli_binary() -> Path:
    """The `nomaqkd` binary: $NOMAQKD_BIN, else built with `cargo build -p nomaqkd-cli`."""
    env = os.environ.get("NOMAQKD_BIN")
    if env:
        return Path(env)
    cargo = shutil.which("cargo")
    if cargo is None:
        pytest.fail("cargo not found: set NOMAQKD_BIN to a built `nomaqkd` binary")
    subprocess.run([cargo, "build", "--quiet", "-p", "nomaqkd-cli"], cwd=REPO_ROOT, check=True)
    meta = subprocess.run(
        [cargo, "metadata", "--format-version", "1", "--no-deps"],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    import json

    target = Path(json.loads(meta.stdout)["target_directory"])
    binary = target / "debug" / "nomaqkd"
    assert binary.is_file(), binary
    return binary


@pytest.fixture(scope="session")
def cli_release_binary() -> Path:
    """The release `nomaqkd` binary (optimize/sweep are slow unoptimised): $NOMAQKD_BIN,
    else target/release/nomaqkd, built with `cargo build --release -p nomaqkd-cli`
    (a no-op when fresh). Skips, saying why, only when cargo is absent and so is the binary."""
    import json

    env = os.environ.get("NOMAQKD_BIN")
    if env:
        return Path(env)
    cargo = shutil.which("cargo")
    if cargo is None:
        candidate = REPO_ROOT / "target" / "release" / "nomaqkd"
        if candidate.is_file():
            return candidate
        pytest.skip("no release `nomaqkd` binary: cargo is not on PATH and target/release/nomaqkd is absent")
    meta = subprocess.run(
        [cargo, "metadata", "--format-version", "1", "--no-deps"],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    binary = Path(json.loads(meta.stdout)["target_directory"]) / "release" / "nomaqkd"
    # Always (re)build: a stale binary would compare against old code. A no-op when fresh.
    proc = subprocess.run([cargo, "build", "--quiet", "--release", "-p", "nomaqkd-cli"], cwd=REPO_ROOT)
    if proc.returncode != 0 or not binary.is_file():
        pytest.fail(f"`cargo build --release -p nomaqkd-cli` failed (exit {proc.returncode}); no binary at {binary}")
    return binary
