"""Shared fixtures: where shared/ and the `nomaqkd` CLI binary are."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
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


def assert_rate_equals_cli(py, cli: dict) -> None:
    """A `RateResult` of one scenario equals the JSON of `nomaqkd rate --format json`
    (the §11.3 fields; `rate --finite-size` has them too), field by field. Floats compare
    exactly: serde_json writes the shortest round-trip form."""
    for key in ("convention", "model", "access"):
        assert getattr(py, key) == cli[key], key
    assert (None if py.order is None else py.order.tolist()) == cli["order"]
    for key in ("sum_secret_key_rate", "sum_secret_key_rate_clipped", "joint_channel_physical"):
        assert getattr(py, key) == cli[key], key
    for k, user in enumerate(cli["users"]):
        assert user["user"] == k
        assert user["slot_fraction"] == py.slot_fraction
        pos = None if py.decode_position is None else int(py.decode_position[k])
        assert user["decode_position"] == pos
        approx = None if py.approximation_valid is None else bool(py.approximation_valid[k])
        assert user["approximation_valid"] == approx
        for key in (
            "interference",
            "other_excess_noise",
            "mutual_information",
            "holevo",
            "secret_key_rate",
            "plob_bound",
            "physical",
            "exceeds_plob",
            "silent",
        ):
            assert getattr(py, key)[k] == user[key], (k, key)


def cli_flags(command: list, rate_kw: dict, extra_kw: dict) -> list:
    """Command-line arguments for `command` (e.g. ["simulate", "--format", "json"]) from
    Python keyword arguments: the scenario ones of `nomaqkd.rates` (lists joined by
    commas, floats in round-trip form), then others (True: a bare switch; strings and
    integers as written; floats in round-trip form)."""
    args = list(command)
    for key, value in rate_kw.items():
        flag = "--" + key.replace("_", "-")
        if key == "order":
            args += [flag, ",".join(str(i) for i in value)]
        elif isinstance(value, str):
            args += [flag, value]
        else:
            args += [flag, ",".join(repr(float(v)) for v in np.atleast_1d(value))]
    for key, value in extra_kw.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            args.append(flag)
        else:
            args += [flag, value if isinstance(value, str) else repr(value)]
    return args


@contextlib.contextmanager
def interrupted(after_seconds: float = 0.0, when=None, timeout_seconds: float = 120.0):
    """Run the block while another thread sends SIGINT to this process once
    `after_seconds` have passed and `when()` (if given; polled every 10 ms) is true,
    handled by Python's default handler: the block must raise KeyboardInterrupt
    (asserted). Should the call in the block end first, the block waits for the signal
    (up to `timeout_seconds`), so it is raised inside the block, never in the test
    session; a signal still on its way when the block ends is absorbed. Yields a dict
    whose "seconds" is how long the block took. POSIX only (on Windows, SIGINT to the
    own process ends it)."""
    import signal
    import sys
    import threading
    import time

    if sys.platform == "win32":
        pytest.skip("needs POSIX signals: os.kill(pid, SIGINT) ends the process on Windows")
    stop = threading.Event()

    def send():
        start = time.perf_counter()
        while not stop.is_set() and time.perf_counter() - start < timeout_seconds:
            if time.perf_counter() - start >= after_seconds and (when is None or when()):
                os.kill(os.getpid(), signal.SIGINT)
                return
            time.sleep(0.01)

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    sender = threading.Thread(target=send, daemon=True)
    took: dict = {}
    start = time.perf_counter()
    try:
        sender.start()
        with pytest.raises(KeyboardInterrupt):
            yield took
            sender.join()
            time.sleep(1.0)
    finally:
        took["seconds"] = time.perf_counter() - start
        signal.signal(signal.SIGINT, lambda *_: None)
        stop.set()
        sender.join()
        time.sleep(0.05)  # a signal sent just now is handled (absorbed) here
        signal.signal(signal.SIGINT, previous)
