//! Optical power ↔ modulation variance and the received-power budget (SPEC §5).

use crate::error::{fmt_value, InputError};
use crate::rates::Network;

/// Planck constant (J·s), exact SI value.
pub const PLANCK_J_S: f64 = 6.626_070_15e-34;
/// Speed of light in vacuum (m/s), exact SI value.
pub const SPEED_OF_LIGHT_M_S: f64 = 299_792_458.0;
/// Default wavelength (m): 1550 nm (Table II).
pub const DEFAULT_WAVELENGTH_M: f64 = 1.55e-6;
/// Default symbol rate (baud): 10 MBd (SPEC §5).
pub const DEFAULT_SYMBOL_RATE_BAUD: f64 = 1e7;

/// Photon energy E_ph = h·c/λ (J) at wavelength `wavelength_m` (m).
pub fn photon_energy_j(wavelength_m: f64) -> f64 {
    PLANCK_J_S * SPEED_OF_LIGHT_M_S / wavelength_m
}

/// Optical power in dBm → modulation variance per quadrature (SNU):
/// V_A = 2·P/(E_ph·R_s), P = 10^((P_dBm − 30)/10) W (SPEC §5).
/// −80 dBm ↔ 15.606 SNU at 1550 nm and 10 MBd.
pub fn dbm_to_variance(power_dbm: f64, wavelength_m: f64, symbol_rate_baud: f64) -> f64 {
    let watts = 10f64.powf((power_dbm - 30.0) / 10.0);
    2.0 * watts / (photon_energy_j(wavelength_m) * symbol_rate_baud)
}

/// Inverse of [`dbm_to_variance`]: modulation variance (SNU) → power (dBm).
/// V_A = 0 maps to −∞ dBm.
pub fn variance_to_dbm(modulation_variance: f64, wavelength_m: f64, symbol_rate_baud: f64) -> f64 {
    let watts = modulation_variance * photon_energy_j(wavelength_m) * symbol_rate_baud / 2.0;
    10.0 * watts.log10() + 30.0
}

/// Validate a wavelength (m) and symbol rate (baud) pair: both finite and > 0.
pub fn validate_conversion(wavelength_m: f64, symbol_rate_baud: f64) -> Result<(), InputError> {
    if !(wavelength_m.is_finite() && wavelength_m > 0.0) {
        return Err(InputError::OutOfRange {
            field: "wavelength_m",
            value: fmt_value(wavelength_m),
            allowed: "a finite number > 0 (metres)",
        });
    }
    if !(symbol_rate_baud.is_finite() && symbol_rate_baud > 0.0) {
        return Err(InputError::OutOfRange {
            field: "symbol_rate_baud",
            value: fmt_value(symbol_rate_baud),
            allowed: "a finite number > 0 (baud)",
        });
    }
    Ok(())
}

/// Received-power budget B = V_max^BS − Σ_i (1 − T_i)·ξ_i − δ² (SNU), eq. (28c)
/// with W_i := ξ_i (SPEC §5). The constraint is Σ_i T_i·V_A,i ≤ B.
/// Returns an error when B ≤ 0.
pub fn received_power_budget(
    network: &Network,
    bs_max_variance: f64,
    detector_noise_snu: f64,
) -> Result<f64, InputError> {
    if !bs_max_variance.is_finite() || bs_max_variance <= 0.0 {
        return Err(InputError::OutOfRange {
            field: "bs_max_variance",
            value: fmt_value(bs_max_variance),
            allowed: "a finite number > 0 (SNU)",
        });
    }
    let floor: f64 = network.transmittance().iter().zip(network.excess_noise()).map(|(t, x)| (1.0 - t) * x).sum();
    let b = bs_max_variance - floor - detector_noise_snu;
    if b > 0.0 {
        Ok(b)
    } else {
        Err(InputError::OutOfRange {
            field: "bs_max_variance",
            value: fmt_value(bs_max_variance),
            allowed: "a value above the noise floor sum_i (1-T_i)*xi_i + detector_noise, so that the budget B > 0",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_conversion_points() {
        // SPEC §5: −80 dBm ↔ 15.606 SNU, −60 dBm ↔ 1560.6 SNU at 10 MBd, 1550 nm (rounded to 5 digits).
        let v80 = dbm_to_variance(-80.0, DEFAULT_WAVELENGTH_M, DEFAULT_SYMBOL_RATE_BAUD);
        assert!((v80 - 15.606).abs() < 5e-4, "{v80}");
        let v60 = dbm_to_variance(-60.0, DEFAULT_WAVELENGTH_M, DEFAULT_SYMBOL_RATE_BAUD);
        assert!((v60 - 1560.6).abs() < 5e-2, "{v60}");
        let back = variance_to_dbm(v60, DEFAULT_WAVELENGTH_M, DEFAULT_SYMBOL_RATE_BAUD);
        assert!((back + 60.0).abs() < 1e-12);
    }
}
