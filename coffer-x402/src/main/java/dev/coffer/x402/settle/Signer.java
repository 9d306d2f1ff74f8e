package dev.coffer.x402.settle;

import dev.coffer.x402.evm.EvmAddress;
import dev.coffer.x402.evm.Hex;
import dev.coffer.x402.evm.JsonRpc;
import dev.coffer.x402.evm.RpcException;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Hash;
import org.web3j.crypto.Keys;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.TransactionEncoder;

import java.math.BigInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One settlement key on one chain, with its nonce manager: nonces are handed out here, one
 * after the other, under the signer's lock from taking a nonce to handing the transaction to the
 * node, so two transactions never share a nonce and they reach the node in nonce order. The
 * {@code Settler} gives a signer at most {@code max_in_flight_per_signer} batches at once (default
 * 1: the next batch only when the last one is decided). When the chain disagrees ("nonce too
 * low", a dropped transaction) the next nonce is read again from the chain's pending count.
 */
final class Signer {

    private final Credentials credentials;
    private final EvmAddress address;
    private final long chainId;
    private long nextNonce = -1;
    final AtomicLong sent = new AtomicLong();
    final AtomicLong nonceRecoveries = new AtomicLong();
    /** Held from taking a nonce to handing its transaction to the node: nonces reach the node in order. */
    final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
    /** Transactions broadcast and not yet decided, and the most there have been at once. */
    final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
    final java.util.concurrent.atomic.AtomicInteger inFlightMax = new java.util.concurrent.atomic.AtomicInteger();
    volatile BigInteger gasBalance = BigInteger.ZERO;

    Signer(ECKeyPair key, long chainId) {
        this.credentials = Credentials.create(key);
        this.address = new EvmAddress("0x" + Keys.getAddress(key));
        this.chainId = chainId;
    }

    EvmAddress address() { return address; }

    /** The nonce for the next transaction (read from the chain the first time and after {@link #resync}). */
    synchronized long nonce(JsonRpc rpc) throws RpcException {
        if (nextNonce < 0) nextNonce = Hex.toLong(rpc.call("eth_getTransactionCount", address.hex(), "pending").asText());
        return nextNonce;
    }

    /** The transaction with {@code nonce} was accepted by the node: the next one takes the following nonce. */
    synchronized void used(long nonce) {
        if (nonce >= nextNonce) nextNonce = nonce + 1;
    }

    /** Forgets the local nonce: the next {@link #nonce} reads it from the chain. */
    synchronized void resync() {
        nextNonce = -1;
        nonceRecoveries.incrementAndGet();
    }

    /** A signed EIP-1559 transaction: its raw bytes and hash. */
    record Signed(String raw, String hash, long nonce) {}

    Signed sign(long nonce, EvmAddress to, String data, BigInteger gasLimit, BigInteger maxFee, BigInteger tip) {
        RawTransaction tx = RawTransaction.createTransaction(chainId, BigInteger.valueOf(nonce), gasLimit, to.hex(), BigInteger.ZERO, data, tip, maxFee);
        byte[] signed = TransactionEncoder.signMessage(tx, chainId, credentials);
        return new Signed(Hex.of(signed), Hex.of(Hash.sha3(signed)), nonce);
    }
}
