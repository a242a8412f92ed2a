//! Loading any supported weight file as RSPW bytes, and building a backend over it.

use rspnn_model::backend::{Backend, DecodeMask};
use rspnn_model::convert::to_rspw_vec;
use rspnn_model::float_ref::{FloatModel, FloatRunner};
use rspnn_model::requant::Requantized;
use rspnn_model::rspw::{self, ModelView, MAGIC};
use rspnn_model::runner::{workspace_len, ScalarRunner};
use rspnn_model::seed::{self, SeedModel, SEED_MAGIC};
use rspnn_model::window::Staggered;
use rspnn_ucode::sim::SimBackend;
use std::path::Path;

/// The largest weight file read: 256 MiB. The largest N64 cartridge holds 64 MiB and RDRAM is
/// 8 MiB, so no model the console can run comes near it; a header declaring more is refused
/// before its payload is read.
pub const MAX_WEIGHT_BYTES: u64 = 256 << 20;

/// Reads a weight file, at most the size its header declares (RSPW: 64 + the payload field;
/// SEAI: the v5 size of its dimensions) plus one byte, so a trailing or endless file is
/// reported, never read to the end.
fn read_weight_file(path: &Path) -> Result<Vec<u8>, String> {
    let err = |e: rspnn_model::ModelError| format!("{}: {e}", path.display());
    tool_io::read_declared(path, "weight file", rspw::HEADER_BYTES as u64, |head| {
        let declared = if head.starts_with(&SEED_MAGIC) {
            seed::declared_size(head).map_err(err)?
        } else if let Some(n) = rspw::declared_size(head) {
            n
        } else if head.len() < 4 && SEED_MAGIC.starts_with(head) && !head.is_empty() {
            // A few bytes of "SEAI": report it against the seed header, not RSPW's.
            return Err(err(SeedModel::parse(head).err().unwrap_or(
                rspnn_model::ModelError::Truncated {
                    needed: seed::SEED_HEADER_BYTES as u64,
                    actual: head.len() as u64,
                },
            )));
        } else {
            // Too short for a size, or an unknown magic: the RSPW parser says which.
            return Err(err(ModelView::parse(head).err().unwrap_or(
                rspnn_model::ModelError::Truncated {
                    needed: rspw::HEADER_BYTES as u64,
                    actual: head.len() as u64,
                },
            )));
        };
        if declared > MAX_WEIGHT_BYTES {
            return Err(format!(
                "{}: the header declares a {declared}-byte file, more than the {MAX_WEIGHT_BYTES} bytes this tool reads",
                path.display()
            ));
        }
        Ok(declared + 1)
    })
}

/// Reads `path` (RSPW, SEAI v5 or SEAI v2) and returns RSPW bytes; `q4` requantises the layer
/// matrices to Q4 first (seed files only).
pub fn load_rspw(path: &Path, q4: bool) -> Result<Vec<u8>, String> {
    let bytes = read_weight_file(path)?;
    let err = |e: rspnn_model::ModelError| format!("{}: {e}", path.display());
    if bytes.starts_with(&SEED_MAGIC) {
        let seed = SeedModel::parse(&bytes).map_err(err)?;
        if q4 {
            let rq = Requantized::to_q4(&seed).map_err(err)?;
            return to_rspw_vec(&rq).map_err(err);
        }
        return to_rspw_vec(&seed).map_err(err);
    }
    ModelView::parse(&bytes).map_err(err)?;
    if q4 && bytes.starts_with(&MAGIC) {
        return Err(format!(
            "{}: --q4 converts seed files; this file is already RSPW",
            path.display()
        ));
    }
    Ok(bytes)
}

/// The backends this binary offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendKind {
    Scalar,
    Float,
    /// The RSP token program on rsp-sim (rspnn-ucode's `sim` feature): bit-exact with
    /// `Scalar`, and much slower (it simulates every RSP cycle).
    RspSim,
}

impl BackendKind {
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Scalar => "scalar",
            BackendKind::Float => "float",
            BackendKind::RspSim => "rsp-sim",
        }
    }
}

/// `--cache`: what happens past the context.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CacheKind {
    /// Two staggered fresh windows (rspnn_model::window): keeps the accuracy.
    Staggered,
    /// One ring-buffer KV cache (for measuring it).
    Ring,
}

impl CacheKind {
    pub fn name(self) -> &'static str {
        match self {
            CacheKind::Staggered => "staggered",
            CacheKind::Ring => "ring",
        }
    }
}

/// `--vocab`: which bytes greedy decoding may choose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum VocabKind {
    /// Every vocabulary entry.
    All,
    /// Printable ASCII 32..=126 only (how the seed demo's float engine decodes).
    Printable,
}

impl VocabKind {
    pub fn mask(self) -> DecodeMask {
        match self {
            VocabKind::All => DecodeMask::All,
            VocabKind::Printable => DecodeMask::Printable,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            VocabKind::All => "all",
            VocabKind::Printable => "printable",
        }
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
