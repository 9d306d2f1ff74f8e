package dev.coffer.server;

import dev.coffer.client.CofferClient;
import dev.coffer.client.CofferException;
import dev.coffer.server.ServiceFixture.Res;
import dev.coffer.server.auth.CapabilityTokens;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.net.URI;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Capability tokens over real HTTP: minted by an admin key, used for what their caveats allow and
 * refused (403 {@code caveat_not_satisfied}, nothing applied) for the rest — another account,
 * another operation, a larger amount, a route of no account, one bad operation in a batch;
 * narrowed by whoever holds them without the server; revoked; unable to mint keys or tokens; and
 * taken by the Java client.
 */
class CapabilityTokenApiTest {

    ServiceFixture f;

    @BeforeEach
    void setUp() throws Exception {
        f = new ServiceFixture();
        assertThat(f.post("/v1/assets", f.adminKey, "{\"code\":\"USD\",\"scale\":2}").status()).isEqualTo(201);
        for (String a : List.of("user42:main", "user42:savings", "user7:main")) {
            assertThat(f.post("/v1/accounts", f.adminKey, "{\"account_id\":\"" + a + "\",\"asset\":\"USD\",\"owner\":\"o\"}").status()).isEqualTo(201);
            assertThat(f.post("/v1/deposits", f.adminKey, "{\"account_id\":\"" + a + "\",\"amount\":\"10000\"}", "Idempotency-Key", "fund-" + a).status()).isEqualTo(201);
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        f.close();
    }

    String mint(String... caveats) {
        StringBuilder b = new StringBuilder("{\"caveats\":[");
        for (int i = 0; i < caveats.length; i++) b.append(i == 0 ? "" : ",").append('"').append(caveats[i]).append('"');
        Res r = f.post("/v1/tokens", f.adminKey, b.append("]}").toString());
        assertThat(r.status()).as(String.valueOf(r.json())).isEqualTo(201);
        return r.json().path("token").asText();
    }

    Res transfer(String token, String id, String from, String to, long amount) {
        return f.post("/v1/transfers", token, "{\"id\":\"" + id + "\",\"from\":\"" + from + "\",\"to\":\"" + to + "\",\"amount\":\"" + amount + "\"}");
    }

    String balance(String account) {
        return f.get("/v1/accounts/" + account + "/balance", f.adminKey).json().path("balance").asText();
    }

    @Test
    void aTokenDoesWhatItsCaveatsAllowAndNothingElse() {
        String token = mint("scope = write", "account = user42:*", "op = transfer,withdrawal", "max_amount = 500");
        assertThat(token).startsWith(CapabilityTokens.PREFIX);
        assertThat(transfer(token, "t1", "user42:main", "user7:main", 300).status()).isEqualTo(201);
        assertThat(f.get("/v1/accounts/user42:main/balance", token).json().path("balance").asText()).isEqualTo("9700");

        assertThat(transfer(token, "t2", "user7:main", "user42:main", 10).errorCode()).as("another account").isEqualTo("caveat_not_satisfied");
        assertThat(transfer(token, "t3", "user42:main", "user7:main", 501).errorCode()).as("over the amount").isEqualTo("caveat_not_satisfied");
        assertThat(f.post("/v1/deposits", token, "{\"account_id\":\"user42:main\",\"amount\":\"1\"}", "Idempotency-Key", "d1").errorCode())
                .as("another operation").isEqualTo("caveat_not_satisfied");
        assertThat(f.get("/v1/accounts/user7:main", token).errorCode()).as("reading another account").isEqualTo("caveat_not_satisfied");
        assertThat(f.get("/v1/transactions/t1", token).errorCode()).as("a route of no account").isEqualTo("caveat_not_satisfied");
        assertThat(f.get("/v1/keys", token).errorCode()).as("admin routes: the scope caveat").isEqualTo("forbidden");
        Res batch = f.post("/v1/batch", token, "{\"mode\":\"independent\",\"operations\":["
                + "{\"type\":\"transfer\",\"id\":\"b1\",\"from\":\"user42:main\",\"to\":\"user7:main\",\"amount\":\"5\"},"
                + "{\"type\":\"transfer\",\"id\":\"b2\",\"from\":\"user7:main\",\"to\":\"user42:main\",\"amount\":\"5\"}]}");
        assertThat(batch.status()).isEqualTo(403);
        assertThat(batch.json().path("error").path("details").path("index").asInt()).isEqualTo(1);
        assertThat(balance("user42:main")).as("nothing of the refused requests applied").isEqualTo("9700");
        assertThat(balance("user7:main")).isEqualTo("10300");
        assertThat(f.get("/v1/transactions/b1", f.adminKey).status()).isEqualTo(404);

        // Whoever holds it narrows it, without the server; the narrower token cannot widen back.
        String savingsOnly = CapabilityTokens.attenuate(token, List.of("account = user42:savings", "max_amount = 100"));
        assertThat(transfer(savingsOnly, "t4", "user42:main", "user7:main", 50).errorCode()).isEqualTo("caveat_not_satisfied");
        assertThat(transfer(savingsOnly, "t5", "user42:savings", "user7:main", 101).errorCode()).isEqualTo("caveat_not_satisfied");
        assertThat(transfer(savingsOnly, "t6", "user42:savings", "user7:main", 100).status()).isEqualTo(201);
        String widened = CapabilityTokens.attenuate(savingsOnly, List.of("max_amount = 1000000"));
        assertThat(transfer(widened, "t7", "user42:savings", "user7:main", 200).errorCode()).as("caveats only add up").isEqualTo("caveat_not_satisfied");
    }

    @Test
    void tokensCannotMintCredentialsAndRevocationEndsThemAndTheirChildren() {
        Res minted = f.post("/v1/tokens", f.adminKey, "{\"caveats\":[\"scope = admin\",\"expires = 2100-01-01T00:00:00Z\"]}");
        String admin = minted.json().path("token").asText();
        String id = minted.json().path("id").asText();
        assertThat(f.get("/v1/keys", admin).status()).as("an admin token reads admin routes").isEqualTo(200);
        assertThat(f.post("/v1/keys", admin, "{\"name\":\"escape\",\"scope\":\"admin\"}").errorCode()).as("a key would shed the caveats")
                .isEqualTo("caveat_not_satisfied");
        assertThat(f.post("/v1/tokens", admin, "{\"caveats\":[\"scope = admin\"]}").errorCode()).isEqualTo("caveat_not_satisfied");
        assertThat(f.post("/v1/tokens", f.adminKey, "{\"caveats\":[\"colour = blue\"]}").errorCode()).isEqualTo("caveat_invalid");
        assertThat(f.post("/v1/tokens", f.adminKey, "{\"caveats\":[\"account = a\"]}").errorCode()).as("no scope").isEqualTo("caveat_invalid");

        String child = CapabilityTokens.attenuate(admin, List.of("scope = read"));
        assertThat(f.get("/v1/assets", child).status()).isEqualTo(200);
        assertThat(f.delete("/v1/tokens/" + id, f.adminKey).json().path("revoked").asBoolean()).isTrue();
        assertThat(f.get("/v1/assets", admin).status()).isEqualTo(401);
        assertThat(f.get("/v1/assets", child).status()).as("tokens attenuated from a revoked one").isEqualTo(401);
        assertThat(f.get("/v1/assets", "cft_garbage").status()).isEqualTo(401);
        String expired = mint("scope = read", "expires = 2000-01-01T00:00:00Z");
        assertThat(f.get("/v1/assets", expired).status()).isEqualTo(401);
    }

    @Test
    void theJavaClientTakesATokenAndSeesItsRefusals() {
        String token = mint("scope = write", "account = user42:main", "op = transfer");
        try (CofferClient c = CofferClient.builder(URI.create(f.service.url())).token(token).batching(false).build()) {
            assertThat(c.transfer("jc-1", "user42:main", "user7:main", BigInteger.valueOf(25)).seq()).isPositive();
            assertThatThrownBy(() -> c.transfer("jc-2", "user7:main", "user42:main", BigInteger.ONE))
                    .isInstanceOfSatisfying(CofferException.class, e -> assertThat(e.code()).isEqualTo("caveat_not_satisfied"));
        }
        try (CofferClient c = CofferClient.builder(URI.create(f.service.url())).token(token).build()) {
            assertThat(c.transfer("jc-3", "user42:main", "user7:main", BigInteger.valueOf(5)).seq()).as("batched writes too").isPositive();
        }
        assertThat(balance("user42:main")).isEqualTo("9970");
        assertThat(Map.of("user7:main", balance("user7:main"))).containsEntry("user7:main", "10030");
    }
}
