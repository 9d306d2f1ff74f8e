package dev.coffer.x402.devchain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.x402.X402Network;
import dev.coffer.x402.X402Token;
import dev.coffer.x402.evm.EvmAddress;
import dev.coffer.x402.evm.Hex;
import dev.coffer.x402.evm.JsonRpc;
import dev.coffer.x402.evm.RpcException;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.Utf8String;
import org.web3j.abi.datatypes.generated.Uint256;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.math.BigInteger;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real local EVM chain for the tests and the x402 benchmark (never for production): anvil (npm {@code @foundry-rs/anvil-linux-amd64}, installed
 * by {@code scripts/chain}) on a free loopback port, with the team's USDC-like EIP-3009 token
 * and Multicall3 at its canonical address. Start-up waits for anvil's "Listening on" line, a
 * condition rather than a duration.
 */
public final class LocalChain implements AutoCloseable {

    public static final long CHAIN_ID = 31337;
    public static final String NETWORK = "eip155:" + CHAIN_ID;
    public static final EvmAddress MULTICALL3 = new EvmAddress("0xcA11bde05977b3631167028862bE2a173976CA11");
    private static final Pattern LISTENING = Pattern.compile("Listening on ([0-9.]+):(\\d+)");
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static volatile boolean installed;

    private final Process process;
    private final String url;
    private final JsonRpc rpc;
    private final EvmAddress funder;

    private LocalChain(Process process, String url) throws RpcException {
        this.process = process;
        this.url = url;
        this.rpc = new JsonRpc(List.of(new JsonRpc.Endpoint(URI.create(url), 0)), Duration.ofSeconds(30));
        this.funder = new EvmAddress(rpc.call("eth_accounts").get(0).asText());
    }

    /** The repository root (the directory holding {@code chain/package.json}). */
    public static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("chain/package.json"))) p = p.getParent();
        if (p == null) throw new IllegalStateException("chain/package.json not found above " + Path.of("").toAbsolutePath());
        return p;
    }

    /** Installs the chain toolchain (idempotent: {@code scripts/chain}) once per JVM. */
    static synchronized void install() throws IOException, InterruptedException {
        if (installed) return;
        Path root = repoRoot();
        Process p = new ProcessBuilder("bash", root.resolve("scripts/chain").toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.INHERIT).start();
        if (p.waitFor() != 0) throw new IllegalStateException("scripts/chain failed (exit " + p.exitValue() + ")");
        installed = true;
    }

    /** Starts anvil with instant mining (or {@code anvilArgs}, e.g. {@code --block-time 2}) and installs Multicall3. */
    public static LocalChain start(String... anvilArgs) throws Exception {
        install();
        Path root = repoRoot();
        List<String> cmd = new java.util.ArrayList<>(List.of(root.resolve("chain/node_modules/.bin/anvil").toString(), "--host", "127.0.0.1",
                "--port", "0", "--chain-id", Long.toString(CHAIN_ID), "--accounts", "2"));
        cmd.addAll(List.of(anvilArgs));
        Process process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        CompletableFuture<String> address = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("anvil-out").start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) address.complete("http://" + m.group(1) + ":" + m.group(2));
                }
            } catch (IOException ignored) {
                // the process ended
            }
            address.completeExceptionally(new IllegalStateException("anvil's output ended before it was listening"));
        });
        String url;
        try {
            url = address.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            process.destroyForcibly();
            throw e;
        }
        LocalChain chain = new LocalChain(process, url);
        chain.installMulticall3();
        return chain;
    }

    public String url() { return url; }

    public JsonRpc rpc() { return rpc; }

    /** The network as the facilitator's configuration names it. */
    public X402Network network(List<X402Token> tokens) {
        return new X402Network(NETWORK, List.of("anvil"), List.of(new JsonRpc.Endpoint(URI.create(url), 0)), tokens, 0, 30_000,
                BigInteger.valueOf(1_000_000_000_000L), X402Network.Batching.DEFAULT);
    }

    public JsonNode call(String method, Object... params) throws RpcException {
        return rpc.call(method, params);
    }

    static JsonNode artifact(String contract) throws IOException {
        return MAPPER.readTree(repoRoot().resolve("chain/build/" + contract + ".json").toFile());
    }

    /** Deploys a contract from anvil's funded account; its address. */
    public EvmAddress deploy(String contract, List<Type> constructorArgs) throws Exception {
        String code = artifact(contract).get("bytecode").asText() + FunctionEncoder.encodeConstructor(constructorArgs);
        JsonNode receipt = sendAndWait(Map.of("from", funder.hex(), "data", code, "gas", Hex.quantity(5_000_000)));
        return new EvmAddress(receipt.get("contractAddress").asText());
    }

    /** Deploys the test token (6 decimals) under EIP-712 domain {@code name}/{@code version}. */
    public EvmAddress deployToken(String name, String version) throws Exception {
        return deploy("TestUsdc", List.of(new Utf8String(name), new Utf8String(version), new Utf8String("USDC")));
    }

    /** Places Multicall3's runtime code at its canonical address, where it is on public chains. */
    void installMulticall3() throws Exception {
        call("anvil_setCode", MULTICALL3.hex(), artifact("Multicall3").get("deployedBytecode").asText());
    }

    /** Sends a transaction from anvil's funded account and waits for its receipt (a failed one throws). */
    public JsonNode transact(EvmAddress to, String data) throws Exception {
        return sendAndWait(Map.of("from", funder.hex(), "to", to.hex(), "data", data, "gas", Hex.quantity(1_000_000)));
    }

    private JsonNode sendAndWait(Map<String, String> tx) throws Exception {
        String hash = call("eth_sendTransaction", tx).asText();
        JsonNode receipt = waitForReceipt(hash, Duration.ofSeconds(60));
        if (!"0x1".equals(receipt.path("status").asText())) throw new IllegalStateException("transaction " + hash + " reverted: " + receipt);
        return receipt;
    }

    /** Polls for a receipt until it is there (or {@code max} has passed: then IllegalStateException). */
    public JsonNode waitForReceipt(String hash, Duration max) throws Exception {
        long deadline = System.nanoTime() + max.toNanos();
        while (true) {
            JsonNode r = call("eth_getTransactionReceipt", hash);
            if (r != null && !r.isNull()) return r;
            if (System.nanoTime() > deadline) throw new IllegalStateException("no receipt for " + hash + " within " + max);
            Thread.sleep(20);
        }
    }

    public void mint(EvmAddress token, EvmAddress to, BigInteger value) throws Exception {
        transact(token, FunctionEncoder.encode(new Function("mint", List.of(new Address(to.hex()), new Uint256(value)), List.of())));
    }

    public BigInteger tokenBalance(EvmAddress token, EvmAddress who) throws RpcException {
        String data = FunctionEncoder.encode(new Function("balanceOf", List.of(new Address(who.hex())), List.of()));
        return Hex.toBigInteger(call("eth_call", Map.of("to", token.hex(), "data", data), "latest").asText());
    }

    /** Gives {@code who} {@code wei} of gas money. */
    public void fund(EvmAddress who, BigInteger wei) throws RpcException {
        call("anvil_setBalance", who.hex(), Hex.quantity(wei));
    }

    /** A fresh settlement key whose address holds {@code wei} of gas money. */
    public org.web3j.crypto.ECKeyPair fundedKey(BigInteger wei) throws Exception {
        org.web3j.crypto.ECKeyPair k = org.web3j.crypto.Keys.createEcKeyPair();
        fund(new EvmAddress("0x" + org.web3j.crypto.Keys.getAddress(k)), wei);
        return k;
    }

    /** A private key as key files and {@code COFFER_X402_PRIVATE_KEYS} hold it: {@code 0x} and 64 hex digits. */
    public static String privateKeyHex(org.web3j.crypto.ECKeyPair k) {
        return Hex.of(org.web3j.utils.Numeric.toBytesPadded(k.getPrivateKey(), 32));
    }

    /** Writes {@code keys} to {@code file}, one per line, mode 0600 (as the facilitator requires). */
    public static Path writeKeyFile(Path file, List<org.web3j.crypto.ECKeyPair> keys) throws IOException {
        StringBuilder b = new StringBuilder("# settlement keys\n");
        for (org.web3j.crypto.ECKeyPair k : keys) b.append(privateKeyHex(k)).append('\n');
        Files.writeString(file, b);
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    /** The latest block's timestamp. */
    public long now() throws RpcException {
        return Hex.toLong(call("eth_getBlockByNumber", "latest", false).get("timestamp").asText());
    }

    /** Kills anvil as a crash would (the tests of failover use it). */
    public void kill() {
        process.destroyForcibly();
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
