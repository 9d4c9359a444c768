//! A connection to the registry on a chain: checked against the chain id it was configured
//! with, sending transactions from one account (an operator's, a department's or a
//! submitter's), with every failure named: a node that cannot be reached or times out, a node
//! on another chain, an answer that is not JSON-RPC, and the registry's own refusals by name.

use std::sync::Arc;
use std::time::Duration;

use alloy::network::{EthereumWallet, TransactionBuilder as _};
use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolConstructor as _;
use alloy::transports::{RpcError, TransportErrorKind};
use thiserror::Error;

use super::contract::{AgoraRegistry, bytecode, describe_error};

/// How long one request to the node may take, unless the connection says otherwise.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// What went wrong on the chain.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChainError {
    /// The node cannot be reached, or did not answer in time: try again later.
    #[error("the node at {url} cannot be reached: {reason}")]
    Unreachable {
        /// The node.
        url: String,
        /// What the connection said.
        reason: String,
    },
    /// The node took a transaction and then forgot it: it restarted on older state, or a
    /// reorganisation dropped the block it was in, or its pool dropped it. Sending it again
    /// is the answer.
    #[error(
        "the node at {url} no longer knows transaction {transaction} (it restarted, reorganised or dropped it)"
    )]
    Dropped {
        /// The node.
        url: String,
        /// The transaction's hash.
        transaction: String,
    },
    /// The node answered something that is not a JSON-RPC answer to the question asked.
    #[error("the node at {url} answered something that is not a JSON-RPC answer: {reason}")]
    Garbage {
        /// The node.
        url: String,
        /// What was wrong with it.
        reason: String,
    },
    /// The node is on another chain than the one configured.
    #[error(
        "the node at {url} is on chain {found}, not chain {expected} as configured: check the \
         URL and the configured chain id"
    )]
    WrongChain {
        /// The node.
        url: String,
        /// The configured chain id.
        expected: u64,
        /// The node's.
        found: u64,
    },
    /// Nothing is deployed at the configured registry address.
    #[error("there is no contract at {address} on chain {chain_id}: check the registry address")]
    NoRegistry {
        /// The configured address.
        address: Address,
        /// The chain.
        chain_id: u64,
    },
    /// The registry refused the transaction, with its reason by name.
    #[error("the registry refused it: {0}")]
    Refused(String),
    /// The node refused the request (not the registry): out of funds, a bad nonce, …
    #[error("the node at {url} refused the request: {reason}")]
    Node {
        /// The node.
        url: String,
        /// Its answer.
        reason: String,
    },
}

impl ChainError {
    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ChainError::Unreachable { .. } | ChainError::Garbage { .. }
        )
    }
}

/// The registry on a chain, seen through one account.
#[derive(Debug, Clone)]
pub struct Registry {
    provider: DynProvider,
    url: String,
    chain_id: u64,
    address: Address,
    account: Address,
    timeout: Duration,
}

/// A provider for `url` sending from `signer`, over a reqwest client with a timeout.
fn provider(
    url: &str,
    signer: PrivateKeySigner,
    timeout: Duration,
) -> Result<DynProvider, ChainError> {
    let parsed = reqwest::Url::parse(url).map_err(|error| ChainError::Unreachable {
        url: url.to_owned(),
        reason: format!("not a URL: {error}"),
    })?;
    let client = http_client(timeout).map_err(|reason| ChainError::Unreachable {
        url: url.to_owned(),
        reason,
    })?;
    // The nonce is asked of the node for every transaction (its pending count): a cached one
    // would skip a number when a transaction is refused at gas estimation, and every later
    // transaction from the account would then wait forever for the missing one.
    Ok(ProviderBuilder::new()
        .disable_recommended_fillers()
        .with_gas_estimation()
        .with_simple_nonce_management()
        .fetch_chain_id()
        .wallet(EthereumWallet::from(signer))
        .connect_reqwest(client, parsed)
        .erased())
}

/// A reqwest client with TLS through rustls and `ring`, checking certificates against the
/// system's roots, and a timeout on every request.
fn http_client(timeout: Duration) -> Result<reqwest::Client, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls_platform_verifier::Verifier::new(provider.clone())
        .map_err(|error| format!("no certificate verifier: {error}"))?;
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| format!("TLS: {error}"))?
        .dangerous()
        // rustls calls any verifier but its own "dangerous"; this one checks the system's roots.
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(5))
        .build()
        .map_err(|error| format!("HTTP client: {error}"))
}

/// Names a transport failure.
pub(crate) fn classify(url: &str, error: RpcError<TransportErrorKind>) -> ChainError {
    let url = url.to_owned();
    match error {
        RpcError::ErrorResp(payload) => {
            if let Some(revert) =
                payload.as_decoded_interface_error::<AgoraRegistry::AgoraRegistryErrors>()
            {
                ChainError::Refused(describe_error(&revert))
            } else {
                ChainError::Node {
                    url,
                    reason: payload.to_string(),
                }
            }
        }
        RpcError::DeserError { err, .. } => ChainError::Garbage {
            url,
            reason: err.to_string(),
        },
        RpcError::NullResp => ChainError::Garbage {
            url,
            reason: "a null result".to_owned(),
        },
        RpcError::Transport(kind) => ChainError::Unreachable {
            url,
            reason: kind.to_string(),
        },
        other => ChainError::Unreachable {
            url,
            reason: other.to_string(),
        },
    }
}

/// Checks the node's chain id against `expected`, and returns it.
async fn check_chain(
    provider: &DynProvider,
    url: &str,
    expected: Option<u64>,
    timeout: Duration,
) -> Result<u64, ChainError> {
    let found = tokio::time::timeout(timeout, provider.get_chain_id())
        .await
        .map_err(|_| timed_out(url, timeout))?
        .map_err(|error| classify(url, error))?;
    match expected {
        Some(expected) if expected != found => Err(ChainError::WrongChain {
            url: url.to_owned(),
            expected,
            found,
        }),
        _ => Ok(found),
    }
}

fn timed_out(url: &str, timeout: Duration) -> ChainError {
    ChainError::Unreachable {
        url: url.to_owned(),
        reason: format!("no answer within {:.1} s", timeout.as_secs_f64()),
    }
}

impl Registry {
    /// Deploys a new registry with `admin` as the city's admin account (the deployer's own
    /// when `None`), and connects to it.
    pub async fn deploy(
        url: &str,
        chain_id: Option<u64>,
        deployer: PrivateKeySigner,
        admin: Option<Address>,
    ) -> Result<Self, ChainError> {
        let account = deployer.address();
        let timeout = REQUEST_TIMEOUT;
        let provider = provider(url, deployer, timeout)?;
        let chain_id = check_chain(&provider, url, chain_id, timeout).await?;
        let mut code = bytecode().to_vec();
        code.extend(
            AgoraRegistry::constructorCall {
                admin_: admin.unwrap_or(Address::ZERO),
            }
            .abi_encode(),
        );
        let request = TransactionRequest::default().with_deploy_code(Bytes::from(code));
        let receipt = send(&provider, url, request, timeout).await?;
        let address = receipt
            .contract_address
            .ok_or_else(|| ChainError::Garbage {
                url: url.to_owned(),
                reason: "the deployment's receipt names no contract address".to_owned(),
            })?;
        if !receipt.status() {
            return Err(ChainError::Refused("the deployment reverted".to_owned()));
        }
        Ok(Self {
            provider,
            url: url.to_owned(),
            chain_id,
            address,
            account,
            timeout,
        })
    }

    /// Connects to the registry at `address`, checking the chain id and that a contract is
    /// there, with [`REQUEST_TIMEOUT`] for each request.
    pub async fn connect(
        url: &str,
        chain_id: Option<u64>,
        address: Address,
        account: PrivateKeySigner,
    ) -> Result<Self, ChainError> {
        Self::connect_with_timeout(url, chain_id, address, account, REQUEST_TIMEOUT).await
    }

    /// [`Registry::connect`] with another timeout for each request.
    pub async fn connect_with_timeout(
        url: &str,
        chain_id: Option<u64>,
        address: Address,
        account: PrivateKeySigner,
        timeout: Duration,
    ) -> Result<Self, ChainError> {
        let from = account.address();
        let provider = provider(url, account, timeout)?;
        let chain_id = check_chain(&provider, url, chain_id, timeout).await?;
        let code = tokio::time::timeout(timeout, provider.get_code_at(address))
            .await
            .map_err(|_| timed_out(url, timeout))?
            .map_err(|error| classify(url, error))?;
        if code.is_empty() {
            return Err(ChainError::NoRegistry { address, chain_id });
        }
        Ok(Self {
            provider,
            url: url.to_owned(),
            chain_id,
            address,
            account: from,
            timeout,
        })
    }

    /// The same registry seen through another account.
    pub async fn with_account(&self, account: PrivateKeySigner) -> Result<Self, ChainError> {
        Self::connect_with_timeout(
            &self.url,
            Some(self.chain_id),
            self.address,
            account,
            self.timeout,
        )
        .await
    }

    /// The registry's address.
    pub fn address(&self) -> Address {
        self.address
    }

    /// The chain id.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The account transactions are sent from.
    pub fn account(&self) -> Address {
        self.account
    }

    /// The node's address.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The provider, for reading.
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// The contract's bindings through this account.
    pub fn contract(&self) -> AgoraRegistry::AgoraRegistryInstance<&DynProvider> {
        AgoraRegistry::new(self.address, &self.provider)
    }

    /// Sends a call to the registry and waits for its receipt; a revert comes back by name.
    pub async fn transact(&self, call: Bytes) -> Result<TransactionReceipt, ChainError> {
        let request = TransactionRequest::default()
            .with_to(self.address)
            .with_input(call);
        let receipt = send(&self.provider, &self.url, request, self.timeout).await?;
        if !receipt.status() {
            return Err(ChainError::Refused(format!(
                "transaction {} reverted",
                receipt.transaction_hash
            )));
        }
        Ok(receipt)
    }

    /// The newest block number.
    pub async fn block_number(&self) -> Result<u64, ChainError> {
        tokio::time::timeout(self.timeout, self.provider.get_block_number())
            .await
            .map_err(|_| timed_out(&self.url, self.timeout))?
            .map_err(|error| classify(&self.url, error))
    }

    /// The hash of block `number` as the node sees it now, if it has one.
    pub async fn block_hash(&self, number: u64) -> Result<Option<B256>, ChainError> {
        let block = tokio::time::timeout(
            self.timeout,
            self.provider.get_block_by_number(number.into()),
        )
        .await
        .map_err(|_| timed_out(&self.url, self.timeout))?
        .map_err(|error| classify(&self.url, error))?;
        Ok(block.map(|block| block.header.hash))
    }
}

/// Gives `account` `wei` on an anvil node (`anvil_setBalance`): for tests and benchmarks.
pub async fn anvil_set_balance(url: &str, account: Address, wei: U256) -> Result<(), ChainError> {
    let provider = provider(url, PrivateKeySigner::random(), REQUEST_TIMEOUT)?;
    provider
        .raw_request::<_, serde_json::Value>("anvil_setBalance".into(), (account, wei))
        .await
        .map(|_| ())
        .map_err(|error| classify(url, error))
}

/// Calls one of anvil's own methods (`evm_snapshot`, `evm_revert`, `anvil_mine`, …): for tests
/// and benchmarks.
pub async fn anvil_call(
    url: &str,
    method: &'static str,
    params: serde_json::Value,
) -> Result<serde_json::Value, ChainError> {
    let provider = provider(url, PrivateKeySigner::random(), REQUEST_TIMEOUT)?;
    provider
        .raw_request::<_, serde_json::Value>(method.into(), params)
        .await
        .map_err(|error| classify(url, error))
}

/// Sends a transaction (estimating its gas first, which is where a revert shows with its
/// reason) and waits for its receipt, asking the node every 100 ms. A transaction the node
/// forgets (it restarted, or dropped it from its pool) is an error at once, not a long wait.
async fn send(
    provider: &DynProvider,
    url: &str,
    request: TransactionRequest,
    timeout: Duration,
) -> Result<TransactionReceipt, ChainError> {
    let pending = tokio::time::timeout(timeout, provider.send_transaction(request))
        .await
        .map_err(|_| timed_out(url, timeout))?
        .map_err(|error| classify(url, error))?;
    let hash = *pending.tx_hash();
    let started = std::time::Instant::now();
    let mut asked = 0u32;
    loop {
        let receipt = tokio::time::timeout(timeout, provider.get_transaction_receipt(hash))
            .await
            .map_err(|_| timed_out(url, timeout))?
            .map_err(|error| classify(url, error))?;
        if let Some(receipt) = receipt {
            return Ok(receipt);
        }
        asked += 1;
        if asked.is_multiple_of(10) {
            let known = tokio::time::timeout(timeout, provider.get_transaction_by_hash(hash))
                .await
                .map_err(|_| timed_out(url, timeout))?
                .map_err(|error| classify(url, error))?;
            if known.is_none() {
                return Err(ChainError::Dropped {
                    url: url.to_owned(),
                    transaction: hash.to_string(),
                });
            }
        }
        if started.elapsed() > timeout * 3 {
            return Err(ChainError::Unreachable {
                url: url.to_owned(),
                reason: format!(
                    "transaction {hash} was not mined within {} s",
                    (timeout * 3).as_secs()
                ),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
