package dev.coffer.x402.settle;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.ledger.AccountView;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.ResultCode;
import dev.coffer.x402.Chain;
import dev.coffer.x402.X402Network;
import dev.coffer.x402.evm.EvmAddress;
import dev.coffer.x402.evm.Hex;
import dev.coffer.x402.evm.Revert;
import dev.coffer.x402.evm.RpcException;
import dev.coffer.x402.exact.TransferAuthorization;
import dev.coffer.x402.protocol.Reasons;
import dev.coffer.x402.protocol.SettleResult;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/**
 * Sends one network's recorded settlements to the chain. A batcher thread waits for an idle
 * signer, then takes what is queued (up to {@code max_batch_size}, waiting up to
 * {@code max_wait_ms} for {@code min_batch_size}) and hands it to that signer, so batches grow
 * by themselves while every signer is busy and batches spread over the pool. For each batch:
 * an {@code eth_call} of the batch first (a call that would fail fails alone, with its reason,
 * before anything is sent), the transaction signed with the signer's next nonce, one
 * {@code submitted} record per settlement, the broadcast, the receipt; then each settlement is
 * decided by its own {@code AuthorizationUsed(payer, nonce)} event in the receipt — never by
 * matching (from, to, value) — and, when its event is missing, by the token's
 * {@code authorizationState} and the chain's logs (another transaction may have carried it).
 */
final class Settler implements AutoCloseable {

    static final int MAX_ATTEMPTS = 4;

    private final Chain chain;
    private final X402Network.Batching batching;
    private final SettlementRecords records;
    private final BiConsumer<String, Map<String, Object>> log;
    private final BlockingQueue<Settlement> queue;
    private final BlockingQueue<Signer> idle = new LinkedBlockingQueue<>();
    private final List<Signer> signers;
    private final ExecutorService workers;
    private final Thread batcher;
    /** Merchant accounts found, with their asset (an account's asset never changes). */
    private final Map<String, String> accountAssets = new ConcurrentHashMap<>();
    private volatile boolean closed;

    final AtomicLong batches = new AtomicLong();
    final AtomicLong batchedSettlements = new AtomicLong();
    final AtomicLong gasUsed = new AtomicLong();
    final AtomicLong nonceErrors = new AtomicLong();
    /** Transactions sent at the nonce of one not mined in time (replacements and cancels). */
    final AtomicLong replacements = new AtomicLong();
    final Map<String, AtomicLong> outcomes = new ConcurrentHashMap<>();

    Settler(Chain chain, List<Signer> signers, SettlementRecords records, int queueCapacity, BiConsumer<String, Map<String, Object>> log) {
        this.chain = chain;
        this.batching = chain.config().batching();
        this.records = records;
        this.log = log;
        this.signers = List.copyOf(signers);
        this.queue = new LinkedBlockingQueue<>(queueCapacity);
        // Each signer is in the idle queue once per transaction it may have in flight.
        for (int i = 0; i < batching.maxInFlightPerSigner(); i++) idle.addAll(signers);
        this.workers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("x402-settle-" + chain.id() + "-", 0).factory());
        this.batcher = Thread.ofPlatform().daemon().name("x402-batcher-" + chain.id()).unstarted(this::batchLoop);
    }

    Settler start() {
        batcher.start();
        return this;
    }

    List<Signer> signers() { return signers; }

    int queued() { return queue.size(); }

    /** Idle signers, counted once per transaction each could still send. */
    int idleSigners() { return idle.size(); }

    /** Queues a recorded settlement; false when the queue is full (the caller answers "busy"). */
    boolean offer(Settlement s) {
        return queue.offer(s);
    }

    private void batchLoop() {
        while (!closed) {
            try {
                Signer signer = idle.take();
                List<Settlement> batch = collect();
                workers.submit(() -> {
                    try {
                        run(signer, batch);
                    } catch (RuntimeException e) {
                        log.accept("x402: a batch failed unexpectedly; its settlements are checked again", Map.of("error", e.toString()));
                        for (Settlement s : batch) if (!s.outcome.isDone()) requeueLater(s);
                    } finally {
                        idle.add(signer);
                    }
                });
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private List<Settlement> collect() throws InterruptedException {
        List<Settlement> batch = new ArrayList<>();
        batch.add(queue.take());
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(batching.maxWaitMs());
        while (batch.size() < batching.maxBatchSize()) {
            if (batch.size() >= batching.minBatchSize()) {
                queue.drainTo(batch, batching.maxBatchSize() - batch.size());
                break;
            }
            Settlement next = queue.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (next == null) break;
            batch.add(next);
        }
        return batch;
    }

    private void requeueLater(Settlement s) {
        Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                return;
            }
            if (!closed && !queue.offer(s)) fail(s, Reasons.UNEXPECTED_SETTLE_ERROR, "the settlement queue is full");
        });
    }

    // ---------------------------------------------------------------- one batch on one signer

    /** A transaction that was not mined within {@code receipt_timeout_ms}: the next one replaces it at its nonce. */
    private record Stuck(long nonce, String hash, BigInteger maxFee, BigInteger tip) {}

    void run(Signer signer, List<Settlement> batch) {
        List<Settlement> live = new ArrayList<>(batch);
        Stuck stuck = null;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS && !live.isEmpty(); attempt++) {
            try {
                live = simulate(signer, live);
                if (live.isEmpty()) break;
                boolean direct = batching.maxBatchSize() == 1 && live.size() == 1;
                EvmAddress to = direct ? live.getFirst().token.address() : Multicall.ADDRESS;
                String data = direct ? calldata(live.getFirst())
                        : Multicall.aggregate3(live.getFirst().token.address(), live.stream().map(Settler::calldata).toList(), batching.allowPartialFailure());
                BigInteger gas = gasLimit(live, direct);
                BigInteger[] fees = fees();
                if (stuck != null) {
                    // Same nonce, higher fees: the node keeps one of the two, and either carries these authorizations.
                    fees = bumped(fees, stuck);
                    if (fees == null) {
                        log.accept("x402: a stuck transaction cannot be replaced under max_gas_price_gwei; waiting for it",
                                Map.of("signer", signer.address().checksummed(), "tx", stuck.hash(), "nonce", stuck.nonce()));
                        JsonNode receipt = awaitReceipt(stuck.hash());
                        if (receipt != null) {
                            stuck = null;
                            gasUsed.addAndGet(Hex.toLong(receipt.path("gasUsed").asText("0x0")));
                            awaitConfirmations(receipt);
                        }
                        live = reconcile(live, receipt);
                        continue;
                    }
                }
                Sending sending = send(signer, live, stuck, to, data, gas, fees);
                Signer.Signed tx = sending.tx();
                long nonce = sending.nonce();
                Sent sent = sending.sent();
                if (sent == Sent.NONCE_TAKEN) {
                    // Signed again with a fresh nonce; if the stuck one was mined meanwhile, the simulation says so.
                    stuck = null;
                    continue;
                }
                if (sent == Sent.UNDERPRICED) {
                    stuck = new Stuck(stuck.nonce(), stuck.hash(), fees[0], fees[1]); // bump from these next time
                    continue;
                }
                if (stuck != null) replacements.incrementAndGet();
                signer.sent.incrementAndGet();
                batches.incrementAndGet();
                batchedSettlements.addAndGet(live.size());
                JsonNode receipt;
                try {
                    receipt = awaitReceipt(tx.hash());
                } finally {
                    signer.inFlight.decrementAndGet();
                }
                if (receipt == null) {
                    // Not mined in time: each one is decided by the chain's own record of its
                    // authorization (the one before may have been mined); the rest go again in a
                    // replacement at this nonce, so no later transaction of the signer waits behind it.
                    stuck = new Stuck(nonce, tx.hash(), fees[0], fees[1]);
                    live = reconcile(live, null);
                    continue;
                }
                stuck = null;
                gasUsed.addAndGet(Hex.toLong(receipt.path("gasUsed").asText("0x0")));
                awaitConfirmations(receipt);
                live = reconcile(live, receipt);
            } catch (RpcException | IOException e) {
                log.accept("x402: settling a batch hit an error; retrying", Map.of("network", chain.id(), "error", e.getMessage(), "attempt", attempt));
                if (stuck == null) signer.resync();
                sleepQuietly(200L * attempt);
            }
        }
        if (stuck != null) cancel(signer, stuck);
        for (Settlement s : live) {
            if (!s.outcome.isDone()) requeueLater(s);
        }
    }

    /** A transaction signed, recorded and handed to the node (or refused by it: {@code sent}). */
    private record Sending(Signer.Signed tx, long nonce, Sent sent) {}

    /**
     * Signs at the signer's next nonce (or a stuck transaction's), records the settlements as
     * submitted in it, and broadcasts it — holding the signer's lock, so that the transactions a
     * signer has in flight at once (up to {@code max_in_flight_per_signer}) take consecutive
     * nonces in the order they reach the node. The receipt is awaited without the lock.
     */
    private Sending send(Signer signer, List<Settlement> live, Stuck stuck, EvmAddress to, String data, BigInteger gas, BigInteger[] fees)
            throws RpcException, IOException {
        signer.lock.lock();
        try {
            long nonce = stuck != null ? stuck.nonce() : signer.nonce(chain.rpc());
            Signer.Signed tx = signer.sign(nonce, to, data, gas, fees[0], fees[1]);
            int txAttempt = live.stream().mapToInt(s -> s.attempt).max().orElse(0) + 1;
            for (Settlement s : live) {
                s.attempt = txAttempt;
            }
            records.submitted(live, signer.address().hex(), nonce, tx.hash(), txAttempt);
            for (Settlement s : live) {
                s.state = Settlement.State.SUBMITTED;
                s.txHash = tx.hash();
                s.signer = signer.address().hex();
                s.txNonce = nonce;
            }
            Sent sent = broadcast(signer, tx, stuck != null);
            if (sent == Sent.SENT) {
                signer.used(nonce);
                signer.inFlightMax.accumulateAndGet(signer.inFlight.incrementAndGet(), Math::max);
            }
            return new Sending(tx, nonce, sent);
        } finally {
            signer.lock.unlock();
        }
    }

    /**
     * Frees the nonce of a transaction still not mined when its settlements are decided or given
     * back to the queue: an empty transfer to the signer itself at that nonce with higher fees
     * (a "cancel"), so that the signer's next transaction does not wait behind it. The
     * settlements it carried are decided by their authorizations whichever of the two is mined.
     */
    private void cancel(Signer signer, Stuck stuck) {
        try {
            long mined = Hex.toLong(chain.rpc().call("eth_getTransactionCount", signer.address().hex(), "latest").asText());
            if (mined > stuck.nonce()) return; // one of them was mined after all: the nonce is used, the next one is free
            BigInteger[] fees = bumped(fees(), stuck);
            if (fees == null) {
                log.accept("x402: a stuck transaction cannot be cancelled under max_gas_price_gwei", Map.of("signer", signer.address().checksummed(), "tx", stuck.hash()));
            } else {
                Signer.Signed tx = signer.sign(stuck.nonce(), signer.address(), "0x", BigInteger.valueOf(21_000), fees[0], fees[1]);
                if (broadcast(signer, tx, true) == Sent.SENT) {
                    replacements.incrementAndGet();
                    log.accept("x402: a stuck transaction was cancelled at its nonce", Map.of("signer", signer.address().checksummed(), "tx", stuck.hash(),
                            "cancel", tx.hash(), "nonce", stuck.nonce()));
                    if (awaitReceipt(tx.hash()) != null) return;
                }
            }
        } catch (RpcException | IOException e) {
            log.accept("x402: cancelling a stuck transaction failed", Map.of("signer", signer.address().checksummed(), "error", String.valueOf(e.getMessage())));
        }
        signer.resync(); // the chain's pending count says where the next nonce is
    }

    /** Replacement fees must exceed the replaced transaction's by {@value #REPLACEMENT_BUMP_PERCENT}% or more (nodes require 10%). */
    static final int REPLACEMENT_BUMP_PERCENT = 13;

    /**
     * Fees for replacing {@code stuck}: today's fees or the stuck ones raised by
     * {@link #REPLACEMENT_BUMP_PERCENT}%, whichever is higher; null when that would pass the
     * network's gas price cap.
     */
    BigInteger[] bumped(BigInteger[] now, Stuck stuck) {
        BigInteger maxFee = now[0].max(raise(stuck.maxFee()));
        BigInteger tip = now[1].max(raise(stuck.tip()));
        if (maxFee.compareTo(chain.config().maxGasPriceWei()) > 0) return null;
        return new BigInteger[] {maxFee, tip.min(maxFee)};
    }

    private static BigInteger raise(BigInteger fee) {
        return fee.multiply(BigInteger.valueOf(100 + REPLACEMENT_BUMP_PERCENT)).divide(BigInteger.valueOf(100)).add(BigInteger.ONE);
    }

    /** Drops (and fails) the settlements whose transfer would revert now; the others, in order. */
    private List<Settlement> simulate(Signer signer, List<Settlement> batch) throws RpcException, IOException {
        List<Settlement> ok = new ArrayList<>(batch.size());
        if (batch.size() == 1) {
            Settlement s = batch.getFirst();
            try {
                chain.rpc().call("eth_call", Map.of("from", signer.address().hex(), "to", s.token.address().hex(), "data", calldata(s)), "latest");
                ok.add(s);
            } catch (RpcException e) {
                if (!e.isNodeError()) throw e;
                settleFailedCall(s, e.revertReason() != null ? e.revertReason() : e.getMessage());
            }
            return ok;
        }
        String data = Multicall.aggregate3(batch.getFirst().token.address(), batch.stream().map(Settler::calldata).toList(), true);
        String answer = chain.rpc().call("eth_call", Map.of("from", signer.address().hex(), "to", Multicall.ADDRESS.hex(), "data", data), "latest").asText();
        List<Multicall.Outcome> outcomes = Multicall.decode(answer);
        for (int i = 0; i < batch.size(); i++) {
            Multicall.Outcome o = outcomes.get(i);
            if (o.success()) {
                ok.add(batch.get(i));
            } else {
                String why = Revert.reason(Hex.of(o.returnData()));
                settleFailedCall(batch.get(i), why == null ? "reverted" : why);
            }
        }
        return ok;
    }

    /** A transfer that reverts: already paid (by another transaction), or failed for its reason. */
    private void settleFailedCall(Settlement s, String why) throws RpcException, IOException {
        String paidBy = paidBy(s);
        if (paidBy != null) {
            JsonNode receipt = chain.rpc().call("eth_getTransactionReceipt", paidBy);
            confirm(s, paidBy, receipt == null || receipt.isNull() ? 0 : Hex.toLong(receipt.path("blockNumber").asText("0x0")));
            return;
        }
        fail(s, reasonOf(why), why);
    }

    private enum Sent { SENT, NONCE_TAKEN, UNDERPRICED }

    /**
     * Sends {@code tx}. A nonce the chain has already used (or, when not replacing, one some other
     * transaction waits at) makes the signer read its nonce again; a replacement the node finds
     * too cheap is bumped again by the caller.
     */
    private Sent broadcast(Signer signer, Signer.Signed tx, boolean replacing) throws RpcException {
        try {
            chain.rpc().call("eth_sendRawTransaction", tx.raw());
            return Sent.SENT;
        } catch (RpcException e) {
            if (!e.isNodeError()) throw e;
            String m = e.getMessage().toLowerCase(java.util.Locale.ROOT);
            if (m.contains("already known")) return Sent.SENT;
            boolean underpriced = m.contains("replacement transaction underpriced") || m.contains("replacement underpriced");
            if (replacing && underpriced) return Sent.UNDERPRICED;
            if (m.contains("nonce too low") || m.contains("nonce has already been used") || underpriced || m.contains("nonce too high")) {
                nonceErrors.incrementAndGet();
                signer.resync();
                log.accept("x402: nonce recovered from the chain", Map.of("signer", signer.address().checksummed(), "error", e.getMessage()));
                return Sent.NONCE_TAKEN;
            }
            throw e;
        }
    }

    private JsonNode awaitReceipt(String hash) throws RpcException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(chain.config().receiptTimeoutMs());
        long pause = 5;
        while (System.nanoTime() < deadline && !closed) {
            JsonNode r = chain.rpc().call("eth_getTransactionReceipt", hash);
            if (r != null && !r.isNull()) return r;
            sleepQuietly(pause);
            pause = Math.min(100, pause * 2);
        }
        return null;
    }

    private void awaitConfirmations(JsonNode receipt) throws RpcException {
        if (chain.config().confirmations() == 0) return;
        long target = Hex.toLong(receipt.get("blockNumber").asText()) + chain.config().confirmations();
        while (!closed && Hex.toLong(chain.rpc().call("eth_blockNumber").asText()) < target) sleepQuietly(100);
    }

    /**
     * Decides each settlement of a transaction: confirmed when the receipt holds its own
     * {@code AuthorizationUsed} event (or the chain says another transaction used it); failed when
     * the authorization is still unused and can no longer be (expired); otherwise returned for
     * another attempt.
     */
    List<Settlement> reconcile(List<Settlement> batch, JsonNode receipt) throws RpcException, IOException {
        Set<String> used = receipt == null ? Set.of() : authorizationsUsed(receipt);
        long block = receipt == null ? 0 : Hex.toLong(receipt.path("blockNumber").asText("0x0"));
        List<Settlement> again = new ArrayList<>();
        List<Settlement> carried = new ArrayList<>();
        for (Settlement s : batch) if (used.contains(usedKey(s))) carried.add(s);
        confirmAll(carried, block);
        for (Settlement s : batch) {
            if (used.contains(usedKey(s))) continue;
            String paidBy = paidBy(s);
            if (paidBy != null) {
                JsonNode r = chain.rpc().call("eth_getTransactionReceipt", paidBy);
                confirm(s, paidBy, r == null || r.isNull() ? block : Hex.toLong(r.path("blockNumber").asText("0x0")));
            } else if (s.auth.validBefore().compareTo(BigInteger.valueOf(System.currentTimeMillis() / 1000)) <= 0) {
                fail(s, Reasons.VALID_BEFORE, "the authorization expired before a transaction carrying it was mined");
            } else {
                again.add(s);
            }
        }
        return again;
    }

    /** The hash of the transaction that used {@code s}'s authorization, or null while it is unused. */
    String paidBy(Settlement s) throws RpcException {
        String state = chain.rpc().call("eth_call", Map.of("to", s.token.address().hex(), "data", s.auth.authorizationStateCalldata()), "latest").asText("0x");
        if (state.length() <= 2 || new BigInteger(state.substring(2), 16).signum() == 0) return null;
        JsonNode logs = chain.rpc().call("eth_getLogs", Map.of("address", s.token.address().hex(), "fromBlock", "0x0", "toBlock", "latest",
                "topics", List.of(TransferAuthorization.AUTHORIZATION_USED_TOPIC, topic(s.auth.from()), s.auth.nonceHex())));
        if (logs.isArray() && !logs.isEmpty()) return logs.get(0).path("transactionHash").asText();
        return ""; // used, but by a cancellation or on a node without logs: no transaction to name
    }

    private Set<String> authorizationsUsed(JsonNode receipt) {
        Set<String> used = new java.util.HashSet<>();
        if (!"0x1".equals(receipt.path("status").asText())) return used;
        for (JsonNode l : receipt.path("logs")) {
            JsonNode t = l.path("topics");
            if (t.size() == 3 && TransferAuthorization.AUTHORIZATION_USED_TOPIC.equals(t.get(0).asText())) {
                used.add(l.path("address").asText().toLowerCase(java.util.Locale.ROOT) + "|" + t.get(1).asText().toLowerCase(java.util.Locale.ROOT) + "|"
                        + t.get(2).asText().toLowerCase(java.util.Locale.ROOT));
            }
        }
        return used;
    }

    /** {@code s}'s entry in {@link #authorizationsUsed}: token, payer topic, nonce. */
    private static String usedKey(Settlement s) {
        return s.token.address().hex() + "|" + topic(s.auth.from()) + "|" + s.auth.nonceHex().toLowerCase(java.util.Locale.ROOT);
    }

    private static String topic(EvmAddress a) {
        return "0x000000000000000000000000" + a.hex().substring(2);
    }

    void confirm(Settlement s, String txHash, long block) throws IOException {
        s.txHash = txHash;
        confirmAll(List.of(s), block);
    }

    /** Records the confirmations (and credits) of settlements carried by their {@code txHash}, together, then answers their callers. */
    private void confirmAll(List<Settlement> carried, long block) throws IOException {
        if (carried.isEmpty()) return;
        List<SettlementRecords.Confirmation> cs = new ArrayList<>(carried.size());
        for (Settlement s : carried) {
            Merchant m = merchant(s);
            cs.add(new SettlementRecords.Confirmation(s, s.txHash, block, m.account(), m.refused()));
        }
        List<ResultCode> credits = records.confirmed(cs);
        for (int i = 0; i < carried.size(); i++) {
            Settlement s = carried.get(i);
            ResultCode credit = credits.get(i);
            if (credit != ResultCode.CREATED && credit != ResultCode.EXISTS) {
                log.accept("x402: settlement confirmed but the merchant's credit was refused", Map.of("settlement", s.key, "account", cs.get(i).account(), "code", credit.wireName()));
            }
            s.state = Settlement.State.CONFIRMED;
            count("confirmed");
            s.outcome.complete(SettleResult.ok(s.payer, s.txHash, s.network, s.amount()));
        }
    }

    void fail(Settlement s, String reason, String message) {
        try {
            records.failed(s, reason, message);
        } catch (IOException e) {
            log.accept("x402: recording a failed settlement failed; it stays pending and is checked again at start-up", Map.of("settlement", s.key, "error", e.toString()));
        }
        s.state = Settlement.State.FAILED;
        count(reason);
        s.outcome.complete(SettleResult.failed(reason, message, s.payer, s.txHash, s.network));
    }

    /** The merchant's Coffer account for {@code s}'s payTo: {@code x402:<address>}, opened on its first credit. */
    /** The account a settlement credits, and why it cannot be credited (null: it can). */
    private record Merchant(String account, ResultCode refused) {}

    /**
     * The merchant's Coffer account for {@code s}'s payTo: the network's {@code merchants} mapping,
     * else {@code x402:<payTo>}, opened on its first credit. Either must hold the token's asset: a
     * credit in another asset would be a wrong amount, so it is refused ({@code asset_mismatch}),
     * as is one to a mapped account that does not exist ({@code account_not_found}); the
     * settlement is confirmed all the same, with {@code credited: false}.
     */
    private Merchant merchant(Settlement s) throws IOException {
        String mapped = chain.config().merchantAccounts().get(s.auth.to().hex());
        String account = mapped != null ? mapped : "x402:" + s.auth.to().hex();
        String asset = accountAssets.get(account);
        if (asset == null) {
            synchronized (accountAssets) { // others wait until it exists: a credit before the account would be refused
                asset = accountAssets.get(account);
                if (asset == null) {
                    if (mapped == null) {
                        records.ensure(new Command.CreateAsset("x402-asset-" + s.token.asset(), s.token.asset(), s.token.decimals()));
                        records.ensure(new Command.CreateAccount("x402-acct-" + s.auth.to().hex().substring(2), account, s.token.asset(), s.auth.to().hex(), 0,
                                Map.of("x402_network", s.network, "x402_pay_to", s.auth.to().checksummed())));
                    }
                    AccountView v = records.account(account);
                    if (v == null) return new Merchant(account, ResultCode.ACCOUNT_NOT_FOUND); // not remembered: opening it later is enough
                    asset = v.asset();
                    accountAssets.put(account, asset);
                }
            }
        }
        return new Merchant(account, asset.equals(s.token.asset()) ? null : ResultCode.ASSET_MISMATCH);
    }

    /**
     * The gas limit, computed rather than estimated: {@code eth_estimateGas} runs the whole batch
     * several times on the node (a binary search), which cost more of the node than the batch
     * itself; the batch was just simulated, so its calls are known to succeed. An EIP-3009 transfer
     * uses about 50,000 gas inside a batch and 73,000 alone (measured on the test token and
     * USDC-like tokens); contract-wallet (ERC-1271) payers get more for their signature check.
     * Unused gas is not paid for.
     */
    static BigInteger gasLimit(List<Settlement> batch, boolean direct) {
        long gas = direct ? 40_000 : 60_000;
        for (Settlement s : batch) gas += s.signature.length == 65 ? GAS_PER_TRANSFER : GAS_PER_CONTRACT_WALLET_TRANSFER;
        return BigInteger.valueOf(gas);
    }

    static final long GAS_PER_TRANSFER = 80_000;
    static final long GAS_PER_CONTRACT_WALLET_TRANSFER = 150_000;

    /** {maxFeePerGas, maxPriorityFeePerGas}: twice the base fee plus the tip, never above the network's cap. */
    private BigInteger[] fees() throws RpcException, IOException {
        JsonNode block = chain.rpc().call("eth_getBlockByNumber", "latest", false);
        BigInteger base = Hex.toBigInteger(block.path("baseFeePerGas").asText("0x0"));
        BigInteger tip;
        try {
            tip = Hex.toBigInteger(chain.rpc().call("eth_maxPriorityFeePerGas").asText());
        } catch (RpcException e) {
            if (!e.isNodeError()) throw e;
            tip = BigInteger.valueOf(1_000_000_000L);
        }
        BigInteger cap = chain.config().maxGasPriceWei();
        BigInteger max = base.shiftLeft(1).add(tip);
        if (max.compareTo(cap) > 0) max = cap;
        if (tip.compareTo(max) > 0) tip = max;
        if (base.compareTo(cap) > 0) throw new IOException("the base fee (" + base + " wei) is above max_gas_price_gwei; waiting for it to fall");
        return new BigInteger[] {max, tip};
    }

    private static String calldata(Settlement s) {
        return s.auth.transferCalldata(s.signature);
    }

    /** The reference's mapping of a revert reason to a settle error reason. */
    static String reasonOf(String message) {
        String m = message == null ? "" : message.toLowerCase(java.util.Locale.ROOT);
        if (m.matches("(?s).*authorization.*(expired|valid before).*")) return Reasons.VALID_BEFORE;
        if (m.matches("(?s).*authorization.*not.*valid.*")) return Reasons.VALID_AFTER;
        if (m.matches("(?s).*authorization.*(used|canceled).*")) return Reasons.NONCE_ALREADY_USED;
        if (m.matches("(?s).*(transfer.*exceeds.*balance|insufficient.*balance).*")) return Reasons.INSUFFICIENT_BALANCE;
        if (m.matches("(?s).*invalid.*signature.*")) return Reasons.SIGNATURE;
        return Reasons.TRANSACTION_FAILED;
    }

    volatile BiConsumer<String, String> outcomeListener = (network, outcome) -> { };

    private void count(String outcome) {
        outcomes.computeIfAbsent(outcome, k -> new AtomicLong()).incrementAndGet();
        outcomeListener.accept(chain.id(), outcome);
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed = true;
        batcher.interrupt();
        workers.shutdownNow();
    }
}
