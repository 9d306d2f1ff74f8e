package dev.coffer.x402.settle;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.log.LogReader;
import dev.coffer.x402.Chain;
import dev.coffer.x402.X402Token;
import dev.coffer.x402.evm.EvmAddress;
import dev.coffer.x402.evm.Hex;
import dev.coffer.x402.evm.RpcException;
import dev.coffer.x402.exact.TransferAuthorization;
import dev.coffer.x402.protocol.Reasons;
import dev.coffer.x402.protocol.SettleResult;
import org.web3j.crypto.ECKeyPair;

import java.io.IOException;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * Every settlement the facilitator knows, by key, and the {@link Settler} of each network.
 * A settlement is recorded ({@code pending}) before it is queued; the same payment settled
 * again — concurrently, as a retry, or after a restart — finds its entry and waits for (or
 * answers with) the same outcome and transaction, and is never sent twice. At start-up,
 * {@link #recover} reads the records back: settlements that were submitted are decided against
 * the chain (receipts, {@code authorizationState}, the token's logs) and those never sent are
 * queued again, all before a new one is taken.
 */
public final class Settlements implements AutoCloseable {

    private final Map<String, Settlement> byKey = new ConcurrentHashMap<>();
    private final Map<String, Settler> settlers = new LinkedHashMap<>();
    private final Map<String, Chain> chains = new LinkedHashMap<>();
    private final SettlementRecords records;
    private final List<EvmAddress> addresses;
    private final BiConsumer<String, Map<String, Object>> log;

    public Settlements(List<Chain> chains, List<ECKeyPair> keys, Ledger ledger, int queueCapacity, BiConsumer<String, Map<String, Object>> log) {
        if (keys.isEmpty()) throw new IllegalArgumentException("settling needs at least one key");
        this.records = new SettlementRecords(ledger);
        this.log = log;
        for (Chain c : chains) {
            List<Signer> signers = keys.stream().map(k -> new Signer(k, c.chainId())).toList();
            settlers.put(c.id(), new Settler(c, signers, records, queueCapacity, log));
            this.chains.put(c.id(), c);
        }
        this.addresses = keys.stream().map(k -> new EvmAddress("0x" + org.web3j.crypto.Keys.getAddress(k))).toList();
    }

    public List<EvmAddress> signerAddresses() { return addresses; }

    private volatile BigInteger minGasBalanceWei = BigInteger.ZERO;
    private volatile Thread balanceWatcher;

    /**
     * Reads every signer's gas balance now and then every {@code every}; a signer below
     * {@code minWei} makes {@link #gasCheck} report the facilitator degraded.
     */
    public void watchGasBalances(BigInteger minWei, java.time.Duration every) {
        this.minGasBalanceWei = minWei;
        refreshBalances();
        balanceWatcher = Thread.ofPlatform().daemon().name("x402-gas-balances").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(every.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
                refreshBalances();
            }
        });
    }

    void refreshBalances() {
        for (Map.Entry<String, Settler> e : settlers.entrySet()) {
            Chain c = chains.get(e.getKey());
            for (Signer s : e.getValue().signers()) {
                try {
                    s.gasBalance = Hex.toBigInteger(c.rpc().call("eth_getBalance", s.address().hex(), "latest").asText());
                } catch (RpcException | RuntimeException ex) {
                    log.accept("x402: reading a signer's gas balance failed", Map.of("network", c.id(), "signer", s.address().checksummed(), "error", String.valueOf(ex.getMessage())));
                }
            }
        }
    }

    /** Called with (network, outcome) for every settlement decided: {@code confirmed} or a failure reason (metrics). */
    public void onOutcome(BiConsumer<String, String> listener) {
        for (Settler s : settlers.values()) s.outcomeListener = listener;
    }

    /** Per network, for metrics: {queued, batches, settlements sent in batches, gas used, nonce errors, replacements}. */
    public Map<String, java.util.function.Supplier<long[]>> counters() {
        Map<String, java.util.function.Supplier<long[]>> m = new LinkedHashMap<>();
        settlers.forEach((id, s) -> m.put(id, () -> new long[] {s.queued(), s.batches.get(), s.batchedSettlements.get(), s.gasUsed.get(), s.nonceErrors.get(), s.replacements.get()}));
        return m;
    }

    /** Each signer's last read gas balance in wei, by (network, address), for metrics. */
    public Map<String, Map<String, java.util.function.Supplier<BigInteger>>> gasBalances() {
        Map<String, Map<String, java.util.function.Supplier<BigInteger>>> m = new LinkedHashMap<>();
        settlers.forEach((id, s) -> {
            Map<String, java.util.function.Supplier<BigInteger>> bySigner = new LinkedHashMap<>();
            for (Signer sg : s.signers()) bySigner.put(sg.address().checksummed(), () -> sg.gasBalance);
            m.put(id, bySigner);
        });
        return m;
    }

    /** For {@code /readyz}: {@code ok} false (degraded) when a signer's gas balance is below the minimum. */
    public Map<String, Object> gasCheck() {
        List<String> low = new java.util.ArrayList<>();
        for (Map.Entry<String, Settler> e : settlers.entrySet()) {
            for (Signer s : e.getValue().signers()) {
                if (s.gasBalance.compareTo(minGasBalanceWei) < 0) low.add(e.getKey() + " " + s.address().checksummed());
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ok", low.isEmpty());
        m.put("min_gas_balance_wei", minGasBalanceWei.toString());
        m.put("low_signers", low);
        m.put("detail", low.isEmpty() ? "every signer has gas" : "signers below the gas minimum settle nothing once empty: fund them");
        return m;
    }

    /** Reads the records up to {@code durableSeq}, decides what was in flight, queues what was never sent; then starts the settlers. */
    public void recover(LogReader.Factory readers, long durableSeq) throws IOException {
        Map<String, ObjectNode> last = SettlementRecords.read(readers, durableSeq);
        int resumed = 0;
        int decided = 0;
        for (Map.Entry<String, ObjectNode> e : last.entrySet()) {
            ObjectNode b = e.getValue();
            Chain chain = chains.get(b.path("network").asText());
            if (chain == null) {
                log.accept("x402: a recorded settlement is on a network no longer configured; left as it is", Map.of("settlement", e.getKey(), "network", b.path("network").asText()));
                continue;
            }
            X402Token token = chain.token(new EvmAddress(b.path("token").asText())).orElse(null);
            if (token == null) continue;
            TransferAuthorization auth = new TransferAuthorization(new EvmAddress(b.path("from").asText()), new EvmAddress(b.path("to").asText()),
                    new BigInteger(b.path("value").asText()), new BigInteger(b.path("valid_after").asText()), new BigInteger(b.path("valid_before").asText()),
                    Hex.bytes(b.path("nonce").asText()));
            Settlement s = new Settlement(e.getKey(), chain.id(), token, auth, Hex.bytes(b.path("signature").asText()), b.path("payer").asText());
            s.txHash = b.path("tx_hash").isTextual() ? b.path("tx_hash").asText() : null;
            s.attempt = b.path("attempt").asInt(0);
            byKey.put(s.key, s);
            switch (b.path("state").asText()) {
                case "confirmed" -> {
                    s.state = Settlement.State.CONFIRMED;
                    s.outcome.complete(SettleResult.ok(s.payer, s.txHash, s.network, s.amount()));
                }
                case "failed" -> {
                    s.state = Settlement.State.FAILED;
                    s.outcome.complete(SettleResult.failed(b.path("reason").asText(), b.path("message").asText(null), s.payer, s.txHash, s.network));
                }
                case "submitted" -> {
                    s.state = Settlement.State.SUBMITTED;
                    Settler settler = settlers.get(chain.id());
                    try {
                        var receipt = chain.rpc().call("eth_getTransactionReceipt", s.txHash);
                        List<Settlement> open = settler.reconcile(List.of(s), receipt == null || receipt.isNull() ? null : receipt);
                        if (open.isEmpty()) {
                            decided++;
                        } else {
                            resumed++;
                            settler.offer(s);
                        }
                    } catch (RpcException ex) {
                        throw new IOException("x402: the chain " + chain.id() + " could not be asked about settlement " + s.key + " at start-up: " + ex.getMessage(), ex);
                    }
                }
                default -> {
                    resumed++;
                    settlers.get(chain.id()).offer(s);
                }
            }
        }
        log.accept("x402: settlements recovered", Map.of("known", byKey.size(), "decided_at_start", decided, "queued_again", resumed));
        for (Settler st : settlers.values()) st.start();
    }

    /**
     * Settles a verified payment once. Returns the settlement's outcome (the same future for every
     * caller of the same payment); a payment already known with other content answers null (the
     * caller refuses it: its nonce belongs to another authorization).
     */
    public CompletableFuture<SettleResult> settle(Chain chain, X402Token token, TransferAuthorization auth, byte[] signature, String payer, String network)
            throws IOException {
        String key = Settlement.key(chain.chainId(), token.address(), auth.from(), auth.nonce());
        Settlement fresh = new Settlement(key, chain.id(), token, auth, signature, payer);
        Settlement existing = byKey.putIfAbsent(key, fresh);
        if (existing != null) return existing.sameAs(auth, signature) ? existing.outcome : null;
        Settler settler = settlers.get(chain.id());
        try {
            records.pending(fresh);
        } catch (IOException e) {
            byKey.remove(key, fresh);
            throw e;
        }
        if (!settler.offer(fresh)) settler.fail(fresh, Reasons.UNEXPECTED_SETTLE_ERROR, "the settlement queue is full; try again");
        return fresh.outcome;
    }

    /** The settlement of this payment, if known (for {@code settlement_pending} answers). */
    public Settlement find(Chain chain, X402Token token, TransferAuthorization auth) {
        return byKey.get(Settlement.key(chain.chainId(), token.address(), auth.from(), auth.nonce()));
    }

    /** Queues, signers, settlements by state and outcome counters, for {@code GET /v1/admin/x402/stats}. */
    public Map<String, Object> stats() {
        Map<String, Object> out = new LinkedHashMap<>();
        Map<String, Long> states = new LinkedHashMap<>();
        for (Settlement s : byKey.values()) states.merge(s.state.name().toLowerCase(java.util.Locale.ROOT), 1L, Long::sum);
        out.put("settlements", states);
        Map<String, Object> nets = new LinkedHashMap<>();
        for (Map.Entry<String, Settler> e : settlers.entrySet()) {
            Settler st = e.getValue();
            Map<String, Object> n = new LinkedHashMap<>();
            n.put("queued", st.queued());
            n.put("idle_signers", st.idleSigners());
            n.put("batches", st.batches.get());
            n.put("batched_settlements", st.batchedSettlements.get());
            n.put("gas_used", st.gasUsed.get());
            n.put("nonce_errors", st.nonceErrors.get());
            n.put("replacements", st.replacements.get());
            Map<String, Long> outcomes = new LinkedHashMap<>();
            st.outcomes.forEach((k, v) -> outcomes.put(k, v.get()));
            n.put("outcomes", outcomes);
            List<Map<String, Object>> signers = st.signers().stream().map(sg -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("address", sg.address().checksummed());
                m.put("transactions", sg.sent.get());
                m.put("nonce_recoveries", sg.nonceRecoveries.get());
                m.put("in_flight", sg.inFlight.get());
                m.put("in_flight_max", sg.inFlightMax.get());
                m.put("gas_balance_wei", sg.gasBalance.toString());
                return m;
            }).toList();
            n.put("signers", signers);
            nets.put(e.getKey(), n);
        }
        out.put("networks", nets);
        return out;
    }

    @Override
    public void close() {
        if (balanceWatcher != null) balanceWatcher.interrupt();
        for (Settler s : settlers.values()) s.close();
    }
}
