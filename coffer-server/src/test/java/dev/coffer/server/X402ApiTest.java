package dev.coffer.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.server.auth.ApiKeys;
import dev.coffer.server.auth.Scope;
import dev.coffer.server.config.CofferConfig;
import dev.coffer.server.http.Route;
import dev.coffer.x402.devchain.LocalChain;
import dev.coffer.x402.devchain.DevPayer;
import dev.coffer.x402.evm.EvmAddress;
import dev.coffer.x402.exact.Eip712Domain;
import dev.coffer.x402.exact.TransferAuthorization;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.math.BigInteger;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The x402 facilitator's routes over real HTTP against a real chain: shapes as the reference client validates them, keys, and a chain that is down. */
class X402ApiTest {

    static final BigInteger PRICE = BigInteger.valueOf(25_000);
    static LocalChain chain;
    static EvmAddress usdc;
    static ServiceFixture open;
    static ServiceFixture keyed;
    static final DevPayer payer = new DevPayer();
    static final EvmAddress merchant = new DevPayer().address();

    static Path keyFile;

    static Path config(String rpcUrl, EvmAddress token, boolean requireKey) throws IOException {
        Path f = Files.createTempFile("coffer-x402", ".toml");
        Files.writeString(f, """
                [x402]
                enabled = true
                require_key = %s
                key_file = "%s"

                [[x402.networks]]
                id = "eip155:31337"
                v1_names = ["anvil"]
                rpc = [{ url = "%s", max_requests_per_second = 0 }]
                tokens = [{ address = "%s", name = "USD Coin", version = "2", decimals = 6, asset = "USDC" }]
                """.formatted(requireKey, keyFile, rpcUrl, token.checksummed()));
        return f;
    }

    @BeforeAll
    static void start() throws Exception {
        chain = LocalChain.start();
        usdc = chain.deployToken("USD Coin", "2");
        chain.mint(usdc, payer.address(), BigInteger.valueOf(1_000_000));
        keyFile = LocalChain.writeKeyFile(Files.createTempFile("coffer-x402-keys", ".txt"),
                List.of(chain.fundedKey(BigInteger.TEN.pow(20)), chain.fundedKey(BigInteger.TEN.pow(20))));
        open = new ServiceFixture(config(chain.url(), usdc, false), Map.of());
        keyed = new ServiceFixture(config(chain.url(), usdc, true), Map.of());
    }

    @AfterAll
    static void stop() throws IOException {
        if (open != null) open.close();
        if (keyed != null) keyed.close();
        if (chain != null) chain.close();
    }

    static ObjectNode payment(TransferAuthorization auth) {
        byte[] sig = payer.sign(auth, new Eip712Domain("USD Coin", "2", LocalChain.CHAIN_ID, usdc));
        return DevPayer.v2Body(auth, sig, LocalChain.NETWORK, usdc, merchant, PRICE, "USD Coin", "2");
    }

    static TransferAuthorization fresh() {
        return payer.authorize(merchant, PRICE, System.currentTimeMillis() / 1000, 120);
    }

    @Test
    void supportedHasExactlyTheReferenceShape() {
        ServiceFixture.Res r = open.get("/x402/supported", null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(fieldNames(r.json())).containsExactly("extensions", "kinds", "signers");
        assertThat(r.json().get("extensions").isArray()).isTrue();
        assertThat(r.json().get("signers").get("eip155:*").isArray()).isTrue();
        List<String> kinds = new java.util.ArrayList<>();
        for (JsonNode k : r.json().get("kinds")) {
            assertThat(fieldNames(k)).containsExactly("network", "scheme", "x402Version");
            kinds.add(k.get("x402Version").asInt() + " " + k.get("scheme").asText() + " " + k.get("network").asText());
        }
        assertThat(kinds).containsExactly("2 exact eip155:31337", "1 exact anvil");
    }

    @Test
    void aValidPaymentVerifiesOverHttpAndMovesNothing() throws Exception {
        BigInteger before = chain.tokenBalance(usdc, payer.address());
        ServiceFixture.Res r = open.post("/x402/verify", null, payment(fresh()).toString());
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().toString()).isEqualTo("{\"isValid\":true,\"payer\":\"" + payer.address().checksummed() + "\"}");
        assertThat(chain.tokenBalance(usdc, payer.address())).isEqualTo(before);
    }

    @Test
    void anInvalidPaymentIsA200WithItsReason() {
        ObjectNode body = payment(fresh());
        ((ObjectNode) body.get("paymentRequirements")).put("payTo", new DevPayer().address().checksummed());
        ((ObjectNode) body.at("/paymentPayload/accepted")).put("payTo", body.at("/paymentRequirements/payTo").asText());
        ServiceFixture.Res r = open.post("/x402/verify", null, body.toString());
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().get("isValid").asBoolean()).isFalse();
        assertThat(r.json().get("invalidReason").asText()).isEqualTo("invalid_exact_evm_recipient_mismatch");
        assertThat(r.json().get("payer").asText()).isEqualTo(payer.address().checksummed());
        ServiceFixture.Res v = open.post("/x402/verify", null, "{\"x402Version\": 7}");
        assertThat(v.json().get("invalidReason").asText()).isEqualTo("invalid_x402_version");
    }

    @Test
    void aPaymentSettlesOverHttpOnceAndCreditsTheMerchantInTheLedger() throws Exception {
        EvmAddress shop = new DevPayer().address();
        TransferAuthorization auth = payer.authorize(shop, PRICE, System.currentTimeMillis() / 1000, 120);
        byte[] sig = payer.sign(auth, new Eip712Domain("USD Coin", "2", LocalChain.CHAIN_ID, usdc));
        String body = DevPayer.v2Body(auth, sig, LocalChain.NETWORK, usdc, shop, PRICE, "USD Coin", "2").toString();
        ServiceFixture.Res r = open.post("/x402/settle", null, body);
        assertThat(r.status()).isEqualTo(200);
        assertThat(fieldNames(r.json())).containsExactly("amount", "network", "payer", "success", "transaction");
        assertThat(r.json().get("success").asBoolean()).as(r.json().toString()).isTrue();
        String tx = r.json().get("transaction").asText();
        assertThat(tx).matches("0x[0-9a-f]{64}");
        ServiceFixture.Res again = open.post("/x402/settle", null, body);
        assertThat(again.json().get("transaction").asText()).isEqualTo(tx);
        assertThat(chain.tokenBalance(usdc, shop)).isEqualTo(PRICE);
        ServiceFixture.Res balance = open.get("/v1/accounts/x402:" + shop.hex() + "/balance", open.adminKey);
        assertThat(balance.status()).as(balance.json().toString()).isEqualTo(200);
        assertThat(balance.json().toString()).contains("\"" + PRICE + "\"");
        ServiceFixture.Res stats = open.get("/v1/admin/x402/stats", open.adminKey);
        assertThat(stats.status()).isEqualTo(200);
        assertThat(stats.json().at("/networks/eip155:31337/signers").size()).isEqualTo(2);
        assertThat(stats.json().at("/settlements/confirmed").asLong()).isPositive();
        assertThat(stats.json().toString()).doesNotContain(Files.readString(keyFile).lines().skip(1).findFirst().orElseThrow().substring(2));
        assertThat(open.get("/x402/supported", null).json().at("/signers/eip155:*").size()).isEqualTo(2);
        ServiceFixture.Res metrics = open.get("/metrics", open.adminKey);
        String text = new String(metrics.raw().body(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(text).contains("coffer_x402_settlements_total{network=\"eip155:31337\",outcome=\"confirmed\"}")
                .contains("coffer_x402_gas_used_total").contains("coffer_x402_signer_gas_balance_eth").contains("route=\"x402_settle\"");
    }

    @Test
    void aBadPaymentIsRefusedAtSettleWithNothingMoved() throws Exception {
        EvmAddress shop = new DevPayer().address();
        TransferAuthorization auth = payer.authorize(shop, PRICE, System.currentTimeMillis() / 1000, 120);
        byte[] sig = new DevPayer().sign(auth, new Eip712Domain("USD Coin", "2", LocalChain.CHAIN_ID, usdc));
        ServiceFixture.Res r = open.post("/x402/settle", null, DevPayer.v2Body(auth, sig, LocalChain.NETWORK, usdc, shop, PRICE, "USD Coin", "2").toString());
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().get("success").asBoolean()).isFalse();
        assertThat(r.json().get("errorReason").asText()).isEqualTo("invalid_exact_evm_signature");
        assertThat(r.json().get("transaction").asText()).isEmpty();
        assertThat(r.json().get("network").asText()).isEqualTo(LocalChain.NETWORK);
        assertThat(chain.tokenBalance(usdc, shop)).isZero();
    }

    @Test
    void aSignerWithoutGasMakesReadyzSayDegraded() throws Exception {
        ServiceFixture.Res funded = open.get("/readyz", null);
        assertThat(funded.status()).isEqualTo(200);
        assertThat(funded.json().get("degraded").asBoolean()).isFalse();
        Path emptyKeys = LocalChain.writeKeyFile(Files.createTempFile("coffer-x402-keys", ".txt"), List.of(org.web3j.crypto.Keys.createEcKeyPair()));
        Path f = Files.createTempFile("coffer-x402", ".toml");
        Files.writeString(f, Files.readString(config(chain.url(), usdc, false)).replace(keyFile.toString(), emptyKeys.toString()));
        try (ServiceFixture poor = new ServiceFixture(f, Map.of())) {
            ServiceFixture.Res r = poor.get("/readyz", null);
            assertThat(r.status()).as("the ledger still serves").isEqualTo(200);
            assertThat(r.json().get("degraded").asBoolean()).isTrue();
            assertThat(r.json().at("/checks/x402_gas/low_signers").size()).isEqualTo(1);
        }
    }

    @Test
    void callersAndPayersAreRateLimitedAndForgersCoolDown() throws Exception {
        Path f = Files.createTempFile("coffer-x402", ".toml");
        Files.writeString(f, Files.readString(config(chain.url(), usdc, false)).replace("enabled = true\n", """
                enabled = true
                trusted_proxies = "127.0.0.1"
                per_address_per_second = 0.001
                per_address_burst = 3
                per_payer_per_second = 0.001
                per_payer_burst = 1000
                max_invalid_signatures = 2
                cool_down_seconds = 600
                """));
        try (ServiceFixture guarded = new ServiceFixture(f, Map.of())) {
            String body = payment(fresh()).toString();
            for (int i = 0; i < 3; i++) assertThat(guarded.post("/x402/verify", null, body, "X-Forwarded-For", "203.0.113.7").status()).isEqualTo(200);
            ServiceFixture.Res limited = guarded.post("/x402/verify", null, body, "X-Forwarded-For", "203.0.113.7");
            assertThat(limited.status()).isEqualTo(429);
            assertThat(limited.header("Retry-After")).isEqualTo("1");
            assertThat(limited.json().get("isValid").asBoolean()).isFalse();
            assertThat(limited.json().get("invalidReason").asText()).isEqualTo("rate_limited");
            // behind the trusted proxy, another client is another bucket; a forged first hop changes nothing
            assertThat(guarded.post("/x402/verify", null, body, "X-Forwarded-For", "198.51.100.1, 203.0.113.8").status()).isEqualTo(200);
            assertThat(guarded.post("/x402/settle", null, body, "X-Forwarded-For", "203.0.113.7").json().get("errorReason").asText()).isEqualTo("rate_limited");

            DevPayer forger = new DevPayer();
            TransferAuthorization a = forger.authorize(merchant, PRICE, System.currentTimeMillis() / 1000, 120);
            String forged = DevPayer.v2Body(a, new DevPayer().sign(a, new Eip712Domain("USD Coin", "2", LocalChain.CHAIN_ID, usdc)), LocalChain.NETWORK, usdc,
                    merchant, PRICE, "USD Coin", "2").toString();
            for (int i = 0; i < 2; i++) {
                assertThat(guarded.post("/x402/verify", null, forged, "X-Forwarded-For", "192.0.2." + (10 + i)).json().get("invalidReason").asText())
                        .isEqualTo("invalid_exact_evm_signature");
            }
            ServiceFixture.Res cooling = guarded.post("/x402/verify", null, forged, "X-Forwarded-For", "192.0.2.20");
            assertThat(cooling.status()).isEqualTo(429);
            assertThat(cooling.json().get("invalidReason").asText()).isEqualTo("payer_cooling_down");
            assertThat(Long.parseLong(cooling.header("Retry-After"))).isGreaterThan(500);
            ServiceFixture.Res stats = guarded.get("/v1/admin/x402/stats", guarded.adminKey);
            assertThat(stats.json().at("/abuse/refused_cooling_down").asLong()).isEqualTo(1);
            assertThat(stats.json().at("/abuse/payers_cooling_down").asLong()).isEqualTo(1);
        }
    }

    @Test
    void aKeyFileOthersCanReadIsRefused() throws Exception {
        Path loose = Files.createTempFile("coffer-x402-keys", ".txt");
        Files.writeString(loose, Files.readString(keyFile));
        Files.setPosixFilePermissions(loose, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        Path f = Files.createTempFile("coffer-x402", ".toml");
        Files.writeString(f, Files.readString(config(chain.url(), usdc, false)).replace(keyFile.toString(), loose.toString()));
        assertThatThrownBy(() -> new ServiceFixture(f, Map.of())).hasMessageContaining("chmod 600");
    }

    @Test
    void aBodyThatIsNotJsonIsRefusedAsElsewhere() {
        ServiceFixture.Res r = open.post("/x402/verify", null, "{not json");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.errorCode()).isEqualTo("json_invalid");
    }

    @Test
    void withRequireKeyOnlyAnX402OrAdminKeyMayUseTheFacilitator() throws Exception {
        ApiKeys.Created facilitatorKey = keyed.service.keys().create("resource-server", Scope.X402);
        ApiKeys.Created readKey = keyed.service.keys().create("reader", Scope.READ);
        String body = payment(fresh()).toString();
        assertThat(keyed.post("/x402/verify", null, body).status()).isEqualTo(401);
        assertThat(keyed.post("/x402/verify", readKey.token(), body).status()).isEqualTo(403);
        assertThat(keyed.post("/x402/verify", facilitatorKey.token(), body).json().get("isValid").asBoolean()).isTrue();
        assertThat(keyed.get("/x402/supported", keyed.adminKey).status()).isEqualTo(200);
        assertThat(keyed.get("/v1/assets", facilitatorKey.token()).status()).as("an x402 key reads nothing else").isEqualTo(403);
    }

    @Test
    void aChainThatCannotBeReachedIsA503InTheVerifyShape() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = s.getLocalPort();
        }
        try (ServiceFixture down = new ServiceFixture(config("http://127.0.0.1:" + dead, usdc, false), Map.of())) {
            ServiceFixture.Res r = down.post("/x402/verify", null, payment(fresh()).toString());
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.header("Retry-After")).isEqualTo("1");
            assertThat(r.json().get("isValid").asBoolean()).isFalse();
            assertThat(r.json().get("invalidReason").asText()).isEqualTo("unexpected_verify_error");
        }
    }

    @Test
    void theServedX402RoutesAreTheDocumentedOnes() {
        JsonNode doc = open.get("/openapi.json", open.adminKey).json();
        Set<String> documented = new TreeSet<>();
        doc.path("paths").properties().forEach(p -> p.getValue().properties().forEach(m -> {
            if (m.getValue().path("x-coffer-feature").asText().equals("x402")) documented.add(m.getKey().toUpperCase() + " " + p.getKey());
        }));
        Set<String> served = new TreeSet<>();
        for (Route r : open.service.api().routes()) if (r.name().startsWith("x402_")) served.add(r.method() + " " + r.template());
        assertThat(served).isNotEmpty().isEqualTo(documented);
    }

    @Test
    void networksComeFromTheFileOnlyAndAreChecked() throws Exception {
        assertThatThrownBy(() -> CofferConfig.load(null, Map.of("COFFER_X402_NETWORKS", "[]"), Map.of()))
                .hasMessageContaining("unknown configuration variable COFFER_X402_NETWORKS");
        Path bad = Files.createTempFile("coffer-x402", ".toml");
        Files.writeString(bad, """
                [x402]
                enabled = true
                [[x402.networks]]
                id = "base"
                rpc = [{ url = "http://127.0.0.1:1", max_requests_per_second = 0 }]
                tokens = [{ address = "%s", name = "USD Coin", version = "2", decimals = 6, asset = "USDC" }]
                """.formatted(usdc.checksummed()));
        assertThatThrownBy(() -> CofferConfig.load(bad, Map.of(), Map.of())).hasMessageContaining("not an eip155 CAIP-2 network id");
        Files.writeString(bad, "[x402]\nenabled = true\n");
        assertThatThrownBy(() -> CofferConfig.load(bad, Map.of(), Map.of())).hasMessageContaining("needs at least one [[x402.networks]]");
        // Merchants: pay_to → account, checked and normalised (two spellings of one address are one address).
        String network = """
                [x402]
                enabled = true
                [[x402.networks]]
                id = "eip155:31337"
                rpc = [{ url = "http://127.0.0.1:1", max_requests_per_second = 0 }]
                tokens = [{ address = "%s", name = "USD Coin", version = "2", decimals = 6, asset = "USDC" }]
                """.formatted(usdc.checksummed());
        Files.writeString(bad, network + "merchants = [{ pay_to = \"0x12\", account = \"shop\" }]\n");
        assertThatThrownBy(() -> CofferConfig.load(bad, Map.of(), Map.of())).hasMessageContaining("merchant pay_to 0x12 is not an address");
        Files.writeString(bad, network + "merchants = [{ pay_to = \"%s\", account = \"shop\" }, { pay_to = \"%s\", account = \"other\" }]\n"
                .formatted(merchant.checksummed(), merchant.hex()));
        assertThatThrownBy(() -> CofferConfig.load(bad, Map.of(), Map.of())).hasMessageContaining("is mapped twice");
        Files.writeString(bad, network + "merchants = [{ pay_to = \"%s\", account = \"%s\" }]\n".formatted(merchant.checksummed(), "x".repeat(65)));
        assertThatThrownBy(() -> CofferConfig.load(bad, Map.of(), Map.of())).hasMessageContaining("must be 1..64 printable ASCII");
        Files.writeString(bad, network + "merchants = [{ pay_to = \"%s\", account = \"shop-7\" }]\n".formatted(merchant.checksummed()));
        assertThat(CofferConfig.load(bad, Map.of(), Map.of()).x402().networks().getFirst().toNetwork().merchantAccounts())
                .containsExactly(Map.entry(merchant.hex(), "shop-7"));
        CofferConfig ok = CofferConfig.load(config("http://user:secret@127.0.0.1:1/key-in-path", usdc, false), Map.of(), Map.of());
        assertThat(ok.describe().toString()).doesNotContain("secret").doesNotContain("key-in-path").contains("eip155:31337");
    }

    static Set<String> fieldNames(JsonNode n) {
        Set<String> s = new TreeSet<>();
        n.fieldNames().forEachRemaining(s::add);
        return s;
    }
}
