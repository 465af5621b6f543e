//! What a job's lease costs in requests to the store: counted by a wrapper around an
//! in-memory store (conditional updates, like Azure).

use super::*;
use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::memory::InMemory;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta,
    PutMultipartOptions, PutOptions, PutResult, RenameOptions,
};
use std::collections::BTreeMap;
use std::sync::Mutex;

type Counts = Arc<Mutex<BTreeMap<&'static str, usize>>>;

/// A store that counts requests by kind: put, get, head, list, delete.
#[derive(Debug, Default)]
struct Counting {
    inner: InMemory,
    counts: Counts,
}

impl std::fmt::Display for Counting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Counting")
    }
}

fn count(counts: &Counts, kind: &'static str) {
    *counts.lock().unwrap().entry(kind).or_default() += 1;
}

#[async_trait]
impl ObjectStore for Counting {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        count(&self.counts, "put");
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        count(&self.counts, "put");
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        count(&self.counts, if options.head { "head" } else { "get" });
        self.inner.get_opts(location, options).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        let counts = self.counts.clone();
        self.inner
            .delete_stream(locations.inspect(move |_| count(&counts, "delete")).boxed())
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        count(&self.counts, "list");
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        count(&self.counts, "list");
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, o: CopyOptions) -> object_store::Result<()> {
        count(&self.counts, "copy");
        self.inner.copy_opts(from, to, o).await
    }

    async fn rename_opts(
        &self,
        from: &Path,
        to: &Path,
        o: RenameOptions,
    ) -> object_store::Result<()> {
        count(&self.counts, "copy");
        self.inner.rename_opts(from, to, o).await
    }
}

/// The requests made since the last call, as `kind×n` sorted by kind.
fn take_counts(counts: &Counts) -> String {
    let mut c = counts.lock().unwrap();
    let out = c
        .iter()
        .map(|(k, n)| format!("{k}×{n}"))
        .collect::<Vec<_>>()
        .join(" ");
    c.clear();
    out
}

fn claim(holder: &str) -> Claim<'_> {
    Claim {
        job_id: "orders",
        holder,
        run_id: "run-1",
        ttl: Duration::from_secs(60),
        reclaim: &[],
        since: None,
    }
}

#[tokio::test]
async fn a_jobs_lease_costs_a_list_a_get_and_two_puts() {
    let store = Arc::new(Counting::default());
    let counts = store.counts.clone();
    let folder = lease_folder(&Path::from("lake/db_orders"), "orders");
    for (round, holder) in ["w1", "w2", "w3"].iter().enumerate() {
        let l = match acquire(store.clone(), folder.clone(), &claim(holder)).await {
            Ok(Acquired::Taken(l)) => *l,
            other => panic!("{other:?}"),
        };
        let take = take_counts(&counts);
        match round {
            // No lease yet: the list finds nothing to read.
            0 => assert_eq!(take, "list×1 put×1"),
            1 => assert_eq!(take, "get×1 list×1 put×1"),
            // From generation 3 on, the one before the last is deleted (beside the create).
            _ => assert_eq!(take, "delete×1 get×1 list×1 put×1"),
        }
        // Right before the commit, a lease confirmed moments ago costs nothing.
        l.check().await.unwrap();
        assert_eq!(take_counts(&counts), "");
        l.release(true).await.unwrap();
        assert_eq!(take_counts(&counts), "put×1");
    }
}

#[tokio::test]
async fn a_renewal_is_a_put_and_a_head_and_an_old_confirmation_is_checked() {
    let store = Arc::new(Counting::default());
    let counts = store.counts.clone();
    let folder = lease_folder(&Path::from("lake/db_orders"), "orders");
    let mut c = claim("w1");
    c.ttl = Duration::from_millis(300);
    let mut l = match acquire(store.clone(), folder, &c).await {
        Ok(Acquired::Taken(l)) => *l,
        other => panic!("{other:?}"),
    };
    take_counts(&counts);
    l.renew().await.unwrap();
    assert_eq!(take_counts(&counts), "head×1 put×1");
    // Half the ttl after the last confirmation, the check before a commit asks the store.
    tokio::time::sleep(Duration::from_millis(200)).await;
    l.check().await.unwrap();
    assert_eq!(take_counts(&counts), "head×1");
}
