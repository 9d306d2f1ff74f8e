package dev.coffer.x402;

import dev.coffer.x402.evm.JsonRpc;

import java.math.BigInteger;
import java.util.List;

/**
 * One EVM network the facilitator serves, by configuration: its CAIP-2 id
 * ({@code eip155:8453}), the v1 names old clients use for it ({@code base}), its RPC endpoints
 * (tried in order, with failover), the tokens it accepts, and how settlements on it are sent:
 * confirmations to wait for, how long to wait for a receipt, the highest gas price Coffer pays.
 */
public record X402Network(String id, List<String> v1Names, List<JsonRpc.Endpoint> rpc, List<X402Token> tokens, int confirmations,
                          long receiptTimeoutMs, BigInteger maxGasPriceWei) {

    public X402Network {
        chainId(id);
        v1Names = List.copyOf(v1Names);
        rpc = List.copyOf(rpc);
        tokens = List.copyOf(tokens);
        if (rpc.isEmpty()) throw new IllegalArgumentException("network " + id + " needs at least one RPC URL");
        if (tokens.isEmpty()) throw new IllegalArgumentException("network " + id + " needs at least one token");
        if (confirmations < 0) throw new IllegalArgumentException("confirmations must be >= 0");
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
