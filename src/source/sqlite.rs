//! SQLite source (placeholder until the run engine lands).

use super::SourceError;
use crate::config::secrets::SourceSecret;
use std::path::Path;

/// SQLite source.
pub struct SqliteSource;

impl SqliteSource {
    /// Open the database file named by the secret.
    pub async fn connect(
        _name: &str,
        _secret: &SourceSecret,
        _base_dir: &Path,
    ) -> Result<Box<dyn super::Source>, SourceError> {
        Err(SourceError::Other("not built yet".into()))
    }
}
