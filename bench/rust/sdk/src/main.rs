//! The peer aws-sdk-rust (aws-sdk-apigatewaymanagement) under the bench's workload, as
//! peer-results.md measured it: static credentials + `endpoint_url` for load runs, the
//! default hyper 1.x client, futures `buffer_unordered(CONCURRENCY)`; cold start through
//! `aws_config::defaults(..).load()` (credentials from the environment, default chain).

use aws_config::BehaviorVersion;
use aws_sdk_apigatewaymanagement::Client;
use aws_sdk_apigatewaymanagement::config::{Credentials, Region};
use aws_sdk_apigatewaymanagement::primitives::Blob;
use bench_common::{Meter, Mode, Outcome, args, body, ids, report_cold, runtime};
use futures::StreamExt;

fn static_client(endpoint: &str) -> Client {
    let env = |k: &str| std::env::var(k).unwrap_or_default();
    let creds = Credentials::new(
        env("AWS_ACCESS_KEY_ID"),
        env("AWS_SECRET_ACCESS_KEY"),
        std::env::var("AWS_SESSION_TOKEN").ok(),
        None,
        "bench",
    );
    let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into());
    let conf = aws_sdk_apigatewaymanagement::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region))
        .credentials_provider(creds)
        .endpoint_url(endpoint)
        .build();
    Client::from_conf(conf)
}

async fn per_call(client: &Client, ids: &[String], data: &[u8], concurrency: usize) -> Outcome {
    let mut out = Outcome::default();
    let mut s = futures::stream::iter(ids)
        .map(|id| {
            client
                .post_to_connection()
                .connection_id(id)
                .data(Blob::new(data.to_vec()))
                .send()
        })
        .buffer_unordered(concurrency);
    while let Some(r) = s.next().await {
        out.record(r.map(drop).map_err(|e| format!("{e:?}")));
    }
    out
}

fn main() {
    let mode = args();
    let rt = runtime();
    let data = body();
    match mode {
        Mode::Cold { endpoint } => {
            let r = rt.block_on(async {
                let conf = aws_config::defaults(BehaviorVersion::latest())
                    .endpoint_url(&endpoint)
                    .load()
                    .await;
                let c = Client::new(&conf);
                c.post_to_connection()
                    .connection_id("conn-0=")
                    .data(Blob::new(data))
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| format!("{e:?}"))
            });
            report_cold(r);
        }
        Mode::Load {
            endpoint,
            n,
            warmup,
            concurrency,
        } => {
            let c = static_client(&endpoint);
            let warm = ids(0, warmup);
            let measured = ids(0, n);
            rt.block_on(async {
                let w = per_call(&c, &warm, &data, concurrency).await;
                if w.errors > 0 {
                    eprintln!("warm-up errors: {:?}", w.first_error);
                }
                let m = Meter::start();
                let out = per_call(&c, &measured, &data, concurrency).await;
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
            let c = static_client(&endpoint);
            rt.block_on(async {
                let _ = c.get_connection().connection_id(&list[0]).send().await;
                let m = Meter::start();
                let out = per_call(&c, &list, &data, concurrency).await;
                m.report(list.len(), &out, &[]);
            });
        }
    }
}
