"""Type stubs of the compiled module ``nomaqkd._core`` (internal; use the
functions of :mod:`nomaqkd`, which document units and SPEC sections)."""

from typing import Any, Dict, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

__version__: str
DEFAULT_EXCESS_NOISE_SNU: float
DEFAULT_DETECTOR_NOISE_SNU: float
DEFAULT_DETECTOR_EFFICIENCY: float
DEFAULT_RECONCILIATION_EFFICIENCY: float
DEFAULT_WAVELENGTH_M: float
DEFAULT_SYMBOL_RATE_BAUD: float
FINITE_DEFAULTS: Dict[str, Any]
SIMULATE_DEFAULTS: Dict[str, Any]

_Order = Union[None, str, Sequence[int], npt.NDArray[np.integer]]
# transmittance, modulation_variance, excess_noise, detector_noise, detector_efficiency,
# reconciliation_efficiency, convention, model, access, order, literal_eq6, time_sharing
_Scenario = Tuple[
    npt.ArrayLike, npt.ArrayLike, npt.ArrayLike, float, float, float, str, str, str, _Order, bool, bool
]

def rates_single(
    scenario: _Scenario,
) -> Dict[str, Any]: ...
def rates_batch(
    transmittance: npt.ArrayLike,
    modulation_variance: npt.ArrayLike,
    excess_noise: npt.ArrayLike,
    detector_noise: float,
    detector_efficiency: float,
    reconciliation_efficiency: float,
    convention: str,
    model: str,
    access: str,
    order: _Order,
    literal_eq6: bool,
    time_sharing: bool,
    details: bool = ...,
    out: Optional[Dict[str, Any]] = ...,
) -> Dict[str, Any]: ...
def finite_rates_single(
    scenario: _Scenario,
    block_size: float,
    pe_fraction: float,
    eps_pe: float,
    eps_smooth: float,
    eps_pa: float,
    pe_samples_per_symbol: int,
    worst_case: str,
    security: str,
    min_block_size: bool,
) -> Dict[str, Any]: ...
def simulate_single(
    scenario: _Scenario,
    symbols: Any,
    replicates: Any,
    sic: str,
    coverage_replicates: Any,
    seed: int,
) -> Dict[str, Any]: ...
def dbm_to_variance(
    power_dbm: npt.ArrayLike, wavelength_m: float, symbol_rate_baud: float
) -> npt.NDArray[np.float64]: ...
def variance_to_dbm(
    modulation_variance: npt.ArrayLike, wavelength_m: float, symbol_rate_baud: float
) -> npt.NDArray[np.float64]: ...
def transmittance_from_distance(
    distance_m: npt.ArrayLike,
    convention: str,
    detector_efficiency: float,
    tx_aperture_m: float,
    rx_aperture_m: float,
    wavelength_m: float,
    divergence_rad: float,
    attenuation_db_per_km: float,
    fading: float,
) -> npt.NDArray[np.float64]: ...
def optimize_raw(
    transmittance: npt.ArrayLike,
    excess_noise: npt.ArrayLike,
    detector_noise: float,
    detector_efficiency: float,
    reconciliation_efficiency: float,
    convention: str,
    model: str,
    access: str,
    order: _Order,
    literal_eq6: bool,
    time_sharing: bool,
    bs_max_variance: Optional[float],
    bs_max_dbm: Optional[float],
    user_max_variance: Optional[npt.ArrayLike],
    policy: Optional[str],
    objective: str,
    starts: str,
    tolerance: float,
    max_iterations: str,
    wavelength_m: float,
    symbol_rate_baud: float,
) -> Dict[str, Any]:
    """One allocation's fields (``policy`` given) or, with ``policy=None``, the
    compare dict ``{policies: [...], gain_over_qoma_percent, gain_over_oma_best_percent, skipped}``."""
    ...
def sweep_raw(scenario: Union[str, Dict[str, Any]], quick: bool, out_dir: str, resume: bool) -> Dict[str, Any]:
    """Run a sweep into ``out_dir`` (``resume``: continue an interrupted run there);
    returns ``name``, ``csv``, ``metadata``, ``header``, ``complete``, ``points``,
    ``resumed_points``, ``computed_points``, ``wall_seconds``, ``evaluations``.
    KeyboardInterrupt stops the workers; it is raised once the rows of the points in
    progress are written."""
    ...
def _panic_for_tests(in_worker: bool = False) -> int:
    """Raise a Rust panic (tests only); surfaces as ``pyo3_runtime.PanicException``."""
    ...
