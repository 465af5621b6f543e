use super::*;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;

fn claim<'a>(holder: &'a str, ttl: Duration) -> Claim<'a> {
    Claim {
        job_id: "orders",
        holder,
        run_id: "run-1",
        ttl,
        reclaim: &[],
        since: None,
    }
}

fn folder() -> Path {
    lease_folder(&Path::from("lake/db_orders"), "orders")
}

/// Both kinds of store the product writes to: in memory (conditional updates, like Azure)
/// and a local folder (create-if-absent only).
fn stores() -> Vec<(Arc<dyn ObjectStore>, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let local = LocalFileSystem::new_with_prefix(dir.path()).unwrap();
    vec![
        (Arc::new(InMemory::new()), None),
        (Arc::new(local), Some(dir)),
    ]
}

fn taken(a: Acquired) -> Lease {
    match a {
        Acquired::Taken(l) => *l,
        Acquired::Held(d) | Acquired::Done(d) => {
            panic!("expected to take the lease, held or done by {d:?}")
        }
    }
}

fn held(a: Acquired) -> LeaseDoc {
    match a {
        Acquired::Held(d) => d,
        Acquired::Done(d) => panic!("expected a held lease, done by {d:?}"),
        Acquired::Taken(l) => panic!("expected a held lease, took {:?}", l.doc()),
    }
}

const HOUR: Duration = Duration::from_secs(3600);

#[tokio::test]
async fn a_live_lease_is_held_and_a_released_one_is_taken() {
    for (store, _dir) in stores() {
        let a = taken(
            acquire(store.clone(), folder(), &claim("w1", HOUR))
                .await
                .unwrap(),
        );
        assert_eq!(a.doc().generation, 1);
        assert!(a.took_over.is_none());
        let h = held(
            acquire(store.clone(), folder(), &claim("w2", HOUR))
                .await
                .unwrap(),
        );
        assert_eq!((h.holder.as_str(), h.generation), ("w1", 1));
        assert!(h.expires_at > Utc::now());
        let mut a = a;
        a.renew().await.unwrap();
        a.release(true).await.unwrap();
        let released = current(store.as_ref(), &folder()).await.unwrap().unwrap();
        assert!(released.released_at.is_some() && released.is_free(Utc::now()));
        let b = taken(
            acquire(store.clone(), folder(), &claim("w2", HOUR))
                .await
                .unwrap(),
        );
        assert_eq!(b.doc().generation, 2);
        assert!(b.took_over.is_none(), "a released lease is not a takeover");
        assert_eq!(
            current(store.as_ref(), &folder())
                .await
                .unwrap()
                .unwrap()
                .holder,
            "w2"
        );
    }
}

#[tokio::test]
async fn an_expired_lease_is_taken_over_and_its_holder_loses_it() {
    for (store, _dir) in stores() {
        let mut a = taken(
            acquire(
                store.clone(),
                folder(),
                &claim("w1", Duration::from_millis(50)),
            )
            .await
            .unwrap(),
        );
        tokio::time::sleep(Duration::from_millis(80)).await;
        let b = taken(
            acquire(store.clone(), folder(), &claim("w2", HOUR))
                .await
                .unwrap(),
        );
        assert_eq!(b.doc().generation, 2);
        assert_eq!(b.took_over.as_ref().map(|d| d.holder.as_str()), Some("w1"));
        let err = a.renew().await.unwrap_err();
        assert!(matches!(err, LeaseError::Lost { .. }), "{err}");
        // Releasing a lost lease leaves the new holder's generation alone.
        a.release(true).await.unwrap();
        let now = current(store.as_ref(), &folder()).await.unwrap().unwrap();
        assert_eq!((now.holder.as_str(), now.released_at), ("w2", None));
    }
}

#[tokio::test]
async fn a_holder_sees_a_takeover_at_its_next_renewal() {
    for (store, _dir) in stores() {
        let mut a = taken(
            acquire(store.clone(), folder(), &claim("w1", HOUR))
                .await
                .unwrap(),
        );
        // Another worker that judged the lease expired (its clock ahead) created generation 2.
        let mut other = a.doc().clone();
        other.generation = 2;
        other.holder = "w9".into();
        store
            .put(&generation_path(&folder(), 2), payload(&other))
            .await
            .unwrap();
        let err = a.renew().await.unwrap_err();
        assert!(err.to_string().contains("worker w9 took it over"), "{err}");
    }
}

#[tokio::test]
async fn a_lapsed_lease_nobody_took_is_renewed_and_one_taken_over_is_lost() {
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let mut a = taken(
        acquire(
            store.clone(),
            folder(),
            &claim("w1", Duration::from_millis(30)),
        )
        .await
        .unwrap(),
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    a.renew().await.unwrap();
    assert!(a.doc().expires_at > Utc::now());
    held(
        acquire(store.clone(), folder(), &claim("w2", HOUR))
            .await
            .unwrap(),
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    let b = taken(
        acquire(store.clone(), folder(), &claim("w2", HOUR))
            .await
            .unwrap(),
    );
    assert_eq!(b.took_over.map(|d| d.holder), Some("w1".to_string()));
    let err = a.renew().await.unwrap_err();
    assert!(err.to_string().contains("worker w2 took it over"), "{err}");
}

#[tokio::test]
async fn of_many_racing_workers_exactly_one_takes_the_lease() {
    for (store, _dir) in stores() {
        let names: Vec<String> = (0..8).map(|i| format!("w{i}")).collect();
        let tries = names.iter().map(|n| {
            let store = store.clone();
            async move { acquire(store, folder(), &claim(n, HOUR)).await.unwrap() }
        });
        let results = futures::future::join_all(tries).await;
        let winners: Vec<&Lease> = results
            .iter()
            .filter_map(|r| match r {
                Acquired::Taken(l) => Some(l.as_ref()),
                Acquired::Held(_) | Acquired::Done(_) => None,
            })
            .collect();
        assert_eq!(winners.len(), 1, "{results:?}");
        let winner = winners[0].doc().holder.clone();
        for r in &results {
            if let Acquired::Held(d) = r {
                assert_eq!(d.holder, winner);
            }
        }
    }
}

#[tokio::test]
async fn old_generations_are_removed_and_numbers_never_reused() {
    for (store, _dir) in stores() {
        for i in 0..4 {
            let l = taken(
                acquire(store.clone(), folder(), &claim(&format!("w{i}"), HOUR))
                    .await
                    .unwrap(),
            );
            assert_eq!(l.doc().generation, i + 1);
            l.release(true).await.unwrap();
        }
        assert_eq!(
            generations(store.as_ref(), &folder()).await.unwrap(),
            vec![3, 4]
        );
    }
}

#[tokio::test]
async fn a_corrupt_lease_is_an_error_naming_it() {
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    store
        .put(
            &generation_path(&folder(), 1),
            PutPayload::from_static(b"{"),
        )
        .await
        .unwrap();
    let err = acquire(store, folder(), &claim("w1", HOUR))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("lake/db_orders/_ingest_leases/orders/000000000001.json"),
        "{err}"
    );
}

#[tokio::test]
async fn a_worker_reclaims_at_once_a_live_lease_of_its_own_id_or_of_a_dead_run() {
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    taken(
        acquire(store.clone(), folder(), &claim("w1", HOUR))
            .await
            .unwrap(),
    );
    held(
        acquire(store.clone(), folder(), &claim("w2", HOUR))
            .await
            .unwrap(),
    );
    let dead = ["w1".to_string()];
    let again = Claim {
        reclaim: &dead,
        ..claim("w2", HOUR)
    };
    let l = taken(acquire(store.clone(), folder(), &again).await.unwrap());
    assert_eq!(l.doc().generation, 2);
    assert_eq!(l.took_over.map(|d| d.holder), Some("w1".to_string()));
}

/// N copies started together: a job another worker loaded since this worker's run began is
/// done for this round; one it failed, or loaded before the run began, is taken again.
#[tokio::test]
async fn a_job_another_worker_loaded_in_this_round_is_done_not_taken_again() {
    for (store, _dir) in stores() {
        let round = Utc::now();
        let this_round = Claim {
            since: Some(round),
            ..claim("w2", HOUR)
        };
        let a = taken(
            acquire(store.clone(), folder(), &claim("w1", HOUR))
                .await
                .unwrap(),
        );
        a.release(true).await.unwrap();
        match acquire(store.clone(), folder(), &this_round).await.unwrap() {
            Acquired::Done(d) => assert_eq!((d.holder.as_str(), d.succeeded), ("w1", Some(true))),
            other => panic!("expected done in this round, got {other:?}"),
        }
        // A later round (it began after that release) loads the job again.
        let later = Claim {
            since: Some(Utc::now()),
            ..claim("w2", HOUR)
        };
        let b = taken(acquire(store.clone(), folder(), &later).await.unwrap());
        // A failed load is retried by the next worker of the same round.
        b.release(false).await.unwrap();
        let c = taken(acquire(store.clone(), folder(), &this_round).await.unwrap());
        assert_eq!(c.doc().holder, "w2");
        // The worker that loaded it may take it again (its own id is not "another worker").
        c.release(true).await.unwrap();
        let own = Claim {
            since: Some(round),
            ..claim("w2", HOUR)
        };
        taken(acquire(store.clone(), folder(), &own).await.unwrap());
    }
}
