//! apigw-management from Rust under the bench's workload.
//!
//! `ROW` (environment) picks the row of a load or ids run: `percall` (futures'
//! `buffer_unordered(CONCURRENCY)` over `post_to_connection`, default) or `broadcast`
//! (one `Client::broadcast` call). Credentials and region come from the environment
//! through the client's default chain in every mode.

use apigw_management::{BroadcastOptions, Client};
use bench_common::{Meter, Mode, Outcome, args, body, ids, report_cold, runtime};
use bytes::Bytes;
use futures::StreamExt;

#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn client(endpoint: &str) -> Client {
    Client::builder()
        .endpoint(endpoint)
        .build()
        .expect("client")
}

async fn per_call(client: &Client, ids: &[String], data: &Bytes, concurrency: usize) -> Outcome {
    let mut out = Outcome::default();
    let mut s = futures::stream::iter(ids)
        .map(|id| client.post_to_connection(id, data.clone()))
        .buffer_unordered(concurrency);
    while let Some(r) = s.next().await {
        out.record(r.map(drop));
    }
    out
}

async fn broadcast(client: &Client, ids: &[String], data: &Bytes, concurrency: usize) -> Outcome {
    let opts = BroadcastOptions::default().concurrency(concurrency);
    let r = client
        .broadcast(ids.iter().map(String::as_str), data.clone(), opts)
        .await;
    let mut out = Outcome::default();
    match r {
        Ok(r) => {
            out.ok = r.delivered;
            out.errors = r.gone.len() + r.failed.len();
            out.first_error = r
                .failed
                .first()
                .map(|(id, e)| format!("{id}: {e}"))
                .or_else(|| r.gone.first().map(|id| format!("{id}: gone")));
        }
        Err(e) => {
            out.errors = ids.len();
            out.first_error = Some(e.to_string());
        }
    }
    out
}

fn main() {
    let mode = args();
    let rt = runtime();
    let data = Bytes::from(body());
    match mode {
        Mode::Cold { endpoint } => {
            let r = rt.block_on(async {
                let c = client(&endpoint);
                c.post_to_connection("conn-0=", data).await
            });
            report_cold(r.map(drop));
        }
        Mode::Load {
            endpoint,
            n,
            warmup,
            concurrency,
        } => {
            let bcast = std::env::var("ROW").is_ok_and(|r| r == "broadcast");
            let c = client(&endpoint);
            let warm = ids(0, warmup);
            let measured = ids(0, n);
            rt.block_on(async {
                let w = if bcast {
                    broadcast(&c, &warm, &data, concurrency).await
                } else {
                    per_call(&c, &warm, &data, concurrency).await
                };
                if w.errors > 0 {
                    eprintln!("warm-up errors: {:?}", w.first_error);
                }
                let m = Meter::start();
                let out = if bcast {
                    broadcast(&c, &measured, &data, concurrency).await
                } else {
                    per_call(&c, &measured, &data, concurrency).await
                };
                m.report(n, &out, &[]);
            });
        }
        Mode::Ids {
            endpoint,
            file,
            concurrency,
        } => {
            let text = std::fs::read_to_string(&file).expect("ids file");
            let list: Vec<String> = text
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect();
            let bcast = std::env::var("ROW").is_ok_and(|r| r == "broadcast");
            let c = client(&endpoint);
            rt.block_on(async {
                // Credentials, region and one connection before the clock starts.
                let _ = c.get_connection(&list[0]).await;
                let m = Meter::start();
                let out = if bcast {
                    broadcast(&c, &list, &data, concurrency).await
                } else {
                    per_call(&c, &list, &data, concurrency).await
                };
                m.report(list.len(), &out, &[]);
            });
        }
    }
}
