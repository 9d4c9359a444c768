// Compiles contracts/AgoraRegistry.sol with the pinned solcjs and writes its ABI, bytecode and
// the compiler settings to the folder given (contracts/build/ when run by `cargo xtask
// contracts`; a scratch folder when `cargo xtask test` checks the committed artifacts).
//
//   node tools/compile.mjs OUT_DIR
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const solc = require("solc");

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = process.argv[2];
if (!out) {
  console.error("usage: node tools/compile.mjs OUT_DIR");
  process.exit(2);
}

const name = "AgoraRegistry";
const sourcePath = `contracts/${name}.sol`;
// The settings that decide the bytecode. Cancun bytecode runs on every chain since (Prague
// included) and on permissioned Besu and Geth networks of that generation.
const settings = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: "cancun",
  viaIR: false,
  metadata: { bytecodeHash: "ipfs" },
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
};
const input = {
  language: "Solidity",
  sources: { [sourcePath]: { content: readFileSync(join(root, sourcePath), "utf8") } },
  settings,
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const problems = (output.errors || []).filter((e) => e.severity === "error" || e.type === "Warning");
for (const problem of output.errors || []) console.error(problem.formattedMessage);
if (problems.length > 0) {
  console.error(`solc: ${problems.length} error(s) or warning(s) in ${sourcePath}`);
  process.exit(1);
}
const contract = output.contracts[sourcePath][name];
mkdirSync(out, { recursive: true });
writeFileSync(join(out, `${name}.abi.json`), JSON.stringify(contract.abi, null, 2) + "\n");
writeFileSync(join(out, `${name}.bin`), contract.evm.bytecode.object + "\n");
const { outputSelection, ...recorded } = settings;
writeFileSync(
  join(out, `${name}.settings.json`),
  JSON.stringify({ compiler: `solc ${solc.version()}`, source: sourcePath, settings: recorded }, null, 2) + "\n",
);
console.log(`compiled ${sourcePath} with solc ${solc.version()} into ${out}`);
