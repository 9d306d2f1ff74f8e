package dev.coffer.x402;

import dev.coffer.x402.evm.EvmAddress;
import dev.coffer.x402.evm.JsonRpc;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/** A configured network at run time: its settings, its RPC client, its tokens by address, and which token contracts are known to exist. */
public final class Chain {

    private final X402Network config;
    private final JsonRpc rpc;
    private final Map<EvmAddress, X402Token> tokens;
    private final Set<EvmAddress> deployed = ConcurrentHashMap.newKeySet();

    public Chain(X402Network config, Duration rpcTimeout) {
        this.config = config;
        this.rpc = new JsonRpc(config.rpc(), rpcTimeout);
        this.tokens = config.tokens().stream().collect(Collectors.toUnmodifiableMap(X402Token::address, Function.identity()));
    }

    public X402Network config() { return config; }

    public String id() { return config.id(); }

    public long chainId() { return config.chainId(); }

    public JsonRpc rpc() { return rpc; }

    public Optional<X402Token> token(EvmAddress address) {
        return Optional.ofNullable(tokens.get(address));
    }

    /** True once the token's code was seen on chain (a contract does not disappear; checked again after a restart). */
    public boolean knownDeployed(EvmAddress token) {
        return deployed.contains(token);
    }

    public void markDeployed(EvmAddress token) {
        deployed.add(token);
    }
}
