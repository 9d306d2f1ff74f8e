package dev.coffer.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.server.ServiceFixture.Res;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PostgreSQL gone and back, under HTTP writes: the service reaches the database through a TCP proxy
 * this test runs, which cuts every connection and refuses new ones for a while. Meanwhile writes
 * answer 503 with {@code Retry-After}, retryable, and nothing is acknowledged; once the database is
 * reachable again the ledger reopens by itself and writes resume; afterwards every receipt is
 * answered again with its seq, every refused write applies once when retried, balances equal the
 * transfers attempted — in the live service and after a restart that recovers from the database.
 */
class PostgresOutageTest {

    /** A TCP proxy to PostgreSQL that can go down (cutting and refusing connections) and come back. */
    static final class Proxy implements AutoCloseable {
        final ServerSocket server;
        final int target;
        final List<Socket> open = new CopyOnWriteArrayList<>();
        volatile boolean down;

        Proxy(int target) throws IOException {
            this.target = target;
            server = new ServerSocket();
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            Thread.ofVirtual().start(this::accept);
        }

        int port() { return server.getLocalPort(); }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket client = server.accept();
                    if (down) {
                        client.close();
                        continue;
                    }
                    Socket upstream = new Socket("127.0.0.1", target);
                    open.add(client);
                    open.add(upstream);
                    Thread.ofVirtual().start(() -> pipe(client, upstream));
                    Thread.ofVirtual().start(() -> pipe(upstream, client));
                } catch (IOException e) {
                    // closed
                }
            }
        }

        private void pipe(Socket from, Socket to) {
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                in.transferTo(out);
            } catch (IOException e) {
                // cut
            } finally {
                try {
                    from.close();
                    to.close();
                } catch (IOException ignored) {
                    // gone
                }
            }
        }

        /** The database is gone: every connection cut, new ones refused. */
        void goDown() throws IOException {
            down = true;
            for (Socket s : open) s.close();
            open.clear();
        }

        void comeBack() {
            down = false;
        }

        @Override
        public void close() throws IOException {
            server.close();
            goDown();
        }
    }

    record Transfer(String id, String from, String to, long amount) {
        String body() {
            return "{\"id\":\"" + id + "\",\"from\":\"" + from + "\",\"to\":\"" + to + "\",\"amount\":\"" + amount + "\"}";
        }
    }

    @Test
    void writesAnswer503WhileTheDatabaseIsGoneAndNothingDivergesAfter() throws Exception {
        String url = ServiceFixture.postgresUrl();
        URI u = URI.create(url.substring("jdbc:".length()));
        String schema = ServiceFixture.freshSchema("outage_");
        try (Proxy proxy = new Proxy(u.getPort())) {
            String viaProxy = "jdbc:postgresql://127.0.0.1:" + proxy.port() + u.getPath() + "?" + u.getQuery();
            Map<String, Object> settings = Map.of("ledger.store", "postgres", "postgres.url", viaProxy, "postgres.schema", schema,
                    "server.request_timeout_ms", 3_000);
            List<Transfer> attempted = new ArrayList<>();
            Map<String, Long> receipts = new HashMap<>();
            try (ServiceFixture f = new ServiceFixture(settings)) {
                assertThat(f.post("/v1/assets", f.adminKey, "{\"code\":\"USD\",\"scale\":2}").status()).isEqualTo(201);
                for (String a : List.of("alice", "bob")) f.post("/v1/accounts", f.adminKey, "{\"account_id\":\"" + a + "\",\"asset\":\"USD\",\"owner\":\"o\"}");
                f.post("/v1/deposits", f.adminKey, "{\"account_id\":\"alice\",\"amount\":\"1000000\"}", "Idempotency-Key", "fund");
                int n = 0;
                for (; n < 20; n++) send(f, new Transfer("t" + n, "alice", "bob", n + 1), attempted, receipts, 201);

                proxy.goDown();
                int refused = 0;
                for (int i = 0; i < 5; i++, n++) {
                    Transfer t = new Transfer("t" + n, "alice", "bob", n + 1);
                    attempted.add(t);
                    Res r = f.post("/v1/transfers", f.adminKey, t.body());
                    assertThat(r.status()).as("while the database is gone: %s", r.json()).isEqualTo(503);
                    assertThat(r.json().path("error").path("retryable").asBoolean()).isTrue();
                    assertThat(r.header("Retry-After")).isNotNull();
                    refused++;
                }
                assertThat(f.get("/readyz", null).status()).as("not ready while the store is gone").isEqualTo(503);

                proxy.comeBack();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                Transfer probe = new Transfer("t" + n++, "alice", "bob", 7);
                attempted.add(probe);
                while (true) {
                    Res r = f.post("/v1/transfers", f.adminKey, probe.body());
                    if (r.status() == 201 || r.status() == 200) {
                        receipts.put(probe.id(), r.json().path("seq").asLong());
                        break;
                    }
                    assertThat(r.status()).isEqualTo(503);
                    assertThat(System.nanoTime()).as("writes resume once the database is back").isLessThan(deadline);
                    Thread.sleep(50);
                }
                for (int i = 0; i < 20; i++, n++) send(f, new Transfer("t" + n, "alice", "bob", n + 1), attempted, receipts, 201);

                // Every receipt again with its seq; every refused write applies now, once.
                for (Transfer t : attempted) {
                    Res r = f.post("/v1/transfers", f.adminKey, t.body());
                    Long seq = receipts.get(t.id());
                    if (seq != null) {
                        assertThat(r.status()).isEqualTo(200);
                        assertThat(r.json().path("seq").asLong()).isEqualTo(seq);
                    } else {
                        assertThat(r.status()).as("%s was refused while the database was gone", t.id()).isIn(200, 201);
                    }
                }
                long sent = attempted.stream().mapToLong(Transfer::amount).sum();
                assertThat(balance(f, "bob")).isEqualTo(BigInteger.valueOf(sent));
                assertThat(balance(f, "alice")).isEqualTo(BigInteger.valueOf(1_000_000 - sent));
                assertThat(refused).isEqualTo(5);

                f.restart(); // recovers from the database alone
                assertThat(balance(f, "bob")).as("the database holds what the live service held").isEqualTo(BigInteger.valueOf(sent));
            }
        } finally {
            try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }

    private static void send(ServiceFixture f, Transfer t, List<Transfer> attempted, Map<String, Long> receipts, int status) {
        attempted.add(t);
        Res r = f.post("/v1/transfers", f.adminKey, t.body());
        assertThat(r.status()).as(String.valueOf(r.json())).isEqualTo(status);
        receipts.put(t.id(), r.json().path("seq").asLong());
    }

    private static BigInteger balance(ServiceFixture f, String account) {
        JsonNode j = f.get("/v1/accounts/" + account + "/balance", f.adminKey).json();
        return new BigInteger(j.path("balance").asText());
    }
}
