// The reference x402 stack against Coffer, for Coffer's interop test (X402InteropTest) and by hand:
// a resource server protected by the reference middleware (@x402/express) whose facilitator is
// Coffer, paid by the reference client (@x402/fetch + @x402/evm). Prints one JSON line:
// {unpaidStatus, status, body, settlement}. Inputs from the environment:
//   FACILITATOR_URL (e.g. http://127.0.0.1:8480/x402), NETWORK (eip155:31337), TOKEN, TOKEN_NAME,
//   TOKEN_VERSION, PRICE (atomic units), PAY_TO, PAYER_KEY (the payer's private key, hex), REQUESTS (default 1)
import express from 'express';
import { paymentMiddleware, x402ResourceServer } from '@x402/express';
import { HTTPFacilitatorClient } from '@x402/core/server';
import { ExactEvmScheme as ServerScheme } from '@x402/evm/exact/server';
import { ExactEvmScheme as ClientScheme } from '@x402/evm/exact/client';
import { wrapFetchWithPayment, x402Client, decodePaymentResponseHeader } from '@x402/fetch';
import { privateKeyToAccount } from 'viem/accounts';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const network = env('NETWORK');
const asset = env('TOKEN');
const price = env('PRICE');
const requests = Number(process.env.REQUESTS || '1');

const facilitator = new HTTPFacilitatorClient({ url: env('FACILITATOR_URL') });
const resourceServer = new x402ResourceServer(facilitator).register(network, new ServerScheme());
const app = express();
app.use(paymentMiddleware({
  'GET /paid': {
    accepts: {
      scheme: 'exact',
      network,
      payTo: env('PAY_TO'),
      price: { amount: price, asset, extra: { name: env('TOKEN_NAME'), version: env('TOKEN_VERSION') } },
      maxTimeoutSeconds: 120,
    },
    description: 'a paid resource',
  },
}, resourceServer));
app.get('/paid', (req, res) => res.json({ paid: true }));

const server = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
const base = `http://127.0.0.1:${server.address().port}`;
try {
  const unpaid = await fetch(`${base}/paid`);
  const client = new x402Client().register(network, new ClientScheme(privateKeyToAccount(env('PAYER_KEY'))));
  // the test token is no default asset of the client: allow it explicitly, capped at the price
  client.setSpendControls({ allowedAssets: [{ network, asset, maxAmountPerPayment: price }] });
  const pay = wrapFetchWithPayment(fetch, client);
  const results = [];
  for (let i = 0; i < requests; i++) {
    const r = await pay(`${base}/paid`);
    const header = r.headers.get('PAYMENT-RESPONSE') || r.headers.get('X-PAYMENT-RESPONSE');
    results.push({ status: r.status, body: await r.text(), settlement: header ? decodePaymentResponseHeader(header) : null });
  }
  process.stdout.write(JSON.stringify({ unpaidStatus: unpaid.status, results }) + '\n');
} finally {
  server.close();
}
