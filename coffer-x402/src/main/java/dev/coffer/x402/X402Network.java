package dev.coffer.x402;

import dev.coffer.x402.evm.EvmAddress;
import dev.coffer.x402.evm.JsonRpc;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;

/**
 * One EVM network the facilitator serves, by configuration: its CAIP-2 id
 * ({@code eip155:8453}), the v1 names old clients use for it ({@code base}), its RPC endpoints
 * (tried in order, with failover), the tokens it accepts, and how settlements on it are sent:
 * confirmations to wait for, how long to wait for a receipt, the highest gas price Coffer pays;
 * and which Coffer account a payTo address is credited in ({@code merchantAccounts}: lower-case
 * {@code 0x} address → account id; an address not there gets {@code x402:<address>}).
 */
public record X402Network(String id, List<String> v1Names, List<JsonRpc.Endpoint> rpc, List<X402Token> tokens, int confirmations,
                          long receiptTimeoutMs, BigInteger maxGasPriceWei, Batching batching, Map<String, String> merchantAccounts) {

    /** Without a merchant mapping: every payTo is credited in {@code x402:<payTo>}. */
    public X402Network(String id, List<String> v1Names, List<JsonRpc.Endpoint> rpc, List<X402Token> tokens, int confirmations,
                       long receiptTimeoutMs, BigInteger maxGasPriceWei, Batching batching) {
        this(id, v1Names, rpc, tokens, confirmations, receiptTimeoutMs, maxGasPriceWei, batching, Map.of());
    }

    /**
     * How settlements are grouped into transactions: at most {@code maxBatchSize} per Multicall3
     * {@code aggregate3} transaction (1 = no batching: each settlement is its own
     * {@code transferWithAuthorization}); a batch is sent as soon as it holds {@code minBatchSize},
     * or when {@code maxWaitMs} passed since its first settlement; {@code allowPartialFailure}: one
     * failing authorization fails alone inside the transaction, otherwise it makes the transaction
     * revert and the batch is sent again without it; {@code maxInFlightPerSigner}: how many
     * transactions a signer may have sent before the first is decided (above 1 on chains with block
     * times, where waiting for each receipt leaves a signer idle for a block).
     */
    public record Batching(int maxBatchSize, int minBatchSize, long maxWaitMs, boolean allowPartialFailure, int maxInFlightPerSigner) {
        public static final int MAX_BATCH_SIZE_CEILING = 500;
        /** The most transactions one signer may have sent and not yet decided. */
        public static final int MAX_IN_FLIGHT_CEILING = 16;
        public static final Batching DEFAULT = new Batching(100, 1, 5, true);
        public static final Batching OFF = new Batching(1, 1, 0, true);

        /** One transaction in flight per signer. */
        public Batching(int maxBatchSize, int minBatchSize, long maxWaitMs, boolean allowPartialFailure) {
            this(maxBatchSize, minBatchSize, maxWaitMs, allowPartialFailure, 1);
        }

        public Batching {
            if (maxInFlightPerSigner < 1 || maxInFlightPerSigner > MAX_IN_FLIGHT_CEILING) {
                throw new IllegalArgumentException("max_in_flight_per_signer must be 1.." + MAX_IN_FLIGHT_CEILING);
            }
            if (maxBatchSize < 1 || maxBatchSize > MAX_BATCH_SIZE_CEILING) throw new IllegalArgumentException("max_batch_size must be 1.." + MAX_BATCH_SIZE_CEILING);
            if (minBatchSize < 1 || minBatchSize > maxBatchSize) throw new IllegalArgumentException("min_batch_size must be 1..max_batch_size");
            if (maxWaitMs < 0 || maxWaitMs > 60_000) throw new IllegalArgumentException("max_wait_ms must be 0..60000");
        }
    }

    public X402Network {
        chainId(id);
        v1Names = List.copyOf(v1Names);
        rpc = List.copyOf(rpc);
        tokens = List.copyOf(tokens);
        if (rpc.isEmpty()) throw new IllegalArgumentException("network " + id + " needs at least one RPC URL");
        if (tokens.isEmpty()) throw new IllegalArgumentException("network " + id + " needs at least one token");
        if (confirmations < 0) throw new IllegalArgumentException("confirmations must be >= 0");
        if (receiptTimeoutMs < 100) throw new IllegalArgumentException("receipt_timeout_ms must be >= 100");
        if (batching == null) batching = Batching.DEFAULT;
        Map<String, String> accounts = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, String> e : (merchantAccounts == null ? Map.<String, String>of() : merchantAccounts).entrySet()) {
            String payTo;
            try {
                payTo = EvmAddress.parse(e.getKey()).hex();
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException("network " + id + ": merchant pay_to " + e.getKey() + " is not an address");
            }
            String account = e.getValue();
            if (account == null || account.isEmpty() || account.length() > dev.coffer.ledger.Limits.ID_BYTES_CEILING || !account.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                throw new IllegalArgumentException("network " + id + ": merchant account for " + payTo + " must be 1.." + dev.coffer.ledger.Limits.ID_BYTES_CEILING + " printable ASCII characters");
            }
            if (accounts.put(payTo, account) != null) throw new IllegalArgumentException("network " + id + ": pay_to " + payTo + " is mapped twice");
        }
        merchantAccounts = java.util.Collections.unmodifiableMap(accounts);
    }


    public long chainId() {
        return chainId(id);
    }

    /** The chain id of a CAIP-2 {@code eip155:<id>} network; IllegalArgumentException for anything else. */
    public static long chainId(String caip2) {
        if (caip2 == null || !caip2.matches("eip155:[1-9][0-9]{0,17}")) throw new IllegalArgumentException("not an eip155 CAIP-2 network id: " + caip2);
        return Long.parseLong(caip2.substring("eip155:".length()));
    }
}
