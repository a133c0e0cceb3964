//! Distance → transmittance for free-space links, and seeded log-normal
//! turbulence (SPEC §6; replaces the paper's T_{k,t} of Sec. V-A, which is ≫ 1).

use crate::convention::Convention;
use crate::error::{fmt_value, InputError};
use rand::SeedableRng;
use rand_chacha::ChaCha12Rng;
use rand_distr::{Distribution, Normal};

/// Lower clip of a computed transmittance (SPEC §6).
pub const MIN_TRANSMITTANCE: f64 = 1e-9;
/// Upper clip of a computed transmittance (SPEC §6).
pub const MAX_TRANSMITTANCE: f64 = 0.999;

/// Free-space terminal and atmosphere (SPEC §6), validated.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct LinkGeometry {
    tx_aperture_m: f64,
    rx_aperture_m: f64,
    wavelength_m: f64,
    divergence_rad: f64,
    attenuation_db_per_km: f64,
}

impl Default for LinkGeometry {
    /// D_T = 0.1 m, D_R = 1 m, λ = 1550 nm, θ = 3 mrad, α = 3 dB/km (SPEC §6).
    fn default() -> Self {
        Self {
            tx_aperture_m: 0.1,
            rx_aperture_m: 1.0,
            wavelength_m: 1.55e-6,
            divergence_rad: 3e-3,
            attenuation_db_per_km: 3.0,
        }
    }
}

fn positive(field: &'static str, v: f64) -> Result<f64, InputError> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(InputError::OutOfRange { field, value: fmt_value(v), allowed: "a finite number > 0" })
    }
}

impl LinkGeometry {
    /// Validated geometry: apertures (m), wavelength (m) and divergence (rad) > 0,
    /// attenuation (dB/km) ≥ 0.
    pub fn new(
        tx_aperture_m: f64,
        rx_aperture_m: f64,
        wavelength_m: f64,
        divergence_rad: f64,
        attenuation_db_per_km: f64,
    ) -> Result<Self, InputError> {
        let att = attenuation_db_per_km;
        if !(att.is_finite() && att >= 0.0) {
            return Err(InputError::OutOfRange {
                field: "attenuation_db_per_km",
                value: fmt_value(att),
                allowed: "a finite number >= 0 (dB/km)",
            });
        }
        Ok(Self {
            tx_aperture_m: positive("tx_aperture_m", tx_aperture_m)?,
            rx_aperture_m: positive("rx_aperture_m", rx_aperture_m)?,
            wavelength_m: positive("wavelength_m", wavelength_m)?,
            divergence_rad: positive("divergence_rad", divergence_rad)?,
            attenuation_db_per_km: att,
        })
    }

    /// Wavelength (m).
    pub fn wavelength_m(&self) -> f64 {
        self.wavelength_m
    }

    /// Aperture capture C(d) = 1 − exp(−2a²/w(d)²), a = D_R/2,
    /// w(d)² = w0² + (θ·d)², w0 = D_T/2 (SPEC §6). `distance_m` in metres.
    pub fn aperture_capture(&self, distance_m: f64) -> f64 {
        let a = 0.5 * self.rx_aperture_m;
        let w0 = 0.5 * self.tx_aperture_m;
        let spread = self.divergence_rad * distance_m;
        let w2 = w0 * w0 + spread * spread;
        -(-2.0 * a * a / w2).exp_m1()
    }

    /// Haze loss factor 10^(−α·d/10000) (α in dB/km, d in m).
    pub fn atmospheric_factor(&self, distance_m: f64) -> f64 {
        10f64.powf(-self.attenuation_db_per_km * distance_m / 10_000.0)
    }

    /// Mean transmittance (fading factor 1) at `distance_m`, see [`transmittance_from_distance`].
    pub fn mean_transmittance(&self, distance_m: f64, convention: Convention, detector_efficiency: f64) -> f64 {
        transmittance_from_distance(self, distance_m, convention, detector_efficiency, 1.0)
    }
}

/// T = [τ_d under `standard`/`paper`]·C(d)·10^(−α·d/10000)·F, clipped to
/// [1e-9, 0.999] (SPEC §6). `fading` is the turbulence factor F (1 = none).
pub fn transmittance_from_distance(
    geometry: &LinkGeometry,
    distance_m: f64,
    convention: Convention,
    detector_efficiency: f64,
    fading: f64,
) -> f64 {
    let tau = match convention {
        Convention::Trusted => 1.0,
        _ => detector_efficiency,
    };
    let t = tau * geometry.aperture_capture(distance_m) * geometry.atmospheric_factor(distance_m) * fading;
    t.clamp(MIN_TRANSMITTANCE, MAX_TRANSMITTANCE)
}

/// Validate a distance list: each finite and > 0 (metres).
pub fn validate_distances(distance_m: &[f64]) -> Result<(), InputError> {
    for (k, &d) in distance_m.iter().enumerate() {
        if !(d.is_finite() && d > 0.0) {
            return Err(InputError::UserOutOfRange {
                field: "distance_m",
                user: k,
                value: fmt_value(d),
                allowed: "a finite number > 0 (metres)",
            });
        }
    }
    Ok(())
}

/// Validate σ_x: finite and ≥ 0 (0 = no fading).
pub fn validate_sigma_x(sigma_x: f64) -> Result<f64, InputError> {
    if sigma_x.is_finite() && sigma_x >= 0.0 {
        Ok(sigma_x)
    } else {
        Err(InputError::OutOfRange { field: "sigma_x", value: fmt_value(sigma_x), allowed: "a finite number >= 0" })
    }
}

/// Mean-one log-normal fading factors, ln F ~ N(−σ_x²/2, σ_x²) (Sec. V-A, SPEC §6),
/// one per user, from a counter-based stream: ChaCha12 keyed by `seed`, on
/// stream number `stream` (e.g. a (point, realization) index). The same
/// (seed, stream) always gives the same factors, whatever thread draws them.
/// `sigma_x = 0` gives all ones without drawing.
pub fn lognormal_fading(sigma_x: f64, seed: u64, stream: u64, users: usize) -> Vec<f64> {
    if sigma_x == 0.0 {
        return vec![1.0; users];
    }
    let mut rng = ChaCha12Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    let normal = Normal::new(-0.5 * sigma_x * sigma_x, sigma_x).expect("sigma_x validated finite and >= 0");
    (0..users).map(|_| normal.sample(&mut rng).exp()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_mean_transmittance_points() {
        // SPEC §6: mean T at 50/140/200 m ≈ 0.97·τ_d / 0.85·τ_d / 0.65·τ_d (two digits).
        let g = LinkGeometry::default();
        for (d, expect) in [(50.0, 0.97), (140.0, 0.85), (200.0, 0.65)] {
            let t = g.mean_transmittance(d, Convention::Trusted, 0.6);
            assert!((t - expect).abs() < 0.01, "d={d} T={t}");
            let ts = g.mean_transmittance(d, Convention::Standard, 0.6);
            assert!((ts - 0.6 * t).abs() < 1e-15);
        }
    }

    #[test]
    fn fading_is_mean_one_and_reproducible() {
        let a = lognormal_fading(0.5, 7, 3, 20000);
        let b = lognormal_fading(0.5, 7, 3, 20000);
        assert_eq!(a, b);
        let mean = a.iter().sum::<f64>() / a.len() as f64;
        // Standard error of the mean: sqrt(e^{σ²}−1)/√n ≈ 0.0038; allow 5 SE.
        assert!((mean - 1.0).abs() < 0.02, "{mean}");
        assert_ne!(a, lognormal_fading(0.5, 7, 4, 20000));
    }
}
