//! The EVM ledger against anvil (from the pinned npm package; `cargo xtask bench` installs
//! it): gas per application anchored singly and in batches of 100, with the submissions in
//! the call's data and with digests only, and submissions per second with their latency to
//! "anchored", with instant mining and with a block every second. Prints numbers, asserts
//! none.
//!
//! ```text
//! cargo bench -p agora-gateway --features evm --bench evm
//! ```

use std::time::{Duration, Instant, SystemTime};

use agora_gateway::evm::alloy::primitives::{B256, Bytes, U256, Uint};
use agora_gateway::evm::alloy::signers::local::PrivateKeySigner;
use agora_gateway::evm::alloy::sol_types::SolCall as _;
use agora_gateway::evm::anvil::{self, Anvil};
use agora_gateway::evm::batch::Batch;
use agora_gateway::evm::contract::{AgoraRegistry, service_key};
use agora_gateway::evm::{EvmConfig, EvmLedger, Registry, chain};
use agora_gateway::{Ledger, prepare};
use agora_identity::Identity;
use agora_services::{Catalog, example_answers};
use serde_json::Value;
use time::OffsetDateTime;

/// Gas the EIP-7623 floor charges a calldata byte that is not zero.
const FLOOR_GAS_PER_BYTE: u64 = 40;

fn submissions(catalog: &Catalog, count: usize) -> Vec<Value> {
    submissions_to(catalog, "parking-permit", count)
}

/// `count` submissions to `service`, each by its own citizen, with the service's shipped
/// example answers.
fn submissions_to(catalog: &Catalog, service: &str, count: usize) -> Vec<Value> {
    let service = catalog.service(service).expect("service");
    let answers = example_answers(service, OffsetDateTime::now_utc().date()).expect("answers");
    let answers = service.form.validate(&answers).expect("valid");
    (0..count)
        .map(|_| {
            let citizen = Identity::generate().expect("identity");
            prepare(service, &answers, &citizen, SystemTime::now())
                .expect("prepares")
                .submission
        })
        .collect()
}

async fn funded(url: &str) -> PrivateKeySigner {
    let key = PrivateKeySigner::random();
    chain::anvil_set_balance(url, key.address(), U256::from(10u128.pow(24)))
        .await
        .expect("anvil_setBalance");
    key
}

async fn deploy(node: &Anvil, catalog: &Catalog) -> (Registry, u64) {
    let admin = funded(&node.url()).await;
    let registry = Registry::deploy(&node.url(), Some(anvil::CHAIN_ID), admin.clone(), None)
        .await
        .expect("deploys");
    let deployed_at = registry.block_number().await.expect("block");
    for service in catalog.services() {
        let policy: B256 = service.policy.reference().sha256.parse().expect("sha256");
        let call: Bytes = AgoraRegistry::registerServiceCall {
            service: service_key(&service.id),
            department: admin.address(),
            policy,
            opens: Uint::from(0u64),
            closes: Uint::from(0u64),
        }
        .abi_encode()
        .into();
        registry.transact(call).await.expect("registers");
    }
    (registry, deployed_at)
}

async fn gas(registry: &Registry, submissions: &[Value], with_data: bool) -> (u64, usize) {
    let service = submissions[0]["service"].as_str().expect("a service");
    let batch = Batch::new(submissions).expect("a batch");
    let data = if with_data {
        Bytes::from(batch.data.clone())
    } else {
        Bytes::new()
    };
    let call: Bytes = AgoraRegistry::anchorCall {
        service: service_key(service),
        root: B256::from(batch.root),
        count: batch.len() as u32,
        submissions: data.clone(),
    }
    .abi_encode()
    .into();
    let receipt = registry.transact(call).await.expect("anchors");
    (receipt.gas_used, data.len())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

async fn throughput(node: &Anvil, catalog: &Catalog, label: &str, count: usize) {
    let (registry, deployed_at) = deploy(node, catalog).await;
    let config = EvmConfig {
        deployed_at,
        confirmations: 0,
        batch_wait: Duration::from_millis(50),
        poll: Duration::from_millis(50),
        ..EvmConfig::new(node.url(), anvil::CHAIN_ID, registry.address())
    };
    let ledger = EvmLedger::new(config, catalog.clone(), funded(&node.url()).await);
    let submissions = submissions(catalog, count);
    let started = Instant::now();
    let appends = submissions.into_iter().map(|submission| {
        let ledger = &ledger;
        async move {
            let sent = Instant::now();
            ledger.append(submission).await.expect("anchored");
            sent.elapsed()
        }
    });
    let mut latencies = futures::future::join_all(appends).await;
    let took = started.elapsed();
    latencies.sort();
    println!(
        "{label}: {count} submissions in {:.2} s = {:.0}/s; to anchored p50 {:.0} ms, p99 {:.0} ms",
        took.as_secs_f64(),
        count as f64 / took.as_secs_f64(),
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
    );
}

fn main() {
    let catalog = Catalog::embedded().expect("catalog");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let node = Anvil::start(anvil::Options::default()).expect("anvil");
        let (registry, _) = deploy(&node, &catalog).await;
        println!("gas per application anchored (anvil, hardfork {}):", anvil::HARDFORK);
        for (label, with_data) in [("with sealed answers", true), ("digests only", false)] {
            for size in [1usize, 100] {
                let (gas, bytes) = gas(&registry, &submissions(&catalog, size), with_data).await;
                println!(
                    "  {label:<20} batch of {size:>3}: {:>7} gas per application ({} bytes of submissions each; the calldata floor alone is {} gas a byte)",
                    gas / size as u64,
                    bytes / size,
                    FLOOR_GAS_PER_BYTE
                );
            }
        }
        println!("with sealed answers in batches of 100, each service's shipped example:");
        for service in catalog.services() {
            let (gas, bytes) =
                gas(&registry, &submissions_to(&catalog, &service.id, 100), true).await;
            println!(
                "  {:<22} {:>7} gas per application ({} bytes each)",
                service.id,
                gas / 100,
                bytes / 100
            );
        }
        throughput(&node, &catalog, "instant mining", 200).await;
        drop(node);
        let node = Anvil::start(anvil::Options {
            block_time: Some(Duration::from_secs(1)),
            ..anvil::Options::default()
        })
        .expect("anvil");
        throughput(&node, &catalog, "a block every second", 200).await;
    });
}
