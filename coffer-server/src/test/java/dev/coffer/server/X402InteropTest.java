package dev.coffer.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.x402.devchain.LocalChain;
import dev.coffer.x402.devchain.DevPayer;
import dev.coffer.x402.evm.EvmAddress;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The reference x402 stack, unchanged, against Coffer: a resource server protected by the
 * reference middleware ({@code @x402/express} 2.27.0) whose facilitator is Coffer, paid by the
 * reference client ({@code @x402/fetch} + {@code @x402/evm}); the payment moves the token on chain
 * and the merchant's balance in Coffer's ledger.
 */
class X402InteropTest {

    @Test
    void theReferenceClientPaysAResourceServerWhoseFacilitatorIsCoffer() throws Exception {
        try (LocalChain chain = LocalChain.start()) {
            EvmAddress usdc = chain.deployToken("USD Coin", "2");
            DevPayer payer = new DevPayer();
            chain.mint(usdc, payer.address(), BigInteger.valueOf(5_000_000));
            EvmAddress shop = new DevPayer().address();
            Path keyFile = LocalChain.writeKeyFile(Files.createTempFile("coffer-x402-keys", ".txt"), List.of(chain.fundedKey(BigInteger.TEN.pow(20))));
            Path config = Files.createTempFile("coffer-x402", ".toml");
            Files.writeString(config, """
                    [x402]
                    enabled = true
                    key_file = "%s"
                    [[x402.networks]]
                    id = "eip155:31337"
                    rpc = [{ url = "%s" }]
                    tokens = [{ address = "%s", name = "USD Coin", version = "2", decimals = 6, asset = "USDC" }]
                    """.formatted(keyFile, chain.url(), usdc.checksummed()));
            try (ServiceFixture coffer = new ServiceFixture(config, Map.of())) {
                Path chainDir = LocalChain.repoRoot().resolve("chain");
                ProcessBuilder pb = new ProcessBuilder("node", chainDir.resolve("interop.mjs").toString()).directory(chainDir.toFile());
                pb.environment().putAll(Map.of("FACILITATOR_URL", coffer.service.url() + "/x402", "NETWORK", LocalChain.NETWORK,
                        "TOKEN", usdc.checksummed(), "TOKEN_NAME", "USD Coin", "TOKEN_VERSION", "2", "PRICE", "25000", "PAY_TO", shop.checksummed(),
                        "PAYER_KEY", LocalChain.privateKeyHex(payer.key()), "REQUESTS", "3"));
                Path err = Files.createTempFile("interop", ".err");
                Process node = pb.redirectError(err.toFile()).start();
                byte[] out = node.getInputStream().readAllBytes();
                assertThat(node.waitFor(120, TimeUnit.SECONDS)).isTrue();
                assertThat(node.exitValue()).as("node exit; stderr: %s", Files.readString(err)).isZero();
                JsonNode result = ServiceFixture.JSON.readTree(new String(out, StandardCharsets.UTF_8));
                assertThat(result.get("unpaidStatus").asInt()).as("without payment the middleware answers 402").isEqualTo(402);
                java.util.Set<String> txs = new java.util.HashSet<>();
                for (JsonNode r : result.get("results")) {
                    assertThat(r.get("status").asInt()).as(r.toString()).isEqualTo(200);
                    assertThat(r.get("body").asText()).contains("\"paid\":true");
                    assertThat(r.at("/settlement/success").asBoolean()).as(r.toString()).isTrue();
                    assertThat(r.at("/settlement/network").asText()).isEqualTo(LocalChain.NETWORK);
                    txs.add(r.at("/settlement/transaction").asText());
                }
                assertThat(txs).hasSize(3);
                assertThat(chain.tokenBalance(usdc, shop)).isEqualTo(BigInteger.valueOf(75_000));
                ServiceFixture.Res balance = coffer.get("/v1/accounts/x402:" + shop.hex() + "/balance", coffer.adminKey);
                assertThat(balance.json().get("balance").asText()).isEqualTo("75000");
            }
        }
    }
}
