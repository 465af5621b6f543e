//! The object-store clients of a run's lease and lake-audit requests, one per destination and
//! container. Building a client costs more than a lease request (a TLS setup, on Azure a
//! token for the identity), and a warm connection answers sooner than a new one.

use crate::sink::store::{Destination, SinkError};
use object_store::ObjectStore;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Clients by (destination, container), built on first use.
#[derive(Default)]
pub struct Stores(Mutex<HashMap<(String, String), Arc<dyn ObjectStore>>>);

impl Stores {
    /// The client for `container` of `dest`.
    pub fn get(
        &self,
        dest: &Destination,
        container: &str,
    ) -> Result<Arc<dyn ObjectStore>, SinkError> {
        let key = (dest.name().to_ascii_lowercase(), container.to_string());
        if let Some(s) = self.0.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(s);
        }
        let store = dest.store(container)?;
        if let Ok(mut m) = self.0.lock() {
            m.entry(key).or_insert_with(|| store.clone());
        }
        Ok(store)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_is_built_once_per_destination_and_container() {
        let dir = tempfile::tempdir().unwrap();
        let dest = Destination::Local {
            name: "lake".into(),
            root: dir.path().to_path_buf(),
            compression: crate::sink::compression::default_compression(),
        };
        let stores = Stores::default();
        let a = stores.get(&dest, "raw").unwrap();
        let b = stores.get(&dest, "raw").unwrap();
        let c = stores.get(&dest, "other").unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
    }
}
