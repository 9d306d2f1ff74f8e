package dev.coffer.x402.settle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.ledger.AccountView;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.LedgerConfig;
import dev.coffer.ledger.journal.FileLogStore;
import dev.coffer.ledger.log.LogReader;
import dev.coffer.x402.Facilitator;
import dev.coffer.x402.devchain.LocalChain;
import dev.coffer.x402.devchain.DevPayer;
import dev.coffer.x402.X402Network;
import dev.coffer.x402.X402Token;
import dev.coffer.x402.evm.EvmAddress;
import dev.coffer.x402.exact.Eip712Domain;
import dev.coffer.x402.exact.TransferAuthorization;
import dev.coffer.x402.protocol.Reasons;
import dev.coffer.x402.protocol.SettleResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.ECKeyPair;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * /settle against a real chain and a real ledger: exactly once under concurrent duplicates with
 * batching on and off, each settlement decided by its own event, the merchant credited in the
 * ledger exactly as the chain moved, nonce recovery, and restart reconciliation of what was in flight.
 */
class SettlementTest {

    static final BigInteger PRICE = BigInteger.valueOf(10_000);
    static final Duration WAIT = Duration.ofSeconds(60);
    static LocalChain chain;
    static EvmAddress usdc;
    static final List<DevPayer> payers = new ArrayList<>();

    Path dir;
    Ledger ledger;
    Facilitator facilitator;
    long receiptTimeoutMs = 30_000;
    Map<String, String> merchants = Map.of();

    @BeforeAll
    static void startChain() throws Exception {
        chain = LocalChain.start();
        usdc = chain.deployToken("USD Coin", "2");
        for (int i = 0; i < 10; i++) {
            DevPayer p = new DevPayer();
            chain.mint(usdc, p.address(), BigInteger.valueOf(100_000_000));
            payers.add(p);
        }
    }

    @AfterAll
    static void stopChain() {
        if (chain != null) chain.close();
    }

    @AfterEach
    void stop() {
        if (facilitator != null && facilitator.settlements() != null) facilitator.settlements().close();
        if (ledger != null) ledger.close();
    }

    static List<ECKeyPair> fundedKeys(int n) throws Exception {
        List<ECKeyPair> keys = new ArrayList<>();
        for (int i = 0; i < n; i++) keys.add(chain.fundedKey(BigInteger.TEN.pow(20)));
        return keys;
    }

    void open(List<ECKeyPair> keys, X402Network.Batching batching) throws Exception {
        if (dir == null) dir = Files.createTempDirectory("coffer-x402-settle");
        ledger = Ledger.open(LedgerConfig.defaults(dir));
        X402Network base = chain.network(List.of(new X402Token(usdc, "USD Coin", "2", 6, "USDC")));
        X402Network net = new X402Network(base.id(), base.v1Names(), base.rpc(), base.tokens(), 0, receiptTimeoutMs, base.maxGasPriceWei(), batching, merchants);
        facilitator = new Facilitator(List.of(net), List.of(), Duration.ofSeconds(10), () -> System.currentTimeMillis() / 1000);
        LogReader.Factory readers = after -> FileLogStore.reader(dir, after, ledger::durableSeq);
        facilitator.startSettling(keys, ledger, readers, 10_000, (m, f) -> { });
    }

    void reopen(List<ECKeyPair> keys, X402Network.Batching batching) throws Exception {
        facilitator.settlements().close();
        ledger.close();
        open(keys, batching);
    }

    static ObjectNode payment(DevPayer payer, EvmAddress merchant, TransferAuthorization auth) {
        byte[] sig = payer.sign(auth, new Eip712Domain("USD Coin", "2", LocalChain.CHAIN_ID, usdc));
        return DevPayer.v2Body(auth, sig, LocalChain.NETWORK, usdc, merchant, auth.value(), "USD Coin", "2");
    }

    static TransferAuthorization auth(DevPayer payer, EvmAddress merchant, BigInteger value) {
        return payer.authorize(merchant, value, System.currentTimeMillis() / 1000, 600);
    }

    BigInteger credited(EvmAddress merchant) {
        AccountView v = ledger.account("x402:" + merchant.hex()).join();
        return v == null ? BigInteger.ZERO : v.available();
    }

    @Test
    void aPaymentSettlesOnceAndItsRetryAnswersTheSameTransaction() throws Exception {
        open(fundedKeys(1), X402Network.Batching.OFF);
        EvmAddress merchant = new DevPayer().address();
        DevPayer payer = payers.get(0);
        ObjectNode body = payment(payer, merchant, auth(payer, merchant, PRICE));
        BigInteger payerBefore = chain.tokenBalance(usdc, payer.address());
        SettleResult first = facilitator.settle(body, WAIT);
        assertThat(first.success()).as(first.toString()).isTrue();
        assertThat(first.transaction()).matches("0x[0-9a-f]{64}");
        assertThat(first.toJson()).containsEntry("network", LocalChain.NETWORK).containsEntry("amount", PRICE.toString());
        SettleResult again = facilitator.settle(body, WAIT);
        assertThat(again).isEqualTo(first);
        assertThat(chain.tokenBalance(usdc, merchant)).isEqualTo(PRICE);
        assertThat(chain.tokenBalance(usdc, payer.address())).isEqualTo(payerBefore.subtract(PRICE));
        assertThat(credited(merchant)).isEqualTo(PRICE);
        JsonNode receipt = chain.call("eth_getTransactionReceipt", first.transaction());
        assertThat(receipt.get("to").asText()).as("no batching: the token is called directly").isEqualTo(usdc.hex());
    }

    @Test
    void everyBadPayloadIsRefusedAtSettleWithNothingMoved() throws Exception {
        open(fundedKeys(1), X402Network.Batching.DEFAULT);
        EvmAddress merchant = new DevPayer().address();
        DevPayer p = payers.get(5);
        long now = System.currentTimeMillis() / 1000;
        Eip712Domain domain = new Eip712Domain("USD Coin", "2", LocalChain.CHAIN_ID, usdc);
        Map<String, ObjectNode> bad = new java.util.LinkedHashMap<>();
        TransferAuthorization a = auth(p, merchant, PRICE);
        byte[] tampered = p.sign(a, domain);
        tampered[7] ^= 1;
        bad.put(Reasons.SIGNATURE, DevPayer.v2Body(a, tampered, LocalChain.NETWORK, usdc, merchant, PRICE, "USD Coin", "2"));
        TransferAuthorization elsewhere = auth(p, new DevPayer().address(), PRICE);
        bad.put(Reasons.RECIPIENT_MISMATCH, DevPayer.v2Body(elsewhere, p.sign(elsewhere, domain), LocalChain.NETWORK, usdc, merchant, PRICE, "USD Coin", "2"));
        TransferAuthorization expired = new TransferAuthorization(p.address(), merchant, PRICE, BigInteger.valueOf(now - 600), BigInteger.valueOf(now - 1),
                DevPayer.randomNonce());
        bad.put(Reasons.VALID_BEFORE, payment(p, merchant, expired));
        TransferAuthorization early = new TransferAuthorization(p.address(), merchant, PRICE, BigInteger.valueOf(now + 300), BigInteger.valueOf(now + 900),
                DevPayer.randomNonce());
        bad.put(Reasons.VALID_AFTER, payment(p, merchant, early));
        TransferAuthorization more = auth(p, merchant, PRICE.add(BigInteger.ONE));
        bad.put(Reasons.VALUE_MISMATCH, DevPayer.v2Body(more, p.sign(more, domain), LocalChain.NETWORK, usdc, merchant, PRICE, "USD Coin", "2"));
        TransferAuthorization other = auth(p, merchant, PRICE);
        bad.put(Reasons.TOKEN_NAME_MISMATCH, DevPayer.v2Body(other, p.sign(other, new Eip712Domain("Other Coin", "2", LocalChain.CHAIN_ID, usdc)),
                LocalChain.NETWORK, usdc, merchant, PRICE, "Other Coin", "2"));
        DevPayer poor = new DevPayer();
        bad.put(Reasons.INSUFFICIENT_BALANCE, payment(poor, merchant, auth(poor, merchant, PRICE)));
        TransferAuthorization used = auth(p, merchant, PRICE);
        byte[] usedSig = p.sign(used, domain);
        chain.transact(usdc, used.transferCalldata(usedSig)); // settled elsewhere first
        bad.put(Reasons.NONCE_ALREADY_USED, DevPayer.v2Body(used, usedSig, LocalChain.NETWORK, usdc, merchant, PRICE, "USD Coin", "2"));
        ObjectNode network = payment(p, merchant, auth(p, merchant, PRICE));
        ((ObjectNode) network.get("paymentRequirements")).put("network", "eip155:8453");
        bad.put(Reasons.INVALID_NETWORK, network);
        ObjectNode scheme = payment(p, merchant, auth(p, merchant, PRICE));
        ((ObjectNode) scheme.get("paymentRequirements")).put("scheme", "upto");
        bad.put(Reasons.UNSUPPORTED_SCHEME, scheme);

        BigInteger payerBefore = chain.tokenBalance(usdc, p.address());
        BigInteger merchantBefore = chain.tokenBalance(usdc, merchant); // the used nonce's payment, made directly
        for (Map.Entry<String, ObjectNode> e : bad.entrySet()) {
            SettleResult r = facilitator.settle(e.getValue(), WAIT);
            assertThat(r.success()).as(e.getKey()).isFalse();
            assertThat(r.reason()).as(r.toString()).isEqualTo(e.getKey());
            assertThat(r.transaction()).as("nothing sent for %s", e.getKey()).isEmpty();
        }
        assertThat(chain.tokenBalance(usdc, p.address())).isEqualTo(payerBefore);
        assertThat(chain.tokenBalance(usdc, merchant)).isEqualTo(merchantBefore);
        assertThat(credited(merchant)).isZero();
    }

    @Test
    void concurrentDuplicatesMoveMoneyExactlyOnceWithBatchingOn() throws Exception {
        concurrentDuplicates(new X402Network.Batching(50, 1, 20, true), 4);
    }

    @Test
    void concurrentDuplicatesMoveMoneyExactlyOnceWithBatchingOff() throws Exception {
        concurrentDuplicates(X402Network.Batching.OFF, 4);
    }

    void concurrentDuplicates(X402Network.Batching batching, int signers) throws Exception {
        open(fundedKeys(signers), batching);
        EvmAddress merchant = new DevPayer().address();
        List<ObjectNode> bodies = new ArrayList<>();
        BigInteger expected = BigInteger.ZERO;
        for (int i = 0; i < 40; i++) {
            BigInteger value = PRICE.add(BigInteger.valueOf(i % 3)); // equal amounts from one payer too: never matched by value
            DevPayer p = payers.get(i % payers.size());
            bodies.add(payment(p, merchant, auth(p, merchant, value)));
            expected = expected.add(value);
        }
        Map<Integer, Set<String>> txByPayment = new ConcurrentHashMap<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(24)) {
            List<Future<?>> fs = new ArrayList<>();
            for (int copy = 0; copy < 3; copy++) {
                for (int i = 0; i < bodies.size(); i++) {
                    int n = i;
                    fs.add(pool.submit(() -> {
                        SettleResult r = facilitator.settle(bodies.get(n), WAIT);
                        assertThat(r.success()).as(r.toString()).isTrue();
                        txByPayment.computeIfAbsent(n, k -> ConcurrentHashMap.newKeySet()).add(r.transaction());
                        return null;
                    }));
                }
            }
            for (Future<?> f : fs) f.get();
        }
        for (Set<String> txs : txByPayment.values()) assertThat(txs).as("every copy of a payment answers one transaction").hasSize(1);
        for (Map.Entry<Integer, Set<String>> e : txByPayment.entrySet()) {
            JsonNode receipt = chain.call("eth_getTransactionReceipt", e.getValue().iterator().next());
            String nonce = bodies.get(e.getKey()).at("/paymentPayload/payload/authorization/nonce").asText();
            boolean own = false;
            for (JsonNode l : receipt.path("logs")) if (l.path("topics").size() == 3 && l.path("topics").get(2).asText().equalsIgnoreCase(nonce)) own = true;
            assertThat(own).as("payment %d's transaction %s carries its own AuthorizationUsed event: %s", e.getKey(), e.getValue(), receipt).isTrue();
        }
        assertThat(chain.tokenBalance(usdc, merchant)).isEqualTo(expected);
        assertThat(credited(merchant)).as("the ledger's credit equals what the chain moved").isEqualTo(expected);
        Map<String, Object> stats = facilitator.settlements().stats();
        @SuppressWarnings("unchecked")
        Map<String, Object> net = (Map<String, Object>) ((Map<String, Object>) stats.get("networks")).get(LocalChain.NETWORK);
        Set<String> distinctTx = new HashSet<>();
        txByPayment.values().forEach(distinctTx::addAll);
        if (batching.maxBatchSize() == 1) {
            assertThat(distinctTx).hasSize(40);
        } else {
            assertThat(distinctTx.size()).as("batched into fewer transactions").isLessThan(40);
        }
        assertThat((Long) net.get("batched_settlements")).isEqualTo(40L);
    }

    @Test
    void aBadAuthorizationInABatchFailsAloneByItsOwnEvent() throws Exception {
        for (boolean partial : new boolean[] {true, false}) {
            dir = null;
            open(fundedKeys(1), new X402Network.Batching(10, 1, 0, partial));
            Settlements st = facilitator.settlements();
            Settler settler = settlerOf(st);
            EvmAddress merchant = new DevPayer().address();
            List<Settlement> batch = new ArrayList<>();
            X402Token token = facilitator.chains().getFirst().token(usdc).orElseThrow();
            for (int i = 0; i < 4; i++) {
                DevPayer p = payers.get(i);
                TransferAuthorization a = auth(p, merchant, PRICE); // four equal payments
                byte[] sig = p.sign(a, new Eip712Domain("USD Coin", "2", LocalChain.CHAIN_ID, usdc));
                if (i == 2) sig = payers.get(9).sign(a, new Eip712Domain("USD Coin", "2", LocalChain.CHAIN_ID, usdc)); // not the payer's
                Settlement s = new Settlement(Settlement.key(LocalChain.CHAIN_ID, usdc, a.from(), a.nonce()), LocalChain.NETWORK, token, a, sig, a.from().checksummed());
                batch.add(s);
            }
            settler.run(settler.signers().getFirst(), batch);
            for (int i = 0; i < 4; i++) {
                SettleResult r = batch.get(i).outcome.get();
                if (i == 2) {
                    assertThat(r.success()).isFalse();
                    assertThat(r.reason()).isEqualTo(Reasons.SIGNATURE);
                } else {
                    assertThat(r.success()).as(r.toString()).isTrue();
                }
            }
            assertThat(chain.tokenBalance(usdc, merchant)).isEqualTo(PRICE.multiply(BigInteger.valueOf(3)));
            assertThat(credited(merchant)).isEqualTo(PRICE.multiply(BigInteger.valueOf(3)));
            stop();
        }
    }

    static Settler settlerOf(Settlements st) throws Exception {
        var f = Settlements.class.getDeclaredField("settlers");
        f.setAccessible(true);
        @SuppressWarnings("unchecked")
        Map<String, Settler> m = (Map<String, Settler>) f.get(st);
        return m.values().iterator().next();
    }

    @Test
    void aNonceUsedBehindTheFacilitatorsBackIsRecovered() throws Exception {
        List<ECKeyPair> keys = fundedKeys(1);
        open(keys, X402Network.Batching.OFF);
        EvmAddress merchant = new DevPayer().address();
        DevPayer p = payers.get(1);
        assertThat(facilitator.settle(payment(p, merchant, auth(p, merchant, PRICE)), WAIT).success()).isTrue();
        // the same key sends a transaction elsewhere (an operator's mistake): the local nonce is now stale
        Signer outside = new Signer(keys.getFirst(), LocalChain.CHAIN_ID);
        long n = outside.nonce(chain.rpc());
        Signer.Signed tx = outside.sign(n, merchant, "0x", BigInteger.valueOf(30_000), BigInteger.valueOf(10_000_000_000L), BigInteger.ONE);
        chain.call("eth_sendRawTransaction", tx.raw());
        chain.waitForReceipt(tx.hash(), Duration.ofSeconds(30));
        SettleResult r = facilitator.settle(payment(p, merchant, auth(p, merchant, PRICE)), WAIT);
        assertThat(r.success()).as(r.toString()).isTrue();
        assertThat(credited(merchant)).isEqualTo(PRICE.multiply(BigInteger.TWO));
        @SuppressWarnings("unchecked")
        Map<String, Object> net = (Map<String, Object>) ((Map<String, Object>) facilitator.settlements().stats().get("networks")).get(LocalChain.NETWORK);
        assertThat((Long) net.get("nonce_errors")).isPositive();
    }

    @Test
    void aTransactionNotMinedInTimeIsReplacedAtItsNonceWithHigherFees() throws Exception {
        List<ECKeyPair> keys = fundedKeys(1);
        receiptTimeoutMs = 1_000;
        open(keys, X402Network.Batching.OFF);
        EvmAddress merchant = new DevPayer().address();
        DevPayer p = payers.get(3);
        EvmAddress signer = new Signer(keys.getFirst(), LocalChain.CHAIN_ID).address();
        long nonce = dev.coffer.x402.evm.Hex.toLong(chain.call("eth_getTransactionCount", signer.hex(), "latest").asText());
        BigInteger payerBefore = chain.tokenBalance(usdc, p.address());
        ObjectNode body = payment(p, merchant, auth(p, merchant, PRICE));
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Future<SettleResult> settling;
        chain.call("evm_setAutomine", false); // the node takes transactions and mines none
        try {
            settling = pool.submit(() -> facilitator.settle(body, WAIT));
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (replacements() < 1) {
                assertThat(System.nanoTime()).as("a replacement within %s", WAIT).isLessThan(deadline);
                if (firstFee == null) {
                    List<JsonNode> notes = submittedNotes();
                    if (!notes.isEmpty()) {
                        JsonNode pendingTx = chain.call("eth_getTransactionByHash", notes.getFirst().get("tx_hash").asText());
                        if (pendingTx != null && !pendingTx.isNull()) firstFee = dev.coffer.x402.evm.Hex.toBigInteger(pendingTx.get("maxFeePerGas").asText());
                    }
                }
                Thread.sleep(20);
            }
        } finally {
            chain.call("evm_setAutomine", true);
        }
        chain.call("evm_mine");
        SettleResult r = settling.get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        pool.shutdown();
        assertThat(r.success()).as(r.toString()).isTrue();

        // Every transaction carrying it was sent at the same nonce; the one mined is a replacement, with higher fees.
        List<String> sent = new ArrayList<>();
        for (JsonNode b : submittedNotes()) {
            assertThat(b.get("tx_nonce").asLong()).as("nonce of %s", b).isEqualTo(nonce);
            sent.add(b.get("tx_hash").asText());
        }
        assertThat(sent).hasSizeGreaterThanOrEqualTo(2).doesNotHaveDuplicates().contains(r.transaction());
        assertThat(r.transaction()).isNotEqualTo(sent.getFirst());
        assertThat(chain.call("eth_getTransactionReceipt", sent.getFirst()).isNull()).as("the first transaction was replaced, never mined").isTrue();
        assertThat(dev.coffer.x402.evm.Hex.toLong(chain.call("eth_getTransactionCount", signer.hex(), "latest").asText()))
                .as("one nonce used: no transaction of the signer waits behind a stuck one").isEqualTo(nonce + 1);
        JsonNode mined = chain.call("eth_getTransactionByHash", r.transaction());
        assertThat(firstFee).as("the first transaction was seen pending").isNotNull();
        assertThat(dev.coffer.x402.evm.Hex.toBigInteger(mined.get("maxFeePerGas").asText()))
                .as("the replacement pays more than the transaction it replaced")
                .isGreaterThanOrEqualTo(firstFee.multiply(BigInteger.valueOf(100 + Settler.REPLACEMENT_BUMP_PERCENT)).divide(BigInteger.valueOf(100)));
        assertThat(chain.tokenBalance(usdc, merchant)).isEqualTo(PRICE);
        assertThat(chain.tokenBalance(usdc, p.address())).isEqualTo(payerBefore.subtract(PRICE));
        assertThat(credited(merchant)).isEqualTo(PRICE);
        assertThat(facilitator.settle(body, WAIT)).isEqualTo(r);
    }

    @Test
    void aSignerWithSeveralTransactionsInFlightSendsThemAtConsecutiveNonces() throws Exception {
        List<ECKeyPair> keys = fundedKeys(1);
        open(keys, new X402Network.Batching(5, 1, 10, true, 3));
        EvmAddress merchant = new DevPayer().address();
        EvmAddress signer = new Signer(keys.getFirst(), LocalChain.CHAIN_ID).address();
        long nonce = dev.coffer.x402.evm.Hex.toLong(chain.call("eth_getTransactionCount", signer.hex(), "latest").asText());
        List<ObjectNode> bodies = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            DevPayer p = payers.get(5 + i % 5);
            bodies.add(payment(p, merchant, auth(p, merchant, PRICE)));
        }
        ExecutorService pool = Executors.newFixedThreadPool(bodies.size());
        List<Future<SettleResult>> settling = new ArrayList<>();
        chain.call("evm_setAutomine", false); // nothing is mined: every transaction sent stays in flight
        try {
            for (ObjectNode b : bodies) settling.add(pool.submit(() -> facilitator.settle(b, WAIT)));
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (signerStat("in_flight") < 3) {
                assertThat(System.nanoTime()).as("three transactions in flight within %s", WAIT).isLessThan(deadline);
                Thread.sleep(20);
            }
            // Three sent before any receipt, at the three nonces after the last mined one, and no fourth.
            assertThat(dev.coffer.x402.evm.Hex.toLong(chain.call("eth_getTransactionCount", signer.hex(), "pending").asText())).isEqualTo(nonce + 3);
        } finally {
            chain.call("evm_setAutomine", true);
        }
        chain.call("evm_mine");
        Set<String> transactions = new HashSet<>();
        for (Future<SettleResult> f : settling) {
            SettleResult r = f.get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
            assertThat(r.success()).as(r.toString()).isTrue();
            transactions.add(r.transaction());
        }
        pool.shutdown();
        BigInteger total = PRICE.multiply(BigInteger.valueOf(bodies.size()));
        assertThat(chain.tokenBalance(usdc, merchant)).isEqualTo(total);
        assertThat(credited(merchant)).isEqualTo(total);
        assertThat(signerStat("in_flight_max")).isEqualTo(3);
        assertThat(signerStat("in_flight")).isZero();
        long sent = signerStat("transactions");
        assertThat(transactions).hasSizeLessThanOrEqualTo((int) sent);
        assertThat(dev.coffer.x402.evm.Hex.toLong(chain.call("eth_getTransactionCount", signer.hex(), "latest").asText()))
                .as("every transaction sent was mined at its own nonce: no gap, none twice").isEqualTo(nonce + sent);
    }

    long signerStat(String name) {
        @SuppressWarnings("unchecked")
        Map<String, Object> net = (Map<String, Object>) ((Map<String, Object>) facilitator.settlements().stats().get("networks")).get(LocalChain.NETWORK);
        @SuppressWarnings("unchecked")
        Map<String, Object> signer = ((List<Map<String, Object>>) net.get("signers")).getFirst();
        return ((Number) signer.get(name)).longValue();
    }

    BigInteger firstFee;

    /** The bodies of the {@code submitted} notes in the ledger's log, in log order. */
    List<JsonNode> submittedNotes() throws Exception {
        List<String> bodies = new ArrayList<>();
        try (LogReader reader = FileLogStore.reader(dir, 0, ledger::durableSeq)) {
            while (reader.poll(1024, (ts, events, hashes) -> {
                for (dev.coffer.ledger.Event e : events) {
                    if (e.command() instanceof dev.coffer.ledger.Command.Note n && n.id().matches(".*\\.s[0-9]+")) bodies.add(n.body());
                }
            }) > 0) {
                // read on to the durable end
            }
        }
        List<JsonNode> out = new ArrayList<>();
        for (String b : bodies) out.add(new com.fasterxml.jackson.databind.ObjectMapper().readTree(b));
        return out;
    }

    long replacements() {
        @SuppressWarnings("unchecked")
        Map<String, Object> net = (Map<String, Object>) ((Map<String, Object>) facilitator.settlements().stats().get("networks")).get(LocalChain.NETWORK);
        return (Long) net.get("replacements");
    }

    @Test
    void aMappedPayToCreditsItsOwnAccountAndACreditInTheWrongAssetIsRefused() throws Exception {
        EvmAddress shop = new DevPayer().address(), euroShop = new DevPayer().address(), unopened = new DevPayer().address();
        merchants = Map.of(shop.checksummed(), "shop-42", euroShop.hex(), "shop-eur", unopened.hex(), "shop-not-opened");
        open(fundedKeys(1), new X402Network.Batching(10, 1, 20, true));
        for (Command c : List.of(new Command.CreateAsset("usdc", "USDC", 6), new Command.CreateAsset("eur", "EUR", 2),
                new Command.CreateAccount("open-shop", "shop-42", "USDC", "shop", 0, Map.of()),
                new Command.CreateAccount("open-eur", "shop-eur", "EUR", "shop", 0, Map.of()))) {
            assertThat(ledger.submit(c).join().succeeded()).as(c.id()).isTrue();
        }
        DevPayer p = payers.get(4);
        for (EvmAddress to : List.of(shop, euroShop, unopened)) {
            SettleResult r = facilitator.settle(payment(p, to, auth(p, to, PRICE)), WAIT);
            assertThat(r.success()).as("paid on chain whatever the ledger credits: %s", r).isTrue();
            assertThat(chain.tokenBalance(usdc, to)).isEqualTo(PRICE);
        }
        assertThat(ledger.account("shop-42").join().available()).isEqualTo(PRICE);
        assertThat(ledger.account("x402:" + shop.hex()).join()).as("a mapped payTo gets no account of its own").isNull();
        assertThat(ledger.account("shop-eur").join().available()).as("USDC is never credited as EUR").isZero();
        assertThat(ledger.account("x402:" + unopened.hex()).join()).isNull();
        Map<String, JsonNode> confirmations = new HashMap<>();
        SettlementRecords.read(after -> FileLogStore.reader(dir, after, ledger::durableSeq), ledger.durableSeq())
                .forEach((key, b) -> confirmations.put(b.path("account").asText(), b));
        assertThat(confirmations.get("shop-42").get("credited").asBoolean()).isTrue();
        assertThat(confirmations.get("shop-eur").get("credit_refused").asText()).isEqualTo("asset_mismatch");
        assertThat(confirmations.get("shop-not-opened").get("credit_refused").asText()).isEqualTo("account_not_found");
    }

    @Test
    void aRestartSettlesWhatWasRecordedAndDecidesWhatWasSubmitted() throws Exception {
        List<ECKeyPair> keys = fundedKeys(1);
        open(keys, X402Network.Batching.OFF);
        EvmAddress merchant = new DevPayer().address();
        X402Token token = facilitator.chains().getFirst().token(usdc).orElseThrow();
        SettlementRecords records = new SettlementRecords(ledger);
        // (a) recorded as pending, then the process died before sending it
        DevPayer p0 = payers.get(2);
        TransferAuthorization a0 = auth(p0, merchant, PRICE);
        byte[] s0 = p0.sign(a0, new Eip712Domain("USD Coin", "2", LocalChain.CHAIN_ID, usdc));
        records.pending(new Settlement(Settlement.key(LocalChain.CHAIN_ID, usdc, a0.from(), a0.nonce()), LocalChain.NETWORK, token, a0, s0, a0.from().checksummed()));
        // (b) submitted and mined, then the process died before recording the confirmation
        DevPayer p1 = payers.get(3);
        TransferAuthorization a1 = auth(p1, merchant, PRICE.add(BigInteger.ONE));
        byte[] s1 = p1.sign(a1, new Eip712Domain("USD Coin", "2", LocalChain.CHAIN_ID, usdc));
        Settlement b = new Settlement(Settlement.key(LocalChain.CHAIN_ID, usdc, a1.from(), a1.nonce()), LocalChain.NETWORK, token, a1, s1, a1.from().checksummed());
        records.pending(b);
        JsonNode mined = chain.transact(usdc, a1.transferCalldata(s1));
        records.submitted(List.of(b), "0x0000000000000000000000000000000000000001", 0, mined.get("transactionHash").asText(), 1);
        assertThat(credited(merchant)).isZero();

        reopen(keys, X402Network.Batching.OFF);
        SettleResult r0 = facilitator.settle(payment(p0, merchant, a0), WAIT);
        SettleResult r1 = facilitator.settle(payment(p1, merchant, a1), WAIT);
        assertThat(r0.success()).as(r0.toString()).isTrue();
        assertThat(r1.success()).as(r1.toString()).isTrue();
        assertThat(r1.transaction()).as("the transaction that carried it, found again").isEqualTo(mined.get("transactionHash").asText());
        BigInteger both = PRICE.add(PRICE.add(BigInteger.ONE));
        assertThat(chain.tokenBalance(usdc, merchant)).isEqualTo(both);
        assertThat(credited(merchant)).isEqualTo(both);

        reopen(keys, X402Network.Batching.OFF); // and once more: nothing is credited twice
        assertThat(credited(merchant)).isEqualTo(both);
        assertThat(facilitator.settle(payment(p1, merchant, a1), WAIT).transaction()).isEqualTo(r1.transaction());
    }
}
