//! Ledger benchmark, run whole and side by side with the plain database doing the same work,
//! so each number is a ratio to its baseline (absolute times on shared machines mislead).
//!
//! 1. Durable appends per second with 1, 8 and 64 concurrent writers, on SQLite and (with
//!    `--postgres`) PostgreSQL, beside plain INSERTs of the same rows into the same database:
//!    one commit per row (what an application does without the ledger), and group-committed
//!    like the ledger (which isolates the cost of hashing and the tree).
//! 2. `verify` in entries per second, beside reading the same rows without checking them.
//! 3. Inclusion-proof time at 10 million entries, beside a primary-key lookup of one entry.
//!
//! ```sh
//! cargo run --release -p phiguard-bench-ledger -- --postgres postgres://postgres@127.0.0.1/postgres
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use phiguard_core::{Evidence, Source};
use phiguard_ledger::Ledger;
use phiguard_ledger::note::SigningKey;
use phiguard_store::{DatabaseUrl, Store, StoreOptions};
use sqlx::Connection;

#[derive(Debug, Parser)]
#[command(about = "Benchmark the ledger against plain database writes and reads")]
struct Args {
    /// A PostgreSQL server the benchmark may create a database on; SQLite only without it
    #[arg(long)]
    postgres: Option<String>,
    /// Seconds each append measurement runs
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Entries in the ledger that `verify` is timed on
    #[arg(long, default_value_t = 1_000_000)]
    verify_entries: u64,
    /// Entries in the ledger that proofs are timed on
    #[arg(long, default_value_t = 10_000_000)]
    proof_entries: u64,
    /// Proofs (and lookups) timed
    #[arg(long, default_value_t = 2_000)]
    proofs: u64,
    /// Only the cost of checkpoints kept outside the database (auto-checkpoints, witness file)
    #[arg(long)]
    anchoring_only: bool,
}

fn evidence(n: u64) -> Evidence {
    // A realistic entry: a PHI access event with pseudonymised identifiers, ~300 bytes.
    Evidence {
        kind: "phi.access".into(),
        time: jiff::Timestamp::now(),
        source: Source {
            host: Some("ehr-app-07".into()),
            agent: "phiguard/0.1.0".into(),
            actor: Some("svc-ehr".into()),
        },
        body: serde_json::json!({
            "action": "read",
            "patient": format!("hmac:{:064x}", n.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
            "user": format!("hmac:{:064x}", n % 97),
            "resource": "Observation",
            "outcome": "success",
            "n": n,
        }),
    }
}

/// A database of the benchmark's own, removed afterwards.
struct BenchDb {
    label: &'static str,
    store: Store,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl BenchDb {
    async fn sqlite() -> anyhow::Result<BenchDb> {
        let dir =
            tempfile::tempdir_in(std::env::var_os("BENCH_DIR").unwrap_or_else(|| ".".into()))?;
        let url = DatabaseUrl::sqlite(dir.path().join("bench.db"));
        Ok(BenchDb {
            label: "sqlite",
            store: Store::open(&url, &StoreOptions::default()).await?,
            _dir: Some(dir),
            postgres: None,
        })
    }

    async fn postgres(server: &str, name: &str) -> anyhow::Result<BenchDb> {
        let mut admin = sqlx::PgConnection::connect(server).await?;
        let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        sqlx::raw_sql(sqlx::AssertSqlSafe(drop))
            .execute(&mut admin)
            .await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await?;
        let base = server.rsplit_once('/').map_or(server, |(base, _)| base);
        let url = DatabaseUrl::parse(&format!("{base}/{name}"))?;
        let options = StoreOptions {
            max_connections: 70,
            ..StoreOptions::default()
        };
        Ok(BenchDb {
            label: "postgres",
            store: Store::open(&url, &options).await?,
            _dir: None,
            postgres: Some((server.to_owned(), name.to_owned())),
        })
    }

    async fn remove(self) -> anyhow::Result<()> {
        self.store.close().await;
        if let Some((server, name)) = self.postgres {
            let mut admin = sqlx::PgConnection::connect(&server).await?;
            let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            sqlx::raw_sql(sqlx::AssertSqlSafe(drop))
                .execute(&mut admin)
                .await?;
        }
        Ok(())
    }
}

/// Runs `writers` tasks, each calling `write(n)` in a loop for `seconds`; returns writes/s.
async fn rate<F, Fut>(writers: usize, seconds: u64, write: F) -> anyhow::Result<f64>
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let write = Arc::new(write);
    let counter = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..writers {
        let (write, counter, stop) = (write.clone(), counter.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                write(n).await?;
            }
            anyhow::Ok(())
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await??;
    }
    Ok(counter.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64())
}

async fn plain_table(store: &Store) -> anyhow::Result<()> {
    let blob = match store.backend() {
        phiguard_store::Backend::Sqlite => "BLOB",
        phiguard_store::Backend::Postgres => "BYTEA",
    };
    let sql = format!(
        "CREATE TABLE IF NOT EXISTS bench_plain (seq BIGINT PRIMARY KEY, entry TEXT NOT NULL, pad {blob})"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(store.pool())
        .await?;
    sqlx::query("DELETE FROM bench_plain")
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Plain INSERTs batched the way the ledger batches them: one writer task takes whatever
/// queued and commits it at once. The same rows, without hashes.
fn plain_group_writer(
    store: Store,
) -> tokio::sync::mpsc::Sender<(u64, String, tokio::sync::oneshot::Sender<()>)> {
    let (tx, mut rx) =
        tokio::sync::mpsc::channel::<(u64, String, tokio::sync::oneshot::Sender<()>)>(1024);
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut batch = vec![first];
            while batch.len() < 8192 {
                match rx.try_recv() {
                    Ok(item) => batch.push(item),
                    Err(_) => break,
                }
            }
            let Ok(mut db) = store.pool().begin().await else {
                return;
            };
            let row_bytes = |row: &(u64, String, tokio::sync::oneshot::Sender<()>)| 8 + row.1.len();
            for chunk in phiguard_store::insert_chunks(store.backend(), &batch, row_bytes) {
                let sql = format!(
                    "INSERT INTO bench_plain (seq, entry) VALUES {}",
                    store.backend().row_placeholders(chunk.len(), 2)
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (seq, entry, _) in chunk {
                    query = query.bind(*seq as i64).bind(entry.as_str());
                }
                if query.execute(&mut *db).await.is_err() {
                    return;
                }
            }
            if db.commit().await.is_err() {
                return;
            }
            for (_, _, done) in batch {
                let _ = done.send(());
            }
        }
    });
    tx
}

async fn appends(db: &BenchDb, seconds: u64) -> anyhow::Result<()> {
    for writers in [1usize, 8, 64] {
        let ledger = Ledger::open(db.store.clone());
        let ledger_rate = rate(writers, seconds, move |n| {
            let ledger = ledger.clone();
            async move {
                ledger.append(&evidence(n)).await?;
                Ok(())
            }
        })
        .await?;

        plain_table(&db.store).await?;
        let pool = db.store.pool().clone();
        let each_rate = rate(writers, seconds, move |n| {
            let pool = pool.clone();
            async move {
                let entry = phiguard_ledger::entry::encode(&evidence(n))?;
                sqlx::query("INSERT INTO bench_plain (seq, entry) VALUES ($1, $2)")
                    .bind(n as i64)
                    .bind(entry)
                    .execute(&pool)
                    .await?;
                Ok(())
            }
        })
        .await?;

        plain_table(&db.store).await?;
        let writer = plain_group_writer(db.store.clone());
        let group_rate = rate(writers, seconds, move |n| {
            let writer = writer.clone();
            async move {
                let entry = phiguard_ledger::entry::encode(&evidence(n))?;
                let (done, wait) = tokio::sync::oneshot::channel();
                writer
                    .send((n, entry, done))
                    .await
                    .ok()
                    .context("plain writer stopped")?;
                wait.await.context("plain group commit failed")?;
                Ok(())
            }
        })
        .await?;
        println!(
            "| {} | {writers} | {ledger_rate:.0} | {each_rate:.0} | {:.2} | {group_rate:.0} | {:.2} |",
            db.label,
            ledger_rate / each_rate,
            ledger_rate / group_rate
        );
    }
    Ok(())
}

async fn fill(ledger: &Ledger, entries: u64) -> anyhow::Result<()> {
    let mut start = ledger.size().await?;
    let started = Instant::now();
    while start < entries {
        let end = (start + 50_000).min(entries);
        let batch: Vec<Evidence> = (start..end).map(evidence).collect();
        // Several submissions in flight, so group commit writes them back to back.
        let mut pending = Vec::new();
        for chunk in batch.chunks(8192) {
            pending.push(ledger.submit(chunk).await?);
        }
        for queued in pending {
            queued.durable().await?;
        }
        start = end;
        if start % 1_000_000 == 0 {
            eprintln!(
                "  filled {start} entries ({:.0}/s)",
                start as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}

async fn verification(db: &BenchDb, entries: u64) -> anyhow::Result<()> {
    let ledger = Ledger::open(db.store.clone());
    fill(&ledger, entries).await?;
    let key = SigningKey::generate("bench.example/ledger")?;
    ledger.checkpoint(&key).await?;

    let started = Instant::now();
    let mut read = 0u64;
    let mut from = 0i64;
    while (from as u64) < entries {
        let rows: Vec<(i64, String, Vec<u8>)> = sqlx::query_as(
            "SELECT seq, entry, hashes FROM ledger_entries WHERE seq >= $1 AND seq < $2 ORDER BY seq",
        )
        .bind(from)
        .bind(from + 16_384)
        .fetch_all(db.store.pool())
        .await?;
        read += rows.len() as u64;
        from += 16_384;
    }
    let read_secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(read == entries, "read {read} of {entries} rows");

    let started = Instant::now();
    let report = ledger
        .verify(&key.verifier(), &[], &mut |_, _| {})
        .await?
        .map_err(|tamper| anyhow::anyhow!("{tamper}"))?;
    let verify_secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(report.entries == entries);
    println!(
        "| {} | {entries} | {:.0} | {:.0} | {:.2} |",
        db.label,
        entries as f64 / verify_secs,
        entries as f64 / read_secs,
        verify_secs / read_secs
    );
    Ok(())
}

/// Entries between two checkpoints in a long stream: `[ledger] checkpoint_every_entries`.
const CHECKPOINT_EVERY: u64 = 10_000;

/// What keeping the ledger anchored costs: 64 writers appending with a checkpoint signed (and
/// the witness file replaced) every `CHECKPOINT_EVERY` entries, as a long recording command
/// does, beside the same writers without; and `verify` held against the witness file beside
/// `verify` alone. Alternating rounds, medians: the machine is noisy.
async fn anchoring(db: &BenchDb, seconds: u64, entries: u64) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let witness = || phiguard_ledger::CheckpointFile::new(dir.path().join("ledger.witness"));
    let key = std::sync::Arc::new(SigningKey::generate("bench.example/ledger")?);
    let (mut plain, mut anchored) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let ledger = Ledger::open(db.store.clone());
        plain.push(
            rate(64, seconds, move |n| {
                let ledger = ledger.clone();
                async move {
                    ledger.append(&evidence(n)).await?;
                    Ok(())
                }
            })
            .await?,
        );
        let ledger = Ledger::open(db.store.clone()).with_witness(witness());
        // The checkpointer signs (and replaces the witness file) whenever the log has grown by
        // CHECKPOINT_EVERY entries, beside the writers, as a long recording command does.
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let checkpointer = {
            let (ledger, key, stop) = (ledger.clone(), key.clone(), stop.clone());
            tokio::spawn(async move {
                let mut signed = ledger.size().await?;
                let mut checkpoints = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    if ledger.size().await? >= signed + CHECKPOINT_EVERY {
                        signed = ledger.checkpoint(&key).await?.size;
                        checkpoints += 1;
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                Ok::<u64, anyhow::Error>(checkpoints)
            })
        };
        let writers = ledger.clone();
        anchored.push(
            rate(64, seconds, move |n| {
                let ledger = writers.clone();
                async move {
                    ledger.append(&evidence(n)).await?;
                    Ok(())
                }
            })
            .await?,
        );
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let checkpoints = checkpointer.await??;
        anyhow::ensure!(checkpoints > 0, "no checkpoint was signed during the run");
    }
    let (plain, anchored) = (median(&mut plain), median(&mut anchored));
    println!(
        "| {} | appends/s, 64 writers | {plain:.0} | {anchored:.0} (checkpoint every {CHECKPOINT_EVERY}) | {:.3} |",
        db.label,
        anchored / plain
    );

    let ledger = Ledger::open(db.store.clone()).with_witness(witness());
    fill(&ledger, entries).await?;
    ledger.checkpoint(&key).await?;
    let alone = Ledger::open(db.store.clone());
    let (mut plain, mut anchored) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        for (ledger, times) in [(&alone, &mut plain), (&ledger, &mut anchored)] {
            let started = Instant::now();
            let report = ledger
                .verify(&key.verifier(), &[], &mut |_, _| {})
                .await?
                .map_err(|tamper| anyhow::anyhow!("{tamper}"))?;
            anyhow::ensure!(report.entries >= entries);
            times.push(report.entries as f64 / started.elapsed().as_secs_f64());
        }
    }
    let (plain, anchored) = (median(&mut plain), median(&mut anchored));
    println!(
        "| {} | verify entries/s | {plain:.0} | {anchored:.0} (held against the witness) | {:.3} |",
        db.label,
        anchored / plain
    );
    Ok(())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

async fn proofs(db: &BenchDb, entries: u64, count: u64) -> anyhow::Result<()> {
    let ledger = Ledger::open(db.store.clone());
    fill(&ledger, entries).await?;
    let size = ledger.size().await?;
    let seqs: Vec<u64> = (0..count)
        .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15) % size)
        .collect();

    // Twice over the same entries: first as a fresh process would meet them (no page of the
    // tree mapped or cached yet), then as a long-running server does.
    let mut passes = Vec::new();
    for _ in 0..2 {
        let mut times = Vec::with_capacity(seqs.len());
        for &seq in &seqs {
            let started = Instant::now();
            let proof = ledger.inclusion_proof(seq, size).await?;
            times.push(started.elapsed());
            phiguard_ledger::merkle::verify_inclusion(
                seq,
                size,
                &proof.leaf_hash,
                &proof.proof,
                &proof.root,
            )?;
        }
        passes.push(percentiles(&mut times));
    }
    let mut lookup_times = Vec::with_capacity(seqs.len());
    for &seq in &seqs {
        let started = Instant::now();
        let _: String = sqlx::query_scalar("SELECT entry FROM ledger_entries WHERE seq = $1")
            .bind(seq as i64)
            .fetch_one(db.store.pool())
            .await?;
        lookup_times.push(started.elapsed());
    }
    let (lookup_p50, _) = percentiles(&mut lookup_times);
    let (first_p50, first_p99) = passes[0];
    let (again_p50, again_p99) = passes[1];
    println!(
        "| {} | {size} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.1} |",
        db.label,
        micros(first_p50),
        micros(first_p99),
        micros(again_p50),
        micros(again_p99),
        micros(lookup_p50),
        again_p50.as_secs_f64() / lookup_p50.as_secs_f64()
    );
    Ok(())
}

fn percentiles(times: &mut [Duration]) -> (Duration, Duration) {
    times.sort_unstable();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    (at(0.5), at(0.99))
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();

    println!("## The cost of anchoring (auto-checkpoints and the witness file)\n");
    println!("| database | measurement | without | with | with ÷ without |");
    println!("|---|---|---|---|---|");
    let sqlite = BenchDb::sqlite().await?;
    anchoring(&sqlite, args.seconds, args.verify_entries).await?;
    sqlite.remove().await?;
    if let Some(server) = &args.postgres {
        let pg = BenchDb::postgres(server, "phiguard_bench_anchoring").await?;
        anchoring(&pg, args.seconds, args.verify_entries).await?;
        pg.remove().await?;
    }
    if args.anchoring_only {
        return Ok(());
    }

    println!(
        "\n## Durable appends per second ({} s each)\n",
        args.seconds
    );
    println!(
        "| database | writers | ledger | plain, commit each | ledger ÷ plain | plain, group commit | ledger ÷ plain group |"
    );
    println!("|---|---|---|---|---|---|---|");
    let sqlite = BenchDb::sqlite().await?;
    appends(&sqlite, args.seconds).await?;
    sqlite.remove().await?;
    if let Some(server) = &args.postgres {
        let pg = BenchDb::postgres(server, "phiguard_bench_appends").await?;
        appends(&pg, args.seconds).await?;
        pg.remove().await?;
    }

    println!("\n## verify\n");
    println!("| database | entries | verify entries/s | plain read rows/s | verify ÷ read time |");
    println!("|---|---|---|---|---|");
    let sqlite = BenchDb::sqlite().await?;
    verification(&sqlite, args.verify_entries).await?;
    sqlite.remove().await?;
    if let Some(server) = &args.postgres {
        let pg = BenchDb::postgres(server, "phiguard_bench_verify").await?;
        verification(&pg, args.verify_entries).await?;
        pg.remove().await?;
    }

    println!("\n## Inclusion proofs\n");
    println!(
        "| database | entries | first pass p50 µs | first pass p99 µs | again p50 µs | again p99 µs | lookup p50 µs | proof ÷ lookup |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let sqlite = BenchDb::sqlite().await?;
    proofs(&sqlite, args.proof_entries, args.proofs).await?;
    sqlite.remove().await?;
    Ok(())
}
