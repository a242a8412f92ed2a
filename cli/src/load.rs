//! Loading any supported weight file as RSPW bytes, and building a backend over it.

use rspnn_model::backend::{Backend, DecodeMask};
use rspnn_model::convert::to_rspw_vec;
use rspnn_model::float_ref::{FloatModel, FloatRunner};
use rspnn_model::requant::Requantized;
use rspnn_model::rspw::{ModelView, MAGIC};
use rspnn_model::runner::{workspace_len, ScalarRunner};
use rspnn_model::seed::{SeedModel, SEED_MAGIC};
use rspnn_model::window::Staggered;
use rspnn_ucode::sim::SimBackend;

/// Reads `path` (RSPW, SEAI v5 or SEAI v2) and returns RSPW bytes; `q4` requantises the layer
/// matrices to Q4 first (seed files only).
pub fn load_rspw(path: &str, q4: bool) -> Result<Vec<u8>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let err = |e: rspnn_model::ModelError| format!("{path}: {e}");
    if bytes.len() >= 4 && bytes[0..4] == SEED_MAGIC {
        let seed = SeedModel::parse(&bytes).map_err(err)?;
        if q4 {
            let rq = Requantized::to_q4(&seed);
            return to_rspw_vec(&rq).map_err(err);
        }
        return to_rspw_vec(&seed).map_err(err);
    }
    if bytes.len() >= 4 && bytes[0..4] == MAGIC {
        ModelView::parse(&bytes).map_err(err)?;
        if q4 {
            return Err(format!(
                "{path}: --q4 converts seed files; this file is already RSPW"
            ));
        }
        return Ok(bytes);
    }
    // Let the RSPW parser produce its precise message (magic, truncation).
    ModelView::parse(&bytes).map_err(err)?;
    Ok(bytes)
}

/// The backends this binary offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    Scalar,
    Float,
    /// The RSP token program on rsp-sim (rspnn-ucode's `sim` feature): bit-exact with
    /// `Scalar`, and much slower (it simulates every RSP cycle).
    RspSim,
}

impl BackendKind {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "scalar" => Ok(BackendKind::Scalar),
            "float" => Ok(BackendKind::Float),
            "rsp-sim" => Ok(BackendKind::RspSim),
            other => Err(format!(
                "unknown backend '{other}' (expected scalar, float or rsp-sim)"
            )),
        }
    }
}

/// Parses `--cache staggered|ring` (true = ring).
pub fn parse_cache(s: Option<&str>) -> Result<bool, String> {
    match s {
        None | Some("staggered") => Ok(false),
        Some("ring") => Ok(true),
        Some(other) => Err(format!(
            "unknown --cache '{other}' (expected staggered or ring)"
        )),
    }
}

/// Parses `--vocab all|printable`.
pub fn parse_mask(s: Option<&str>) -> Result<DecodeMask, String> {
    match s {
        None | Some("all") => Ok(DecodeMask::All),
        Some("printable") => Ok(DecodeMask::Printable),
        Some(other) => Err(format!(
            "unknown --vocab '{other}' (expected all or printable)"
        )),
    }
}

/// Owns what a backend borrows.
pub enum BackendStore {
    Scalar,
    Float(FloatModel),
    /// The RSPW bytes the simulated RDRAM is built from.
    RspSim(Vec<u8>),
}

impl BackendStore {
    /// `bytes` is the RSPW file `view` was parsed from.
    pub fn new(kind: BackendKind, view: &ModelView<'_>, bytes: &[u8]) -> Result<Self, String> {
        Ok(match kind {
            BackendKind::Scalar => BackendStore::Scalar,
            BackendKind::Float => {
                BackendStore::Float(FloatModel::from_view(view).map_err(|e| e.to_string())?)
            }
            BackendKind::RspSim => BackendStore::RspSim(bytes.to_vec()),
        })
    }

    /// A backend over `view`. `ring` gives the plain ring-buffer cache (for measuring it);
    /// otherwise two staggered windows keep the model's accuracy past its context
    /// (rspnn_model::window).
    pub fn backend<'a>(
        &'a self,
        view: ModelView<'a>,
        ring: bool,
    ) -> Result<Box<dyn Backend + 'a>, String> {
        let ctx = view.dims().ctx;
        Ok(match self {
            BackendStore::Scalar => {
                let lane = || -> Result<ScalarRunner<'a, Vec<i16>>, String> {
                    ScalarRunner::new(view, vec![0i16; workspace_len(view.dims())])
                        .map_err(|e| e.to_string())
                };
                if ring {
                    Box::new(lane()?)
                } else {
                    Box::new(Staggered::new(lane()?, lane()?, ctx))
                }
            }
            BackendStore::Float(m) => {
                if ring {
                    Box::new(FloatRunner::new(m))
                } else {
                    Box::new(Staggered::new(
                        FloatRunner::new(m),
                        FloatRunner::new(m),
                        ctx,
                    ))
                }
            }
            BackendStore::RspSim(bytes) => {
                // One simulated RSP (and KV cache) per model state, as for the scalar runner.
                let lane = || -> Result<SimBackend, String> {
                    SimBackend::new(bytes, false).map_err(|e| format!("rsp-sim backend: {e}"))
                };
                if ring {
                    Box::new(lane()?)
                } else {
                    Box::new(Staggered::new(lane()?, lane()?, ctx))
                }
            }
        })
    }
}
