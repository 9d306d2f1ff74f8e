// Compiles contracts/*.sol with the pinned solc (npm package) into build/<Contract>.json
// ({abi, bytecode, deployedBytecode}); run by scripts/chain. The EVM version is pinned so the
// bytecode runs on anvil's default hardfork and on any chain from Cancun on.
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require('solc');

const dir = path.join(__dirname, 'contracts');
const sources = {};
for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.sol')).sort()) {
  sources[file] = { content: fs.readFileSync(path.join(dir, file), 'utf8') };
}
const input = {
  language: 'Solidity',
  sources,
  settings: {
    evmVersion: 'cancun',
    optimizer: { enabled: true, runs: 10000 },
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === 'error');
for (const e of output.errors || []) process.stderr.write(e.formattedMessage + '\n');
if (errors.length > 0) process.exit(1);
const out = path.join(__dirname, 'build');
fs.mkdirSync(out, { recursive: true });
for (const file of Object.keys(output.contracts)) {
  for (const [name, c] of Object.entries(output.contracts[file])) {
    const artifact = {
      contract: name,
      compiler: solc.version(),
      abi: c.abi,
      bytecode: '0x' + c.evm.bytecode.object,
      deployedBytecode: '0x' + c.evm.deployedBytecode.object,
    };
    fs.writeFileSync(path.join(out, name + '.json'), JSON.stringify(artifact, null, 1) + '\n');
  }
}
