package dev.coffer.x402;

import dev.coffer.x402.evm.EvmAddress;

/**
 * A token a network accepts: its address, EIP-712 {@code name} and {@code version} (what its
 * authorizations are signed under), decimals, and the Coffer asset a settlement credits
 * (e.g. {@code USDC} at scale 6).
 */
public record X402Token(EvmAddress address, String name, String version, int decimals, String asset) {

    public X402Token {
        if (name == null || name.isBlank() || version == null || version.isBlank()) throw new IllegalArgumentException("a token needs its EIP-712 name and version");
        if (decimals < 0 || decimals > 18) throw new IllegalArgumentException("decimals must be 0..18 (the ledger's largest scale)");
    }
}
