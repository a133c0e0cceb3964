"""nomaqkd: secret key rates for uplink NOMA continuous-variable QKD.

Python bindings of the nomaqkd Rust core (PyO3). The Python side holds no
physics: every number comes from the same library as the ``nomaqkd`` command
line, so results are identical to ``nomaqkd rate --format json``.

Units: variances in shot-noise units (SNU) per quadrature, rates in bits per
symbol, powers in dBm, distances in metres. Section numbers (§) refer to the
project's SPEC.md.

Wrapped so far:

* :func:`rates` -- per-user and sum secret key rates (SPEC §2-§4, §11.3),
  single scenario (1-D arrays) or batched (2-D arrays, parallel, GIL released);
* :func:`dbm_to_variance`, :func:`variance_to_dbm` (SPEC §5);
* :func:`transmittance_from_distance` (SPEC §6).

Not yet wrapped: ``optimize``/``compare`` (power allocation, SPEC §7) and
``sweep`` (SPEC §V figures); they are being built in the Rust core.

Bad input raises :class:`ValueError` with the CLI's one-line message.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Dict, List, Optional, Sequence, Union, overload

import numpy as np

from . import _core

__version__: str = _core.__version__

__all__ = [
    "RateResult",
    "rates",
    "dbm_to_variance",
    "variance_to_dbm",
    "transmittance_from_distance",
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
            decoded first (int64; ``None`` under ``oma``/``cih``).
        decode_position: position of each user in ``order`` (int64; ``None``
            unless ``noma``).
        slot_fraction: share of the symbols each user owns: 1, or 1/K under
            time-shared ``oma`` (SPEC §3).
        interference: V_I,k as it enters Z, T-weighted (SNU).
        other_excess_noise: X_k, the other active users' T_i*xi_i (SNU, SPEC §4.1).
        mutual_information: I_k (bits/symbol).
        holevo: Eve's Holevo information chi_k (bits/symbol).
        secret_key_rate: SKR_k = eta*I_k - chi_k, unclipped (bits/symbol of the
            user's own slot).
        plob_bound: -log2(1 - T_k) (bits/channel use, SPEC §2).
        physical: the exact state's symplectic eigenvalues are all >= 1 - 1e-9 (SPEC §2).
        exceeds_plob: ``secret_key_rate > plob_bound``.
        silent: V_A,k == 0 (SPEC §4).
        approximation_valid: asymptotic model only (else ``None``): the
            large-modulation eigenvalues are >= 1 (SPEC §4.4).
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
    interference: np.ndarray
    other_excess_noise: np.ndarray
    mutual_information: np.ndarray
    holevo: np.ndarray
    secret_key_rate: np.ndarray
    plob_bound: np.ndarray
    physical: np.ndarray
    exceeds_plob: np.ndarray
    silent: np.ndarray
    approximation_valid: Optional[np.ndarray]
    sum_secret_key_rate: Union[float, np.ndarray]
    sum_secret_key_rate_clipped: Union[float, np.ndarray]
    joint_channel_physical: Union[bool, np.ndarray]
    warnings: Optional[List[str]]

    def to_dict(self) -> Dict[str, Any]:
        """The fields as a plain dict (arrays stay numpy arrays)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


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
      threads) with the GIL released; results equal the single form row by row.

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

    Returns:
        A :class:`RateResult`.

    Raises:
        ValueError: bad input, with the CLI's one-line message naming the
            field, the value and what is allowed; in the batched form the
            element is named as ``transmittance[n, k]``.
    """
    ndim = np.ndim(transmittance)
    args = (
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
    if ndim <= 1:
        raw = _core.rates_single(np.atleast_1d(np.asarray(transmittance, dtype=np.float64)), *args)
    elif ndim == 2:
        raw = _core.rates_batch(np.asarray(transmittance, dtype=np.float64), *args)
    else:
        raise ValueError(
            f"transmittance: a {ndim}-D array is not allowed; expected K values (1-D) or an (N, K) array (2-D)"
        )
    return RateResult(**raw)


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
