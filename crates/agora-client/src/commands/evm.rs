//! `agora ledger deploy` for the operator who puts the registry on a chain; the configuration
//! each machine reads to use it is `agora_gateway::evm::settings`.

use std::collections::HashMap;
use std::path::Path;

use agora_gateway::evm::Registry;
use agora_gateway::evm::alloy::primitives::{Address, B256, Bytes};
use agora_gateway::evm::alloy::sol_types::SolCall as _;
use agora_gateway::evm::contract::{AgoraRegistry, service_key};
use agora_gateway::evm::settings::{Settings, default_confirmations, read_key_file};
use agora_services::Catalog;

use super::CommandError;

/// `agora ledger deploy evm:URL --chain-id N --key-file FILE --departments FILE --out FILE`:
/// deploys the registry with the key's account as the city's admin, registers every service of
/// the catalog to its department's account (the departments file maps department ids to
/// addresses), and writes the configuration clients need (without a key: each machine names
/// its own).
pub fn deploy(
    url: &str,
    chain_id: u64,
    key_file: &Path,
    departments: &Path,
    out: &Path,
    inbox: Option<&Path>,
    catalog: &Catalog,
) -> Result<String, CommandError> {
    let admin = read_key_file(key_file).map_err(CommandError::from)?;
    let text = std::fs::read_to_string(departments)
        .map_err(|e| CommandError::input(format!("{}: {e}", departments.display())))?;
    let accounts: HashMap<String, Address> = serde_json::from_str(&text).map_err(|e| {
        CommandError::input(format!(
            "{}: expected {{\"department id\": \"0x…address\", …}}: {e}",
            departments.display()
        ))
    })?;
    for service in catalog.services() {
        if !accounts.contains_key(&service.department.id) {
            return Err(CommandError::input(format!(
                "{}: no account for the department `{}` (service `{}`)",
                departments.display(),
                service.department.id,
                service.id
            )));
        }
    }
    let runtime = super::gateway::runtime()?;
    let (registry, deployed_at) = runtime.block_on(async {
        let registry = Registry::deploy(url, Some(chain_id), admin, None)
            .await
            .map_err(|e| CommandError::failure(e.to_string()))?;
        let deployed_at = registry
            .block_number()
            .await
            .map_err(|e| CommandError::failure(e.to_string()))?;
        for service in catalog.services() {
            let policy: B256 = service.policy.reference().sha256.parse().map_err(|_| {
                CommandError::failure(format!("the policy hash of `{}`", service.id))
            })?;
            let call: Bytes = AgoraRegistry::registerServiceCall {
                service: service_key(&service.id),
                department: accounts[&service.department.id],
                policy,
                opens: agora_gateway::evm::alloy::primitives::Uint::from(0u64),
                closes: agora_gateway::evm::alloy::primitives::Uint::from(0u64),
            }
            .abi_encode()
            .into();
            registry
                .transact(call)
                .await
                .map_err(|e| CommandError::failure(format!("registering `{}`: {e}", service.id)))?;
        }
        Ok::<_, CommandError>((registry, deployed_at))
    })?;
    let settings = Settings {
        chain_id,
        registry: registry.address(),
        deployed_at,
        confirmations: default_confirmations(),
        key_file: None,
        key_env: Some("AGORA_EVM_KEY".to_owned()),
        inbox: inbox
            .map(std::path::absolute)
            .transpose()
            .map_err(|e| CommandError::input(format!("the inbox folder: {e}")))?,
    };
    let text = serde_json::to_string_pretty(&settings)
        .map_err(|e| CommandError::failure(e.to_string()))?;
    std::fs::write(out, text + "\n")
        .map_err(|e| CommandError::failure(format!("{}: {e}", out.display())))?;
    Ok(format!(
        "deployed the registry at {} on chain {chain_id} (block {deployed_at}), {} services registered\n\
         publish for verifiers: eip155:{chain_id}:{:#x}\n\
         clients' configuration written to {} (each machine names its own account key in key_file or key_env)",
        registry.address(),
        catalog.services().count(),
        registry.address(),
        out.display()
    ))
}
