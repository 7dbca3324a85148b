//! Records bound to their ledger entries: what checking every stored record against the
//! ledger entry that recorded it costs, side by side with the same reads unchecked, so each
//! number is a ratio to its baseline (absolute times on shared machines mislead).
//!
//! 1. The register: `Register::snapshot` (every record's stored state checked against the
//!    leaf hash and the state of the ledger entry that recorded it, and against the change
//!    index) on N records, half vendors and half their BAAs, beside a plain read of the same
//!    rows decoded into the same snapshot. Then the register checks as `register check` runs
//!    them, on `Register::audit`, beside the same checks on the plain read.
//! 2. A FIM baseline of F entries: `baseline::latest` (its entries hashed again and compared
//!    with the newest `fim.baseline` ledger entry, found by reading the ledger back from its
//!    end), beside a plain load of its rows, and beside that load with the root hash
//!    recomputed, which is what loading a baseline checked before it was bound to the ledger.
//!    The ledger holds B entries (PHI access events) before the baseline's; measured with
//!    none after it, then with A more, since the search reads back over them.
//!
//! SQLite always; PostgreSQL too when `PHIGUARD_TEST_POSTGRES` names a server the benchmark
//! may create a database on.
//!
//! ```sh
//! PHIGUARD_TEST_POSTGRES=postgres://postgres@127.0.0.1/postgres \
//!     cargo run --release -p phiguard-bench-records
//! ```

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use clap::Parser;
use jiff::Timestamp;
use jiff::civil::date;
use phiguard_core::{CheckContext, Evidence, Source};
use phiguard_fim::baseline::{self, BASELINE_EVIDENCE_KIND};
use phiguard_fim::{FileType, Record};
use phiguard_ledger::Ledger;
use phiguard_register::records::{Baa, BaaStatus, Vendor};
use phiguard_register::{AnyRecord, Change, Kind, Register, Snapshot};
use phiguard_store::{DatabaseUrl, Store, StoreOptions};
use phiguard_testkit::PostgresDatabase;
use sqlx::Row;

#[derive(Debug, Parser)]
#[command(
    about = "Benchmark reads of records bound to the ledger against the same reads unchecked"
)]
struct Args {
    /// Register records (half vendors, half BAAs)
    #[arg(long, default_value_t = 4_000)]
    records: u64,
    /// FIM baseline entries
    #[arg(long, default_value_t = 100_000)]
    files: u64,
    /// Ledger entries before the baseline's
    #[arg(long, default_value_t = 1_000_000)]
    before: u64,
    /// Ledger entries appended after the baseline's for the second FIM measurement
    #[arg(long, default_value_t = 1_000_000)]
    after: u64,
    /// Rounds of each measurement (the median is reported)
    #[arg(long, default_value_t = 9)]
    rounds: usize,
}

/// A database of the benchmark's own, removed afterwards.
struct BenchDb {
    label: &'static str,
    store: Store,
    _sqlite: Option<tempfile::TempDir>,
    _postgres: Option<PostgresDatabase>,
}

async fn databases() -> anyhow::Result<Vec<BenchDb>> {
    let dir = tempfile::tempdir_in(std::env::var_os("BENCH_DIR").unwrap_or_else(|| ".".into()))?;
    let url = DatabaseUrl::sqlite(dir.path().join("bench.db"));
    let mut dbs = vec![BenchDb {
        label: "sqlite",
        store: Store::open(&url, &StoreOptions::default()).await?,
        _sqlite: Some(dir),
        _postgres: None,
    }];
    if let Some(postgres) = phiguard_testkit::fresh_postgres_database().await {
        let url = DatabaseUrl::parse(postgres.url())?;
        dbs.push(BenchDb {
            label: "postgres",
            store: Store::open(&url, &StoreOptions::default()).await?,
            _sqlite: None,
            _postgres: Some(postgres),
        });
    }
    Ok(dbs)
}

/// The median wall time of `rounds` runs of `work`, in milliseconds.
async fn median_ms<T, E, F, Fut>(rounds: usize, mut work: F) -> anyhow::Result<f64>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    anyhow::Error: From<E>,
{
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds.max(1) {
        let started = Instant::now();
        std::hint::black_box(work().await?);
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

fn source() -> Source {
    Source {
        host: None,
        agent: "phiguard/bench".into(),
        actor: Some("bench".into()),
    }
}

/// `count` records: vendors that touch PHI, and a signed BAA with each.
fn register_records(count: u64) -> Vec<Change> {
    let vendors = count / 2;
    let vendor = |n: u64| Vendor {
        id: format!("vendor-{n:05}"),
        name: format!("Vendor {n} Inc."),
        services: vec!["hosting".into(), "backups".into()],
        touches_phi: true,
        phi_uses: Vec::new(),
        phi_encrypted_only: false,
        systems: vec!["ehr".into()],
        contact: Some(format!("security@vendor-{n}.example")),
        notes: None,
    };
    let baa = |n: u64| Baa {
        id: format!("baa-{n:05}"),
        vendor: format!("vendor-{n:05}"),
        status: BaaStatus::Signed,
        signed: Some(date(2026, 1, 15)),
        effective: Some(date(2026, 2, 1)),
        expires: Some(date(2028, 1, 31)),
        breach_notice_days: Some(30),
        return_or_destroy: true,
        subcontractor_flow_down: true,
        security_incident_reporting: true,
        document: None,
    };
    (0..vendors)
        .map(|n| Change::Create(vendor(n).into()))
        .chain((0..count - vendors).map(|n| Change::Create(baa(n % vendors.max(1)).into())))
        .collect()
}

/// The register's rows decoded into a snapshot, nothing checked: what reading the register
/// cost before its records were bound to the ledger.
async fn plain_register(store: &Store) -> anyhow::Result<Snapshot> {
    let rows = sqlx::query("SELECT kind, id, body FROM register_records")
        .fetch_all(store.pool())
        .await?;
    let mut snapshot = Snapshot::default();
    for row in &rows {
        let kind: Kind = row
            .try_get::<String, _>("kind")?
            .parse()
            .map_err(anyhow::Error::msg)?;
        let body: String = row.try_get("body")?;
        snapshot.insert(
            AnyRecord::from_json(kind, serde_json::from_str(&body)?)?,
            None,
        );
    }
    Ok(snapshot)
}

/// The register checks on `snapshot`, as `register check` runs them (without recording).
fn register_checks(snapshot: Snapshot) -> anyhow::Result<usize> {
    let registry = phiguard_register::checks::registry(
        Arc::new(snapshot),
        &phiguard_register::checks::Settings::default(),
    )?;
    Ok(registry
        .run_all(&CheckContext::new("/", Timestamp::now()), |_| true)
        .len())
}

async fn register(db: &BenchDb, records: u64, rounds: usize) -> anyhow::Result<()> {
    let register = Register::new(db.store.clone());
    register
        .apply(&register_records(records), &source(), Timestamp::now())
        .await?;
    let snapshot = register.snapshot().await?;
    anyhow::ensure!(
        snapshot.len() as u64 == records,
        "{} records",
        snapshot.len()
    );
    anyhow::ensure!(plain_register(&db.store).await?.all() == snapshot.all());

    let bound = median_ms(rounds, || register.snapshot()).await?;
    let plain = median_ms(rounds, || plain_register(&db.store)).await?;
    let checked = median_ms(rounds, || async {
        register_checks(register.audit().await?)
    })
    .await?;
    let checked_plain = median_ms(rounds, || async {
        register_checks(plain_register(&db.store).await?)
    })
    .await?;
    println!(
        "| {} | {records} | {bound:.1} | {plain:.1} | {:.2} | {checked:.1} | {checked_plain:.1} | {:.2} |",
        db.label,
        bound / plain,
        checked / checked_plain
    );
    Ok(())
}

/// `count` entries under /srv, as a scan of small files records them.
fn fim_entries(count: u64) -> BTreeMap<Vec<u8>, Record> {
    (0..count)
        .map(|n| {
            let record = Record {
                file_type: FileType::File,
                mode: 0o644,
                uid: 1000,
                gid: 1000,
                size: 4096 + n,
                inode: 1_000_000 + n,
                links: 1,
                mtime: 1_780_000_000_000_000_000 + i128::from(n),
                ctime: 1_780_000_000_000_000_000 + i128::from(n),
                target: None,
                device: None,
                hash: Some(format!(
                    "sha256:{:064x}",
                    n.wrapping_mul(0x9e37_79b9_7f4a_7c15)
                )),
                acl: None,
                xattrs: BTreeMap::new(),
                selinux: None,
                caps: None,
                flags: None,
                problem: None,
            };
            let path = format!("/srv/ehr/{:03}/{n:06}.pdf", n % 997).into_bytes();
            (path, record)
        })
        .collect()
}

/// A baseline's rows decoded, nothing checked.
async fn plain_baseline(store: &Store, id: i64) -> anyhow::Result<BTreeMap<Vec<u8>, Record>> {
    let rows = sqlx::query("SELECT path, record FROM fim_entries WHERE baseline_id = $1")
        .bind(id)
        .fetch_all(store.pool())
        .await?;
    let mut entries = BTreeMap::new();
    for row in &rows {
        let record: String = row.try_get("record")?;
        entries.insert(row.try_get("path")?, serde_json::from_str(&record)?);
    }
    Ok(entries)
}

/// A PHI access event as the ledger holds them by the million.
fn access_event(n: u64) -> Evidence {
    Evidence {
        kind: "phi.access".into(),
        time: Timestamp::now(),
        source: source(),
        body: serde_json::json!({
            "action": "read",
            "patient": format!("hmac:{:064x}", n.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
            "user": format!("hmac:{:064x}", n % 97),
            "resource": "Observation",
            "outcome": "success",
        }),
    }
}

/// Appends `count` PHI access events.
async fn fill(ledger: &Ledger, count: u64) -> anyhow::Result<()> {
    let mut appended = 0;
    while appended < count {
        let batch: Vec<Evidence> = (appended..(appended + 8192).min(count))
            .map(access_event)
            .collect();
        ledger.append_many(&batch).await?;
        appended += batch.len() as u64;
    }
    Ok(())
}

async fn fim(db: &BenchDb, args: &Args) -> anyhow::Result<()> {
    let (files, rounds) = (args.files, args.rounds);
    let ledger = Ledger::open(db.store.clone());
    fill(&ledger, args.before).await?;
    let entries = fim_entries(files);
    let info = baseline::save(
        &db.store,
        "bench",
        "initial baseline",
        "sha256",
        "/srv/ehr",
        None,
        &entries,
    )
    .await?;
    ledger
        .append(&Evidence {
            kind: BASELINE_EVIDENCE_KIND.into(),
            time: Timestamp::now(),
            source: source(),
            body: serde_json::json!({
                "baseline": info.id,
                "entries": info.entries,
                "root_hash": info.root_hash,
                "algorithm": info.algorithm,
                "rules": info.rules,
                "reason": info.reason,
                "actor": info.actor,
                "accepted": null,
            }),
        })
        .await?;
    for after in [0, args.after] {
        fill(&ledger, after).await?;
        let loaded = baseline::latest(&db.store).await?;
        anyhow::ensure!(loaded.is_some_and(|(_, loaded)| loaded == entries));
        let bound = median_ms(rounds, || baseline::latest(&db.store)).await?;
        let plain = median_ms(rounds, || plain_baseline(&db.store, info.id)).await?;
        let previous = median_ms(rounds, || async {
            let entries = plain_baseline(&db.store, info.id).await?;
            anyhow::Ok(baseline::root_hash(&entries))
        })
        .await?;
        println!(
            "| {} | {files} | {} | {after} | {bound:.0} | {plain:.0} | {previous:.0} | {:.2} | {:.2} |",
            db.label,
            args.before,
            bound / previous,
            bound / plain
        );
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    println!("## Register reads ({} rounds, median)\n", args.rounds);
    println!(
        "| database | records | snapshot ms | plain read ms | snapshot ÷ plain | checks on audit ms | checks on plain read ms | ÷ |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for db in databases().await? {
        register(&db, args.records, args.rounds).await?;
        db.store.close().await;
    }

    println!("\n## FIM baseline load ({} rounds, median)\n", args.rounds);
    println!(
        "| database | entries | ledger entries before the baseline's | after it | latest ms | plain load ms | previous load (rows + root hash) ms | latest ÷ previous | latest ÷ plain |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for db in databases().await? {
        fim(&db, &args).await?;
        db.store.close().await;
    }
    Ok(())
}
