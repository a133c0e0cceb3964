"""nomaqkd: secret key rates for uplink NOMA continuous-variable QKD.

Python bindings of the nomaqkd Rust core (PyO3). The Python side holds no
physics: every number comes from the same library as the ``nomaqkd`` command
line, so results are identical to ``nomaqkd rate --format json`` (the batched
form, a vectorised kernel of the same library, agrees with them to a few ulp).

Units: variances in shot-noise units (SNU) per quadrature, rates in bits per
symbol, powers in dBm, distances in metres. Section numbers (§) refer to the
project's SPEC.md.

Wrapped so far:

* :func:`rates` -- per-user and sum secret key rates (SPEC §2-§4, §11.3),
  single scenario (1-D arrays) or batched (2-D arrays, parallel, GIL released);
* :func:`dbm_to_variance`, :func:`variance_to_dbm` (SPEC §5);
* :func:`transmittance_from_distance` (SPEC §6);
* :func:`optimize` and :func:`compare` -- power allocation, problem P1 (SPEC §7,
  §11.4; ``nomaqkd optimize`` and ``nomaqkd optimize --compare``);
* :func:`sweep` -- parameter grids with turbulence Monte Carlo (``nomaqkd sweep``).

* :func:`finite_rates` -- finite-size key rates, one scenario (SPEC §9;
  ``nomaqkd rate --finite-size``).

* :func:`simulate` -- the quadrature-level Monte Carlo check (SPEC §10;
  ``nomaqkd simulate``).

Not wrapped: ``reproduce``; see docs/PYTHON.md.

Bad input raises :class:`ValueError` with the CLI's one-line message.
"""

from __future__ import annotations

import csv
import os
import tempfile
from dataclasses import dataclass, fields
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union, overload

import numpy as np

from . import _core

__version__: str = _core.__version__

__all__ = [
    "RateResult",
    "rates",
    "dbm_to_variance",
    "variance_to_dbm",
    "transmittance_from_distance",
    "Allocation",
    "Comparison",
    "optimize",
    "compare",
    "sweep",
    "FiniteRateResult",
    "finite_rates",
    "FINITE_DEFAULTS",
    "SimulationResult",
    "simulate",
    "SIMULATE_DEFAULTS",
    "DEFAULT_EXCESS_NOISE_SNU",
    "DEFAULT_DETECTOR_NOISE_SNU",
    "DEFAULT_DETECTOR_EFFICIENCY",
    "DEFAULT_RECONCILIATION_EFFICIENCY",
    "DEFAULT_WAVELENGTH_M",
    "DEFAULT_SYMBOL_RATE_BAUD",
]

#: Default excess noise xi (SNU, input-referred), SPEC §11.1 ``--excess-noise``.
DEFAULT_EXCESS_NOISE_SNU: float = _core.DEFAULT_EXCESS_NOISE_SNU
#: Default receiver electronic noise delta^2 (SNU), SPEC §11.1 ``--detector-noise``.
DEFAULT_DETECTOR_NOISE_SNU: float = _core.DEFAULT_DETECTOR_NOISE_SNU
#: Default detector efficiency tau_d (dimensionless), SPEC §11.1.
DEFAULT_DETECTOR_EFFICIENCY: float = _core.DEFAULT_DETECTOR_EFFICIENCY
#: Default reconciliation efficiency eta (dimensionless), SPEC §11.1.
DEFAULT_RECONCILIATION_EFFICIENCY: float = _core.DEFAULT_RECONCILIATION_EFFICIENCY
#: Default wavelength (m): 1550 nm, SPEC §5.
DEFAULT_WAVELENGTH_M: float = _core.DEFAULT_WAVELENGTH_M
#: Default symbol rate (baud): 10 MBd, SPEC §5.
DEFAULT_SYMBOL_RATE_BAUD: float = _core.DEFAULT_SYMBOL_RATE_BAUD

ArrayLike = Union[float, Sequence[float], Sequence[Sequence[float]], np.ndarray]
# Array inputs of the element-wise conversions (a plain number gives a float back).
ArrayIn = Union[Sequence[float], Sequence[Sequence[float]], np.ndarray]
Order = Union[None, str, Sequence[int], np.ndarray]


@dataclass(frozen=True)
class RateResult:
    """Result of :func:`rates` (the fields of SPEC §11.3 as numpy arrays).

    Per-user arrays have shape ``(K,)`` for a single scenario and ``(N, K)``
    for the batched form; per-scenario values are Python scalars for a single
    scenario and arrays of shape ``(N,)`` for the batched form. Users are in
    input order.

    Attributes:
        convention: ``"standard"``, ``"trusted"`` or ``"paper"`` (SPEC §4).
        model: ``"exact"`` or ``"asymptotic"`` (SPEC §4.4).
        access: ``"noma"``, ``"oma"`` or ``"cih"`` (SPEC §3).
        order: SIC decoding order used, 0-based user indices, ``order[0]``
            decoded first (int64; ``None`` under ``oma``/``cih`` or with
            ``details=False``).
        decode_position: position of each user in ``order`` (int64; ``None``
            unless ``noma``, or with ``details=False``).
        slot_fraction: share of the symbols each user owns: 1, or 1/K under
            time-shared ``oma`` (SPEC §3).
        interference: V_I,k as it enters Z, T-weighted (SNU; ``None`` with
            ``details=False``).
        other_excess_noise: X_k, the other active users' T_i*xi_i (SNU, SPEC §4.1;
            ``None`` with ``details=False``).
        mutual_information: I_k (bits/symbol).
        holevo: Eve's Holevo information chi_k (bits/symbol).
        secret_key_rate: SKR_k = eta*I_k - chi_k, unclipped (bits/symbol of the
            user's own slot).
        plob_bound: -log2(1 - T_k) (bits/channel use, SPEC §2).
        physical: the exact state's symplectic eigenvalues are all >= 1 - 1e-9 (SPEC §2).
        exceeds_plob: ``secret_key_rate > plob_bound`` (``None`` with ``details=False``).
        silent: V_A,k == 0 (SPEC §4).
        approximation_valid: asymptotic model only (else ``None``, also with
            ``details=False``): the large-modulation eigenvalues are >= 1 (SPEC §4.4).
        sum_secret_key_rate: sum_k slot_fraction*SKR_k (bits/symbol, paper eq. (21)).
        sum_secret_key_rate_clipped: sum_k slot_fraction*max(0, SKR_k) (bits/symbol).
        joint_channel_physical: sum_k T_k <= 1 (SPEC §2).
        warnings: the CLI's warning lines (single scenario); ``None`` for the
            batched form (use ``physical``/``exceeds_plob`` there).
    """

    convention: str
    model: str
    access: str
    order: Optional[np.ndarray]
    decode_position: Optional[np.ndarray]
    slot_fraction: float
    interference: Optional[np.ndarray]
    other_excess_noise: Optional[np.ndarray]
    mutual_information: np.ndarray
    holevo: np.ndarray
    secret_key_rate: np.ndarray
    plob_bound: np.ndarray
    physical: np.ndarray
    exceeds_plob: Optional[np.ndarray]
    silent: np.ndarray
    approximation_valid: Optional[np.ndarray]
    sum_secret_key_rate: Union[float, np.ndarray]
    sum_secret_key_rate_clipped: Union[float, np.ndarray]
    joint_channel_physical: Union[bool, np.ndarray]
    warnings: Optional[List[str]]

    def to_dict(self) -> Dict[str, Any]:
        """The fields as a plain dict (arrays stay numpy arrays)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _scenario_args(
    transmittance: Any,
    modulation_variance: Any,
    excess_noise: Any,
    detector_noise: float,
    detector_efficiency: float,
    reconciliation_efficiency: float,
    convention: str,
    model: str,
    access: str,
    order: Order,
    literal_eq6: bool,
    time_sharing: bool,
) -> tuple:
    """The scenario arguments of :func:`rates` as the compiled functions take them
    (one tuple for the single-scenario ones)."""
    return (
        transmittance,
        modulation_variance,
        excess_noise,
        float(detector_noise),
        float(detector_efficiency),
        float(reconciliation_efficiency),
        convention,
        model,
        access,
        order,
        bool(literal_eq6),
        bool(time_sharing),
    )


def rates(
    transmittance: ArrayLike,
    modulation_variance: ArrayLike,
    *,
    excess_noise: ArrayLike = DEFAULT_EXCESS_NOISE_SNU,
    detector_noise: float = DEFAULT_DETECTOR_NOISE_SNU,
    detector_efficiency: float = DEFAULT_DETECTOR_EFFICIENCY,
    reconciliation_efficiency: float = DEFAULT_RECONCILIATION_EFFICIENCY,
    convention: str = "standard",
    model: str = "exact",
    access: str = "noma",
    order: Order = None,
    literal_eq6: bool = False,
    time_sharing: bool = True,
    details: bool = True,
    out: Optional[RateResult] = None,
) -> RateResult:
    """Per-user and sum secret key rates for given powers (SPEC §2-§4, §11.3).

    The keyword arguments carry the names and defaults of the CLI flags of
    SPEC §11.1 (``--excess-noise`` -> ``excess_noise``; ``--no-time-sharing``
    -> ``time_sharing=False``).

    Two forms, chosen by the shape of ``transmittance``:

    * **single scenario**: ``transmittance`` is a number or a 1-D array of K
      values. The same code path as ``nomaqkd rate`` (identical numbers and
      warnings).
    * **batched**: ``transmittance`` is a 2-D array of shape ``(N, K)`` (N
      scenarios of K users). ``modulation_variance`` and ``excess_noise`` are
      broadcast numpy-style to ``(N, K)`` (a number, K values, ``(N, 1)`` or
      ``(N, K)``). Rows are evaluated in parallel (rayon, ``RAYON_NUM_THREADS``
      threads) with the GIL released, through the library's vectorised kernel
      (AVX-512 or AVX2 when the CPU has them); results agree with the single form
      row by row to a few ulp (docs/PYTHON.md gives the bounds); with
      ``details=False`` the per-user diagnostics are left out.

    Args:
        transmittance: T_k in (0, 1) per user (dimensionless); defines K.
        modulation_variance: V_A,k >= 0 per user (SNU; 0 = silent user); one
            value is shared by all users. Under ``paper`` it is V_a, the EPR
            variance, 0 or >= 1 (SPEC §4.3).
        excess_noise: xi_k >= 0 (SNU, input-referred), one value or one per user.
        detector_noise: electronic noise delta^2 >= 0 (SNU).
        detector_efficiency: tau_d in (0, 1]; used by ``trusted`` (SPEC §4.2).
        reconciliation_efficiency: eta in (0, 1].
        convention: ``"standard"`` (SPEC §4.1), ``"trusted"`` (§4.2) or ``"paper"`` (§4.3).
        model: ``"exact"`` or ``"asymptotic"`` (large modulation, §4.4; not with ``trusted``).
        access: ``"noma"`` (SIC), ``"oma"`` (time slots) or ``"cih"`` (SPEC §3).
        order: SIC decoding order under ``noma``: ``None`` or ``"gain"``
            (descending T, ties by index; per row in the batched form), or a
            permutation of 0-based user indices (shared by all rows).
        literal_eq6: ``paper`` only: eq. (6)'s interference as printed (SPEC §4.3).
        time_sharing: under ``oma``, divide the sums by K (SPEC §3).
        details: batched form only: with ``False`` the per-user diagnostics
            ``interference``, ``other_excess_noise``, ``exceeds_plob``,
            ``approximation_valid``, ``order`` and ``decode_position`` are
            ``None``, which halves the output memory (34 instead of 68 bytes per
            user) and the time of large sweeps. The single form always has them.
        out: batched form only: the :class:`RateResult` of an earlier batched call
            with the same shape ``(N, K)``, ``details`` and settings (the same
            arrays present). Its arrays are overwritten in place and returned in
            the new result, instead of new arrays: for loops over many batches of
            one shape, this saves allocating (and the operating system zeroing)
            the output memory. Arrays shared with an input are refused.

    Returns:
        A :class:`RateResult`.

    Raises:
        ValueError: bad input, with the CLI's one-line message naming the
            field, the value and what is allowed; in the batched form the
            element is named as ``transmittance[n, k]``.
    """
    ndim = np.ndim(transmittance)
    args = _scenario_args(
        transmittance,
        modulation_variance,
        excess_noise,
        detector_noise,
        detector_efficiency,
        reconciliation_efficiency,
        convention,
        model,
        access,
        order,
        literal_eq6,
        time_sharing,
    )[1:]
    if ndim <= 1:
        if out is not None:
            raise ValueError("out: not allowed for a single scenario; expected None (out= is for the batched form)")
        raw = _core.rates_single((np.atleast_1d(np.asarray(transmittance, dtype=np.float64)),) + args)
    elif ndim == 2:
        reuse = None
        if out is not None:
            if not isinstance(out, RateResult):
                raise ValueError(f"out: a {type(out).__name__} is not allowed; expected a RateResult of a batched call")
            reuse = {name: value for name, value in vars(out).items() if isinstance(value, np.ndarray)}
        raw = _core.rates_batch(np.asarray(transmittance, dtype=np.float64), *args, bool(details), reuse)
    else:
        raise ValueError(
            f"transmittance: a {ndim}-D array is not allowed; expected K values (1-D) or an (N, K) array (2-D)"
        )
    return RateResult(**raw)


#: Defaults of the finite-size keyword arguments of :func:`finite_rates`
#: (SPEC §9.2; read from the library).
FINITE_DEFAULTS: Dict[str, Any] = dict(_core.FINITE_DEFAULTS)


@dataclass(frozen=True)
class FiniteRateResult:
    """Result of :func:`finite_rates`: the fields of ``nomaqkd rate --finite-size
    --format json`` (SPEC §9.5, §11.5).

    Per-user arrays have shape ``(K,)``, users in input order. Where the CLI's
    JSON has ``null`` (a silent user, or ``estimation_inconclusive``), a float
    array holds NaN and ``pe_worst_corner`` holds ``None``; no other entry is NaN.

    Attributes:
        rate: the asymptotic figures, identical to :func:`rates` for the same
            arguments (its ``warnings`` are the asymptotic ones only).
        finite_secret_key_rate: K_k^fin, unclipped (bits/symbol of the user's slot).
        finite_holevo: S_PE,k, Eve's worst-case Holevo information (bits/symbol).
        pe_worst_corner: where S_PE,k was attained: ``"t_min"``, ``"t_max"`` or
            ``"interior"`` (a list).
        pe_transmittance_min, pe_transmittance_max: the confidence interval of T_k.
        pe_excess_noise_max: xi_max,k = xi(T_min,k, sigma^2_max,k) (SNU).
        pe_noise_variance_max: sigma^2_max,k (SNU per rescaled quadrature).
        finite_size_penalty: Delta(n) (bits per key symbol).
        estimation_inconclusive: sqrt(T_k) <= Delta t_k: no key for that user.
        eps_total: union bound on the failure probability of the user's key.
        finite_physical: the state at the worst point used is physical (SPEC §2).
        composable_secret_key_rate: K_k^comp (SPEC §9.6); ``None`` unless
            ``security="composable"``.
        min_block_size: per user, the smallest N in [1e3, 1e15] with a positive
            rate (NaN if none); ``None`` unless ``min_block_size=True``.
        sum_finite_secret_key_rate: sum_k slot_fraction*K_k^fin (inconclusive
            and silent users count 0).
        sum_finite_secret_key_rate_clipped: the same with max(0, K_k^fin).
        sum_composable_secret_key_rate, sum_composable_secret_key_rate_clipped:
            the composable sums (``None`` unless ``security="composable"``).
        min_block_size_sum: smallest N with a positive clipped sum (NaN if
            none; ``None`` unless ``min_block_size=True``).
        finite_size: the parameters used, as the JSON's ``finite_size`` object
            (with the normal quantile ``z``).
        warnings: the CLI's warning lines, asymptotic then finite-size.
    """

    rate: RateResult
    finite_secret_key_rate: np.ndarray
    finite_holevo: np.ndarray
    pe_worst_corner: List[Optional[str]]
    pe_transmittance_min: np.ndarray
    pe_transmittance_max: np.ndarray
    pe_excess_noise_max: np.ndarray
    pe_noise_variance_max: np.ndarray
    finite_size_penalty: np.ndarray
    estimation_inconclusive: np.ndarray
    eps_total: np.ndarray
    finite_physical: np.ndarray
    composable_secret_key_rate: Optional[np.ndarray]
    min_block_size: Optional[np.ndarray]
    sum_finite_secret_key_rate: float
    sum_finite_secret_key_rate_clipped: float
    sum_composable_secret_key_rate: Optional[float]
    sum_composable_secret_key_rate_clipped: Optional[float]
    min_block_size_sum: Optional[float]
    finite_size: Dict[str, Any]
    warnings: List[str]

    def to_dict(self) -> Dict[str, Any]:
        """The fields as a plain dict (``rate`` as a dict too; arrays stay numpy arrays)."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["rate"] = self.rate.to_dict()
        return d


def finite_rates(
    transmittance: Union[float, Sequence[float], np.ndarray],
    modulation_variance: Union[float, Sequence[float], np.ndarray],
    *,
    excess_noise: Union[float, Sequence[float], np.ndarray] = DEFAULT_EXCESS_NOISE_SNU,
    detector_noise: float = DEFAULT_DETECTOR_NOISE_SNU,
    detector_efficiency: float = DEFAULT_DETECTOR_EFFICIENCY,
    reconciliation_efficiency: float = DEFAULT_RECONCILIATION_EFFICIENCY,
    convention: str = "standard",
    model: str = "exact",
    access: str = "noma",
    order: Order = None,
    literal_eq6: bool = False,
    time_sharing: bool = True,
    block_size: float = FINITE_DEFAULTS["block_size"],
    pe_fraction: float = FINITE_DEFAULTS["pe_fraction"],
    eps_pe: float = FINITE_DEFAULTS["eps_pe"],
    eps_smooth: float = FINITE_DEFAULTS["eps_smooth"],
    eps_pa: float = FINITE_DEFAULTS["eps_pa"],
    pe_samples_per_symbol: int = FINITE_DEFAULTS["pe_samples_per_symbol"],
    worst_case: str = FINITE_DEFAULTS["worst_case"],
    security: str = FINITE_DEFAULTS["security"],
    min_block_size: bool = False,
) -> FiniteRateResult:
    """Finite-size key rates of one scenario (SPEC §9): ``nomaqkd rate --finite-size``.

    The arguments up to ``time_sharing`` are those of :func:`rates` (single
    scenario: numbers or 1-D arrays of K values). The others carry the names and
    defaults of the CLI's finite-size flags (SPEC §9.2, §11.5): ``--block-size``
    -> ``block_size`` and so on. Defined for ``standard`` and ``trusted`` with the
    exact model; other settings raise ValueError, as the CLI exits with code 2.

    Args:
        block_size: N, symbols per block (> 0).
        pe_fraction: p_PE, fraction of the symbols disclosed for parameter
            estimation, in (0, 1).
        eps_pe, eps_smooth, eps_pa: epsilon_PE, smoothing and privacy-amplification
            failure probabilities, each in (0, 1).
        pe_samples_per_symbol: r = 2 (q and p pooled) or 1 (LGG10's homodyne count).
        worst_case: ``"box"`` (max of chi over [T_min, T_max]) or ``"lgg10"``
            (the T_min corner).
        security: ``"collective"`` (LGG10) or ``"composable"`` (adds SPEC §9.6's rate).
        min_block_size: also search the smallest block size with a positive rate
            (slower: a bisection per user).

    Returns:
        A :class:`FiniteRateResult`.

    Raises:
        ValueError: bad input, with the CLI's one-line message.
    """
    if np.ndim(transmittance) > 1:
        raise ValueError(
            f"transmittance: a {np.ndim(transmittance)}-D array is not allowed; expected K values "
            "(finite_rates has no batched form)"
        )
    r = pe_samples_per_symbol
    # An integer, as --pe-samples-per-symbol (1 or 2, checked by the library).
    if isinstance(r, (bool, np.bool_)) or not isinstance(r, (int, np.integer)) or not -(2**63) <= int(r) < 2**63:
        raise ValueError(f"pe_samples_per_symbol: {r} is not allowed; expected 1 or 2")
    raw = _core.finite_rates_single(
        _scenario_args(
            np.atleast_1d(np.asarray(transmittance, dtype=np.float64)),
            modulation_variance,
            excess_noise,
            detector_noise,
            detector_efficiency,
            reconciliation_efficiency,
            convention,
            model,
            access,
            order,
            literal_eq6,
            time_sharing,
        ),
        float(block_size),
        float(pe_fraction),
        float(eps_pe),
        float(eps_smooth),
        float(eps_pa),
        int(r),
        str(worst_case),
        str(security),
        bool(min_block_size),
    )
    raw["rate"] = RateResult(**raw["rate"])
    return FiniteRateResult(**raw)


#: Defaults of ``symbols``, ``replicates``, ``coverage_replicates`` and ``sic`` of
#: :func:`simulate` (SPEC §10.6; read from the command line's code).
SIMULATE_DEFAULTS: Dict[str, Any] = dict(_core.SIMULATE_DEFAULTS)


@dataclass(frozen=True)
class SimulationResult:
    """Result of :func:`simulate`: the document of ``nomaqkd simulate --format json``
    (SPEC §10.4-§10.5, §11.5), with JSON objects as dicts and arrays as lists.

    Attributes:
        convention, access: the settings simulated.
        order: the SIC order (``None`` unless ``noma``).
        seed, symbols, replicates, sic: the run's seed, N_MC, R and SIC mode.
        plan: every parameter of the run (confidence, coverage replicates, ...).
        z_variance_interval: acceptance interval of the sample variance of z
            (``None`` for one replicate).
        users: per user (input order) a dict: ``user``, ``active``, ``targets``
            (the analytic values), ``estimates`` (per quantity: ``target``,
            ``std_error``, ``estimates``, ``intervals``, ``z_scores``, the
            statistics and pass flags), ``residual_excess_kurtosis``,
            ``kurtosis_bound``, ``kurtosis_passed``, ``coverage``, ``t_min`` and
            ``checks_passed``; ``None`` where a silent user has no estimates. Dict
            keys are in alphabetical order.
        all_checks_passed: every check of every active user passed.
        warnings: notes of the run (e.g. an uninformative xi check, SPEC §10.6).
    """

    convention: str
    access: str
    order: Optional[List[int]]
    seed: int
    symbols: int
    replicates: int
    sic: str
    plan: Dict[str, Any]
    z_variance_interval: Optional[List[float]]
    users: List[Dict[str, Any]]
    all_checks_passed: bool
    warnings: List[str]

    def to_dict(self) -> Dict[str, Any]:
        """The fields as a plain dict (the JSON document's content)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def simulate(
    transmittance: Union[float, Sequence[float], np.ndarray],
    modulation_variance: Union[float, Sequence[float], np.ndarray],
    *,
    excess_noise: Union[float, Sequence[float], np.ndarray] = DEFAULT_EXCESS_NOISE_SNU,
    detector_noise: float = DEFAULT_DETECTOR_NOISE_SNU,
    detector_efficiency: float = DEFAULT_DETECTOR_EFFICIENCY,
    reconciliation_efficiency: float = DEFAULT_RECONCILIATION_EFFICIENCY,
    convention: str = "standard",
    model: str = "exact",
    access: str = "noma",
    order: Order = None,
    literal_eq6: bool = False,
    time_sharing: bool = True,
    symbols: int = SIMULATE_DEFAULTS["symbols"],
    replicates: int = SIMULATE_DEFAULTS["replicates"],
    sic: str = SIMULATE_DEFAULTS["sic"],
    coverage_replicates: int = SIMULATE_DEFAULTS["coverage_replicates"],
    seed: int = 1,
) -> SimulationResult:
    """Quadrature-level Monte Carlo of one scenario (SPEC §10): ``nomaqkd simulate``.

    Draws the users' Gaussian quadratures, the channel and Eve's noise, runs the
    base station's SIC and checks that the estimated T, sigma^2, xi, xi_eff, I and
    chi agree with the analytic model (z-scores, coverage of the PE bounds, the T_min
    run). Seeded: the same arguments give the same result, for any number of
    threads. The arguments up to ``time_sharing`` are those of :func:`rates`
    (one scenario; ``standard`` or ``trusted``, exact model); the others are the
    CLI's flags with its defaults (SPEC §11.5).

    Args:
        symbols: N_MC, symbols per replicate, an integer in [1, 1e15] (1e6 is accepted).
        replicates: R, an integer in [1, 1e6] (the result holds every replicate).
        sic: ``"genie"`` (subtract the true sqrt(T_j) x_j) or ``"estimated"``.
        coverage_replicates: replicates of the PE coverage check (1e4 symbols
            each), an integer in [0, 1e6]; 0 skips it and the T_min check.
        seed: a non-negative integer below 2^64 (a whole float up to 2^53), as ``--seed``.

    The run releases the GIL and uses rayon's pool (``RAYON_NUM_THREADS``); it has
    no progress bar. Ctrl-C (main thread only) stops it within the chunks of symbols
    in progress and raises KeyboardInterrupt (there is no partial result). With the defaults (2e7
    symbols in the replicates, 2e7 in the coverage check) two users took 3.3 s on
    this project's unloaded 2-core machine.

    Returns:
        A :class:`SimulationResult`.

    Raises:
        ValueError: bad input, with the CLI's one-line message (the seed's message
            is this function's own).
        KeyboardInterrupt: Ctrl-C.
    """
    if np.ndim(transmittance) > 1:
        raise ValueError(
            f"transmittance: a {np.ndim(transmittance)}-D array is not allowed; expected K values "
            "(simulate has no batched form)"
        )
    # As --seed (SPEC §11.1: u64): an integer in [0, 2^64), or a whole float up to 2^53.
    if isinstance(seed, (bool, np.bool_)):
        ok = False
    elif isinstance(seed, (int, np.integer)):
        ok = 0 <= int(seed) < 2**64
    elif isinstance(seed, (float, np.floating)):
        ok = float(seed).is_integer() and 0 <= seed <= 2**53
    else:
        ok = False
    if not ok:
        raise ValueError(f"seed: {seed} is not allowed; expected a non-negative integer below 2^64")
    raw = _core.simulate_single(
        _scenario_args(
            np.atleast_1d(np.asarray(transmittance, dtype=np.float64)),
            modulation_variance,
            excess_noise,
            detector_noise,
            detector_efficiency,
            reconciliation_efficiency,
            convention,
            model,
            access,
            order,
            literal_eq6,
            time_sharing,
        ),
        symbols,
        replicates,
        str(sic),
        coverage_replicates,
        int(seed),
    )
    return SimulationResult(**raw)


def _scalar_or_array(x: Any, out: np.ndarray) -> Union[float, np.ndarray]:
    return float(out) if np.ndim(x) == 0 else out


@overload
def dbm_to_variance(
    power_dbm: float, *, wavelength_m: float = ..., symbol_rate_baud: float = ...
) -> float: ...
@overload
def dbm_to_variance(
    power_dbm: ArrayIn, *, wavelength_m: float = ..., symbol_rate_baud: float = ...
) -> np.ndarray: ...
def dbm_to_variance(
    power_dbm: ArrayLike,
    *,
    wavelength_m: float = DEFAULT_WAVELENGTH_M,
    symbol_rate_baud: float = DEFAULT_SYMBOL_RATE_BAUD,
) -> Union[float, np.ndarray]:
    """Optical power (dBm) -> modulation variance V_A (SNU per quadrature), SPEC §5.

    V_A = 2P/(E_ph*R_s) with P = 10^((P_dBm - 30)/10) W and E_ph = h*c/lambda.
    -80 dBm gives 15.606 SNU at 1550 nm and 10 MBd. ``-inf`` dBm gives 0
    (silent). Works element-wise on arrays; a number gives a float.
    """
    out = _core.dbm_to_variance(power_dbm, float(wavelength_m), float(symbol_rate_baud))
    return _scalar_or_array(power_dbm, out)


@overload
def variance_to_dbm(
    modulation_variance: float, *, wavelength_m: float = ..., symbol_rate_baud: float = ...
) -> float: ...
@overload
def variance_to_dbm(
    modulation_variance: ArrayIn, *, wavelength_m: float = ..., symbol_rate_baud: float = ...
) -> np.ndarray: ...
def variance_to_dbm(
    modulation_variance: ArrayLike,
    *,
    wavelength_m: float = DEFAULT_WAVELENGTH_M,
    symbol_rate_baud: float = DEFAULT_SYMBOL_RATE_BAUD,
) -> Union[float, np.ndarray]:
    """Modulation variance V_A (SNU) -> optical power (dBm), the inverse of
    :func:`dbm_to_variance` (SPEC §5). V_A = 0 gives -inf dBm."""
    out = _core.variance_to_dbm(modulation_variance, float(wavelength_m), float(symbol_rate_baud))
    return _scalar_or_array(modulation_variance, out)


@overload
def transmittance_from_distance(
    distance_m: float,
    *,
    convention: str = ...,
    detector_efficiency: float = ...,
    tx_aperture_m: float = ...,
    rx_aperture_m: float = ...,
    wavelength_m: float = ...,
    divergence_rad: float = ...,
    attenuation_db_per_km: float = ...,
    fading: float = ...,
) -> float: ...
@overload
def transmittance_from_distance(
    distance_m: ArrayIn,
    *,
    convention: str = ...,
    detector_efficiency: float = ...,
    tx_aperture_m: float = ...,
    rx_aperture_m: float = ...,
    wavelength_m: float = ...,
    divergence_rad: float = ...,
    attenuation_db_per_km: float = ...,
    fading: float = ...,
) -> np.ndarray: ...
def transmittance_from_distance(
    distance_m: ArrayLike,
    *,
    convention: str = "standard",
    detector_efficiency: float = DEFAULT_DETECTOR_EFFICIENCY,
    tx_aperture_m: float = 0.1,
    rx_aperture_m: float = 1.0,
    wavelength_m: float = DEFAULT_WAVELENGTH_M,
    divergence_rad: float = 3e-3,
    attenuation_db_per_km: float = 3.0,
    fading: float = 1.0,
) -> Union[float, np.ndarray]:
    """Free-space link distance (m) -> transmittance T (dimensionless), SPEC §6.

    T = [tau_d under standard/paper] * C(d) * 10^(-alpha*d/10000) * F, clipped
    to [1e-9, 0.999], with the aperture capture C(d) = 1 - exp(-2a^2/w(d)^2),
    a = D_R/2, w(d)^2 = (D_T/2)^2 + (theta*d)^2. ``fading`` is the turbulence
    factor F (1 = none). Keyword names and defaults are the CLI's flags
    (SPEC §11.1). Works element-wise on arrays; a number gives a float.
    """
    out = _core.transmittance_from_distance(
        distance_m,
        convention,
        float(detector_efficiency),
        float(tx_aperture_m),
        float(rx_aperture_m),
        float(wavelength_m),
        float(divergence_rad),
        float(attenuation_db_per_km),
        float(fading),
    )
    return _scalar_or_array(distance_m, out)


# ---------------------------------------------------------------------------
# Power allocation (SPEC §7, §11.4)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Allocation(RateResult):
    """Result of :func:`optimize`: the fields of ``nomaqkd optimize --format json``
    (SPEC §11.4), per-user values as numpy arrays of shape ``(K,)`` in input order.

    It is a :class:`RateResult` (every field of SPEC §11.3, evaluated at the
    optimized powers) with these fields added:

    Attributes:
        slot_fraction: per user here (an array, not one number): the share of
            the symbols each user owns -- 1 under NOMA/CIH, 1/K under
            time-shared OMA, and 1 for the chosen user, 0 for the others,
            under ``oma-best`` (SPEC §3, §7).
        transmittance: T_k used (dimensionless).
        modulation_variance: the optimized V_A,k (SNU; 0 = silent). Under
            ``convention="paper"`` this is V_a (SPEC §4.3).
        policy: ``"sca"``, ``"global"``, ``"qoma"``, ``"qoma-opt"``,
            ``"oma-best"``, ``"uqpa"`` or ``"cih"`` (SPEC §7).
        objective: ``"clipped"`` or ``"raw"`` (SPEC §7).
        budget: B = V_max^BS - sum_i (1 - T_i)*xi_i - delta^2 (SNU, SPEC §5);
            the constraint is sum_k T_k*V_A,k <= B.
        status: ``"converged"``, ``"max_iterations"``, ``"closed_form"``
            (rule-based policies) or ``"stalled"``.
        iterations: SCA iterations of the run that produced the result (0 for
            ``closed_form``).
        objective_history: the objective (bits/symbol) after each iteration;
            element 0 is the start (one value for ``closed_form``).
        kkt_residual: norm of the scaled projected gradient on the active set;
            ``None`` for ``closed_form``.
        active_users: sorted 0-based users with V_A > 0 (int64).
        search: what the search did (starts, grid, active-set moves).
        warnings: the CLI's warning lines, including the iteration-cap line.
    """

    slot_fraction: np.ndarray  # type: ignore[assignment]
    transmittance: np.ndarray
    modulation_variance: np.ndarray
    policy: str
    objective: str
    budget: float
    status: str
    iterations: int
    objective_history: np.ndarray
    kkt_residual: Optional[float]
    active_users: np.ndarray
    search: str


@dataclass(frozen=True)
class Comparison:
    """Result of :func:`compare` (``nomaqkd optimize --compare --format json``, SPEC §11.4).

    Attributes:
        policies: one :class:`Allocation` per policy, keyed by policy name, in the
            CLI's order (global, sca, qoma, qoma-opt, oma-best, uqpa, cih);
            skipped policies are absent.
        gain_over_qoma_percent: per policy, 100*(S/S_qoma - 1) on the clipped
            sum S (``None`` when the reference is 0).
        gain_over_oma_best_percent: the same against ``oma-best``.
        skipped: policy -> reason; ``sca`` is skipped when B < V_min*sum_k T_k
            (it keeps every user active).
    """

    policies: Dict[str, Allocation]
    gain_over_qoma_percent: Dict[str, Optional[float]]
    gain_over_oma_best_percent: Dict[str, Optional[float]]
    skipped: Dict[str, str]

    def to_dict(self) -> Dict[str, Any]:
        """The fields as a plain dict (allocations as dicts)."""
        return {
            "policies": {k: a.to_dict() for k, a in self.policies.items()},
            "gain_over_qoma_percent": dict(self.gain_over_qoma_percent),
            "gain_over_oma_best_percent": dict(self.gain_over_oma_best_percent),
            "skipped": dict(self.skipped),
        }


def _count_arg(x: Any) -> str:
    # The CLI parses --starts/--max-iterations as text; a non-integer fails with its message.
    if isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)):
        return str(int(x))
    return str(x)


def _optional_float(x: Any) -> Optional[float]:
    return None if x is None else float(x)


def _allocation_args(
    transmittance: ArrayLike,
    excess_noise: ArrayLike,
    detector_noise: float,
    detector_efficiency: float,
    reconciliation_efficiency: float,
    convention: str,
    model: str,
    access: str,
    order: Order,
    literal_eq6: bool,
    time_sharing: bool,
    bs_max_variance: Optional[float],
    bs_max_dbm: Optional[float],
    user_max_variance: Optional[ArrayLike],
    policy: Optional[str],
    objective: str,
    starts: int,
    tolerance: float,
    max_iterations: int,
    wavelength_m: float,
    symbol_rate_baud: float,
) -> Dict[str, Any]:
    return _core.optimize_raw(
        np.atleast_1d(np.asarray(transmittance, dtype=np.float64)),
        excess_noise,
        float(detector_noise),
        float(detector_efficiency),
        float(reconciliation_efficiency),
        convention,
        model,
        access,
        order,
        bool(literal_eq6),
        bool(time_sharing),
        _optional_float(bs_max_variance),
        _optional_float(bs_max_dbm),
        None if user_max_variance is None else np.atleast_1d(np.asarray(user_max_variance, dtype=np.float64)),
        policy,
        objective,
        _count_arg(starts),
        float(tolerance),
        _count_arg(max_iterations),
        float(wavelength_m),
        float(symbol_rate_baud),
    )


def optimize(
    transmittance: ArrayLike,
    *,
    bs_max_variance: Optional[float] = None,
    bs_max_dbm: Optional[float] = None,
    user_max_variance: Optional[ArrayLike] = None,
    policy: str = "global",
    objective: str = "clipped",
    starts: int = 32,
    tolerance: float = 1e-9,
    max_iterations: int = 100,
    excess_noise: ArrayLike = DEFAULT_EXCESS_NOISE_SNU,
    detector_noise: float = DEFAULT_DETECTOR_NOISE_SNU,
    detector_efficiency: float = DEFAULT_DETECTOR_EFFICIENCY,
    reconciliation_efficiency: float = DEFAULT_RECONCILIATION_EFFICIENCY,
    convention: str = "standard",
    model: str = "exact",
    access: str = "noma",
    order: Order = None,
    literal_eq6: bool = False,
    time_sharing: bool = True,
    wavelength_m: float = DEFAULT_WAVELENGTH_M,
    symbol_rate_baud: float = DEFAULT_SYMBOL_RATE_BAUD,
) -> Allocation:
    """Optimize the users' powers: problem P1 of SPEC §7 (``nomaqkd optimize``).

    Maximizes the sum secret key rate subject to sum_k T_k*V_A,k <= B, with the
    budget B = V_max^BS - sum_k (1 - T_k)*xi_k - delta^2 (SNU, SPEC §5). Runs
    ``nomaqkd::alloc::optimize`` with the GIL released; the result equals
    ``nomaqkd optimize --format json`` field by field (SPEC §11.4). Keyword
    names and defaults are those of the CLI flags (SPEC §11.1).

    Args:
        transmittance: T_k in (0, 1) per user (dimensionless), 1-D; defines K.
        bs_max_variance: base-station limit V_max^BS (SNU). Give exactly one of
            ``bs_max_variance`` and ``bs_max_dbm``.
        bs_max_dbm: the same limit in dBm, converted with ``wavelength_m`` and
            ``symbol_rate_baud`` (SPEC §5).
        user_max_variance: per-user caps on V_A,k (SNU), one value or K values;
            ``None`` = no caps.
        policy: ``"global"`` (multi-start SCA with active-set moves, default),
            ``"sca"`` (SCA from equal power, every user active), or a rule-based
            benchmark: ``"qoma"``, ``"qoma-opt"``, ``"oma-best"``, ``"uqpa"``,
            ``"cih"`` (SPEC §7, paper Sec. V-B).
        objective: ``"clipped"`` (silent users add 0, default) or ``"raw"``
            (eq. (21) over all users with V_A,k >= V_min).
        starts: number of starts of ``global`` (integer in [1, 1e6]).
        tolerance: SCA stops when an iteration gains <= tolerance*max(1, |f|)
            (bits/symbol).
        max_iterations: iteration cap of one SCA run (integer in [1, 1e6]).
        excess_noise: xi_k >= 0 (SNU, input-referred), one value or one per user.
        detector_noise: delta^2 >= 0 (SNU).
        detector_efficiency: tau_d in (0, 1] (SPEC §4.2).
        reconciliation_efficiency: eta in (0, 1].
        convention: ``"standard"``, ``"trusted"`` or ``"paper"`` (SPEC §4).
        model: ``"exact"`` or ``"asymptotic"`` (SPEC §4.4).
        access: scheme that ``sca``/``global`` optimize for (``"noma"``
            default); rule-based policies set their own.
        order: SIC order: ``None``/``"gain"`` (descending T), ``"best"``
            (search over orders), or a permutation of 0-based user indices.
        literal_eq6: ``paper`` only, eq. (6) as printed (SPEC §4.3).
        time_sharing: under ``oma``, divide the sums by K (SPEC §3).
        wavelength_m: wavelength for the dBm conversion (m, SPEC §5).
        symbol_rate_baud: symbol rate for the dBm conversion (baud, SPEC §5).

    Returns:
        An :class:`Allocation`.

    Raises:
        ValueError: bad input, with the CLI's one-line message (without its
            ``error:`` prefix), e.g. a budget below the noise floor, an unknown
            policy, NaN.
    """
    if policy is None:
        raise ValueError("--policy: `None` is not allowed; expected one of sca, global, qoma, qoma-opt, oma-best, uqpa, cih")
    raw = _allocation_args(
        transmittance, excess_noise, detector_noise, detector_efficiency, reconciliation_efficiency,
        convention, model, access, order, literal_eq6, time_sharing, bs_max_variance, bs_max_dbm,
        user_max_variance, str(policy), objective, starts, tolerance, max_iterations, wavelength_m,
        symbol_rate_baud,
    )
    return Allocation(**raw)


def compare(
    transmittance: ArrayLike,
    *,
    bs_max_variance: Optional[float] = None,
    bs_max_dbm: Optional[float] = None,
    user_max_variance: Optional[ArrayLike] = None,
    objective: str = "clipped",
    starts: int = 32,
    tolerance: float = 1e-9,
    max_iterations: int = 100,
    excess_noise: ArrayLike = DEFAULT_EXCESS_NOISE_SNU,
    detector_noise: float = DEFAULT_DETECTOR_NOISE_SNU,
    detector_efficiency: float = DEFAULT_DETECTOR_EFFICIENCY,
    reconciliation_efficiency: float = DEFAULT_RECONCILIATION_EFFICIENCY,
    convention: str = "standard",
    model: str = "exact",
    access: str = "noma",
    order: Order = None,
    literal_eq6: bool = False,
    time_sharing: bool = True,
    wavelength_m: float = DEFAULT_WAVELENGTH_M,
    symbol_rate_baud: float = DEFAULT_SYMBOL_RATE_BAUD,
) -> Comparison:
    """Every policy of SPEC §7 on one scenario (``nomaqkd optimize --compare``).

    Same arguments as :func:`optimize` without ``policy``. Gains are on the
    clipped sum rate, in percent: 100*(S_policy/S_ref - 1) for the references
    ``qoma`` and ``oma-best`` (``None`` when S_ref = 0). ``sca`` is skipped
    (listed in ``skipped`` with the reason) when B < V_min*sum_k T_k. Runs with
    the GIL released.

    Returns:
        A :class:`Comparison`.

    Raises:
        ValueError: bad input, with the CLI's one-line message.
    """
    raw = _allocation_args(
        transmittance, excess_noise, detector_noise, detector_efficiency, reconciliation_efficiency,
        convention, model, access, order, literal_eq6, time_sharing, bs_max_variance, bs_max_dbm,
        user_max_variance, None, objective, starts, tolerance, max_iterations, wavelength_m,
        symbol_rate_baud,
    )
    return Comparison(
        policies={d["policy"]: Allocation(**d) for d in raw["policies"]},
        gain_over_qoma_percent=raw["gain_over_qoma_percent"],
        gain_over_oma_best_percent=raw["gain_over_oma_best_percent"],
        skipped=raw["skipped"],
    )


# ---------------------------------------------------------------------------
# Sweeps (``nomaqkd sweep``)
# ---------------------------------------------------------------------------

#: Integer columns of the sweep CSV (the others are floats, or strings below).
_SWEEP_INT_COLUMNS = frozenset(
    [
        "point",
        "realizations",
        "unphysical_realizations",
        "above_plob_realizations",
        "unphysical_users",
        "above_plob_users",
        "infeasible_realizations",
        "iteration_cap_realizations",
    ]
)
_SWEEP_STR_COLUMNS = frozenset(["convention", "model", "policy"])


def _plain(x: Any) -> Any:
    """numpy scalars/arrays -> Python values, recursively (for the TOML conversion)."""
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, Mapping):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    return x


def _read_sweep_csv(path: str) -> Dict[str, np.ndarray]:
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    out: Dict[str, np.ndarray] = {}
    for j, name in enumerate(header):
        cells = [r[j] for r in body]
        if name in _SWEEP_STR_COLUMNS:
            out[name] = np.array(cells, dtype=str)
        elif name in _SWEEP_INT_COLUMNS:
            out[name] = np.array([int(c) for c in cells], dtype=np.int64)
        else:
            # The CLI writes the shortest round-trip form: float() gives the exact value back.
            out[name] = np.array([float(c) for c in cells], dtype=np.float64)
    return out


def sweep(
    scenario: Union[str, "os.PathLike[str]", Mapping[str, Any]],
    *,
    quick: bool = False,
    out: Union[None, str, "os.PathLike[str]"] = None,
    resume: bool = False,
) -> Dict[str, np.ndarray]:
    """Run a sweep scenario: a grid of parameters with turbulence Monte Carlo
    (``nomaqkd sweep``; SPEC §5-§7, paper Sec. V).

    The scenario is a TOML file path or a dict with the same keys (``[[axes]]``
    as a list of dicts); a dict is turned into TOML text and read by the CLI's
    own parser, so keys, defaults and error messages are those of
    ``nomaqkd sweep``. Points run in parallel (rayon, ``RAYON_NUM_THREADS``)
    with the GIL released; results do not depend on the thread count. No
    progress output; no plot (use ``nomaqkd sweep`` for the figure).

    Ctrl-C (KeyboardInterrupt, main thread only) stops a run as a first Ctrl-C
    stops ``nomaqkd sweep``: no new point starts, the points in progress finish,
    their rows are written, then KeyboardInterrupt is raised (a second Ctrl-C
    meanwhile is absorbed). With ``out``, the rows written so far stay in
    ``<name>.csv``, and ``resume=True`` continues the run from there (for a TOML
    path, ``nomaqkd sweep --resume`` can too); the rows are those of an
    uninterrupted run.

    Args:
        scenario: TOML path or dict (SPEC §11.1 key names, plus the sweep keys:
            ``users``, ``distance_range_m``, ``policies``, ``conventions``,
            ``models``, ``realizations``, ``quick_realizations``, ``seed``,
            ``axes``, ...; see scenarios/*.toml).
        quick: use the scenario's ``quick_*`` values (``--quick``).
        out: directory to keep ``<name>.csv`` and ``<name>.json`` (metadata) in,
            as ``nomaqkd sweep --out``; ``None`` = a temporary directory.
        resume: continue the interrupted run in ``out`` (``--resume``): its
            finished points are kept and the rest computed (the same scenario and
            ``quick`` only; a run that is not there starts from the beginning).

    Returns:
        The CSV's columns as numpy arrays, in the CLI's column order: ``point``
        (int64), one float column per swept axis (``power_dbm`` in dBm,
        ``distance_m`` in m, ``sigma_x``, ``transmittance``, ``excess_noise``
        in SNU, ``users``), ``convention``, ``model``, ``policy`` (str),
        ``realizations`` (int64), ``sum_rate_clipped_mean``/``_ci95``,
        ``sum_rate_mean``/``_ci95``, ``sum_holevo_mean``/``_ci95`` (bits/symbol;
        ci95 = half-width of the 95 % confidence interval of the mean),
        ``positive_users_mean``, ``active_users_mean`` (float) and the int64
        counts ``unphysical_realizations``, ``above_plob_realizations``,
        ``unphysical_users``, ``above_plob_users``, ``infeasible_realizations``,
        ``iteration_cap_realizations``. One row per (point, variant).

    Raises:
        ValueError: bad scenario, with the CLI's one-line message; ``resume``
            without ``out``, or with files of another scenario (the CLI's message).
        OSError: the output directory or files cannot be written.
        KeyboardInterrupt: Ctrl-C, once the points in progress are written.
    """
    src: Any = scenario
    if isinstance(scenario, Mapping):
        src = _plain(dict(scenario))
    elif isinstance(scenario, os.PathLike):
        src = os.fspath(scenario)
    elif not isinstance(scenario, str):
        raise ValueError("scenario: expected a path to a TOML file (str or os.PathLike) or a dict")
    if out is not None:
        info = _core.sweep_raw(src, bool(quick), os.fspath(out), bool(resume))
        return _read_sweep_csv(info["csv"])
    if resume:
        raise ValueError("resume: needs out, the directory of the run to continue")
    with tempfile.TemporaryDirectory(prefix="nomaqkd-sweep-") as tmp:
        info = _core.sweep_raw(src, bool(quick), tmp, False)
        return _read_sweep_csv(info["csv"])
