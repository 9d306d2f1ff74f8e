// The reference TypeScript facilitator (@x402/core x402Facilitator + @x402/evm ExactEvmScheme),
// wrapped in a small Node HTTP server as the x402 examples do: the baseline of `./coffer bench x402`.
// Serves POST /verify, POST /settle, GET /supported on 127.0.0.1:$PORT (0 = any; the port is printed
// as "listening on http://..."). Inputs from the environment: RPC_URL, FACILITATOR_KEY (hex), NETWORK.
import http from 'node:http';
import { x402Facilitator } from '@x402/core/facilitator';
import { ExactEvmScheme } from '@x402/evm/exact/facilitator';
import { toFacilitatorEvmSigner } from '@x402/evm';
import { createWalletClient, http as viemHttp, publicActions } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { anvil } from 'viem/chains';

const account = privateKeyToAccount(process.env.FACILITATOR_KEY);
// viem polls for receipts every 4 s by default; on a local chain that alone would cap the
// reference at a few settlements a second, so it polls every 50 ms here (its best showing)
const client = createWalletClient({ account, chain: anvil, transport: viemHttp(process.env.RPC_URL), pollingInterval: 50 }).extend(publicActions);
const signer = toFacilitatorEvmSigner({ ...client, address: account.address });
const facilitator = new x402Facilitator().register(process.env.NETWORK, new ExactEvmScheme(signer));

const server = http.createServer(async (req, res) => {
  const reply = (status, body) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body, (k, v) => (typeof v === 'bigint' ? v.toString() : v)));
  };
  try {
    if (req.method === 'GET' && req.url === '/supported') return reply(200, facilitator.getSupported());
    let body = '';
    for await (const chunk of req) body += chunk;
    const { paymentPayload, paymentRequirements } = JSON.parse(body);
    if (req.method === 'POST' && req.url === '/verify') return reply(200, await facilitator.verify(paymentPayload, paymentRequirements));
    if (req.method === 'POST' && req.url === '/settle') return reply(200, await facilitator.settle(paymentPayload, paymentRequirements));
    return reply(404, { error: 'not found' });
  } catch (e) {
    return reply(500, { error: String(e && e.message ? e.message : e) });
  }
});
server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`);
});
