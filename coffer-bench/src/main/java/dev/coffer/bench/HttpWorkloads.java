package dev.coffer.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The HTTP workloads of {@code coffer bench}: what each request is, in what mix, and what the
 * server must hold before the run (an asset, funded accounts, transactions to look up). Every
 * connection has its own {@link Stream} and sends one request at a time, so per-connection state
 * (nonces, a hold waiting for its capture) needs no locking.
 */
final class HttpWorkloads {

    private HttpWorkloads() {}

    static final String ASSET = "USD";
    /** Transactions created before the run for read workloads to look up. */
    static final int SEEDED_TRANSACTIONS = 10_000;
    static final List<String> NAMES = List.of("transfers", "batch", "read-heavy", "write-mix", "replay", "holds", "overload", "log-proofs");

    /** One request and what it is, for the per-kind figures. */
    record Request(byte[] bytes, String kind, int operations) {}

    /** A connection's source of requests; told each answer's status before it is asked for the next. */
    interface Stream {
        Request next();

        default void answered(Request r, int status) {}
    }

    /** A workload: its mix in words, and a stream per connection. */
    interface Workload {
        String name();

        String mix();

        /** Seeds transactions to look up before the run (the accounts and their money always exist). */
        default boolean needsSeededTransactions() { return false; }

        Stream stream(Format format, int connection, int connections, long seed);
    }

    static Workload named(String name, int accounts, int batchSize) {
        return switch (name) {
            case "transfers", "overload" -> new Transfers(name, accounts);
            case "batch" -> new Batch(accounts, batchSize);
            case "read-heavy" -> new ReadHeavy(accounts);
            case "write-mix" -> new WriteMix("write-mix", accounts, 0);
            case "replay" -> new WriteMix("replay", accounts, 1);
            case "holds" -> new Holds(accounts);
            case "log-proofs" -> new LogProofs(accounts);
            default -> throw new IllegalArgumentException("unknown workload " + name + "; one of " + NAMES);
        };
    }

    static String account(int i) {
        return "acct-" + i;
    }

    // ---------------------------------------------------------------- request formatting

    /** Formats requests with the API key; one per run. */
    static final class Format {
        private final byte[] keyHeader;

        Format(String key) {
            keyHeader = ("Authorization: Bearer " + key + "\r\n").getBytes(StandardCharsets.US_ASCII);
        }

        byte[] post(String path, String idempotencyKey, String body) {
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            String head = "POST " + path + " HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                    + (idempotencyKey != null ? "Idempotency-Key: " + idempotencyKey + "\r\n" : "") + "Content-Length: " + b.length + "\r\n";
            return join(head, b);
        }

        byte[] get(String path) {
            return join("GET " + path + " HTTP/1.1\r\nHost: bench\r\n", new byte[0]);
        }

        private byte[] join(String head, byte[] body) {
            byte[] h = head.getBytes(StandardCharsets.US_ASCII);
            byte[] out = new byte[h.length + keyHeader.length + 2 + body.length];
            System.arraycopy(h, 0, out, 0, h.length);
            System.arraycopy(keyHeader, 0, out, h.length, keyHeader.length);
            out[h.length + keyHeader.length] = '\r';
            out[h.length + keyHeader.length + 1] = '\n';
            System.arraycopy(body, 0, out, h.length + keyHeader.length + 2, body.length);
            return out;
        }
    }

    /** The asset, {@code accounts} accounts each holding plenty, and (when asked) seeded transactions. */
    static void setUp(HttpConnection c, Format f, int accounts, boolean seedTransactions) throws IOException {
        int status = c.exchange(f.post("/v1/assets", null, "{\"code\":\"" + ASSET + "\",\"scale\":2}"));
        if (status != 201 && status != 200) throw new IllegalStateException("creating the asset failed: HTTP " + status + " " + c.body());
        for (int from = 0; from < accounts; from += 500) {
            StringBuilder b = new StringBuilder("{\"mode\":\"independent\",\"operations\":[");
            for (int i = from; i < Math.min(accounts, from + 500); i++) {
                if (i > from) b.append(',');
                b.append("{\"type\":\"create_account\",\"account_id\":\"").append(account(i)).append("\",\"asset\":\"").append(ASSET)
                        .append("\",\"owner\":\"bench\"},{\"type\":\"deposit\",\"id\":\"fund-").append(i).append("\",\"account_id\":\"")
                        .append(account(i)).append("\",\"amount\":\"1000000000000\"}");
            }
            batch(c, f, b.append("]}").toString());
        }
        if (!seedTransactions) return;
        SplittableRandom r = new SplittableRandom(42);
        for (int from = 0; from < SEEDED_TRANSACTIONS; from += 1000) {
            StringBuilder b = new StringBuilder("{\"mode\":\"independent\",\"operations\":[");
            for (int i = from; i < from + 1000; i++) {
                int x = r.nextInt(accounts), y = other(r, x, accounts);
                if (i > from) b.append(',');
                b.append("{\"type\":\"transfer\",\"id\":\"seed-").append(i).append("\",\"from\":\"").append(account(x))
                        .append("\",\"to\":\"").append(account(y)).append("\",\"amount\":\"1\"}");
            }
            batch(c, f, b.append("]}").toString());
        }
    }

    private static void batch(HttpConnection c, Format f, String body) throws IOException {
        int status = c.exchange(f.post("/v1/batch", null, body));
        if (status != 200) throw new IllegalStateException("setting up failed: HTTP " + status + " " + c.body());
    }

    static int other(SplittableRandom r, int a, int n) {
        int b = r.nextInt(n - 1);
        return b >= a ? b + 1 : b;
    }

    static String transferBody(String from, String to, String amount, long nonce) {
        return "{\"from\":\"" + from + "\",\"to\":\"" + to + "\",\"amount\":\"" + amount + "\"" + (nonce > 0 ? ",\"nonce\":" + nonce : "") + "}";
    }

    // ---------------------------------------------------------------- workloads

    record Transfers(String name, int accounts) implements Workload {
        public String mix() {
            return "100% POST /v1/transfers: one transfer of 1 minor unit between two random accounts of " + accounts;
        }

        public Stream stream(Format format, int conn, int conns, long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            long[] n = {0};
            return () -> {
                int a = r.nextInt(accounts), b = other(r, a, accounts);
                return new Request(format.post("/v1/transfers", "t" + seed + "-" + conn + "-" + n[0]++, transferBody(account(a), account(b), "1", 0)), "transfer", 1);
            };
        }
    }

    record Batch(int accounts, int size) implements Workload {
        public String name() { return "batch"; }

        public String mix() {
            return "100% POST /v1/batch of " + size + " independent transfers between random accounts of " + accounts;
        }

        public Stream stream(Format format, int conn, int conns, long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            long[] n = {0};
            return () -> {
                StringBuilder b = new StringBuilder(size * 90).append("{\"operations\":[");
                for (int i = 0; i < size; i++) {
                    int x = r.nextInt(accounts), y = other(r, x, accounts);
                    if (i > 0) b.append(',');
                    b.append("{\"type\":\"transfer\",\"id\":\"b").append(seed).append('-').append(conn).append('-').append(n[0]).append('-').append(i)
                            .append("\",\"from\":\"").append(account(x)).append("\",\"to\":\"").append(account(y)).append("\",\"amount\":\"1\"}");
                }
                n[0]++;
                return new Request(format.post("/v1/batch", null, b.append("]}").toString()), "batch", size);
            };
        }
    }

    record ReadHeavy(int accounts) implements Workload {
        public String name() { return "read-heavy"; }

        public String mix() {
            return "95% GET /v1/accounts/{id}/balance over " + accounts + " accounts, 5% GET /v1/transactions/{id} over "
                    + SEEDED_TRANSACTIONS + " transactions, uniformly at random";
        }

        public boolean needsSeededTransactions() { return true; }

        public Stream stream(Format format, int conn, int conns, long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            return () -> r.nextInt(100) < 95
                    ? new Request(format.get("/v1/accounts/" + account(r.nextInt(accounts)) + "/balance"), "balance", 1)
                    : new Request(format.get("/v1/transactions/seed-" + r.nextInt(SEEDED_TRANSACTIONS)), "transaction", 1);
        }
    }

    /**
     * Inclusion proofs of the verifiable log for events uniformly at random among those set-up
     * wrote (accounts, deposits, seeded transfers), against the newest checkpoint.
     */
    record LogProofs(int accounts) implements Workload {
        public String name() { return "log-proofs"; }

        public String mix() {
            return "GET /v1/log/proof/inclusion?seq=N, N uniformly among the first " + (2L * accounts + SEEDED_TRANSACTIONS) + " events";
        }

        public boolean needsSeededTransactions() { return true; }

        public Stream stream(Format format, int conn, int conns, long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            long events = 2L * accounts + SEEDED_TRANSACTIONS;
            return () -> new Request(format.get("/v1/log/proof/inclusion?seq=" + (1 + r.nextLong(events))), "inclusion_proof", 1);
        }
    }

    /**
     * 20% transfers, 5% deposits, 5% withdrawals, 70% balance reads. Each connection owns the
     * accounts {@code i ≡ connection (mod connections)} and sends every write from one of them
     * with that account's next nonce (a refused write leaves the nonce unused), so nonces rise
     * strictly per account without coordination. {@code replayPercent} of requests repeat an
     * earlier write of the connection with the same Idempotency-Key and body.
     */
    record WriteMix(String name, int accounts, int replayPercent) implements Workload {
        public String mix() {
            return "20% POST /v1/transfers, 5% POST /v1/deposits, 5% POST /v1/withdrawals, 70% GET balance; " + accounts
                    + " accounts, each written by one connection with strictly increasing nonces"
                    + (replayPercent > 0 ? "; plus " + replayPercent + "% replays of an earlier write's Idempotency-Key" : "");
        }

        public Stream stream(Format format, int conn, int conns, long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            List<Integer> owned = new ArrayList<>();
            for (int i = conn; i < accounts; i += conns) owned.add(i);
            if (owned.isEmpty()) throw new IllegalArgumentException("write-mix needs at least as many accounts as connections");
            long[] nonces = new long[owned.size()];
            List<Request> done = new ArrayList<>();
            return new Stream() {
                long n;
                int pending = -1;

                public Request next() {
                    if (replayPercent > 0 && !done.isEmpty() && r.nextInt(100) < replayPercent) {
                        Request earlier = done.get(r.nextInt(done.size()));
                        pending = -1;
                        return new Request(earlier.bytes(), "replay", 1);
                    }
                    int p = r.nextInt(100);
                    if (p >= 30) {
                        pending = -1;
                        return new Request(format.get("/v1/accounts/" + account(r.nextInt(accounts)) + "/balance"), "balance", 1);
                    }
                    int slot = r.nextInt(owned.size());
                    pending = slot;
                    String a = account(owned.get(slot));
                    long nonce = nonces[slot] + 1;
                    String id = "w" + seed + "-" + conn + "-" + n++;
                    if (p < 20) return new Request(format.post("/v1/transfers", id, transferBody(a, account(other(r, owned.get(slot), accounts)), "1", nonce)), "transfer", 1);
                    String body = "{\"account_id\":\"" + a + "\",\"amount\":\"1\",\"nonce\":" + nonce + "}";
                    return p < 25 ? new Request(format.post("/v1/deposits", id, body), "deposit", 1)
                            : new Request(format.post("/v1/withdrawals", id, body), "withdrawal", 1);
                }

                public void answered(Request req, int status) {
                    if (pending >= 0 && status == 201) {
                        nonces[pending]++;
                        if (replayPercent > 0 && done.size() < 10_000) done.add(req);
                    }
                    pending = -1;
                }
            };
        }
    }

    /** The card-payment flow: authorize (a hold), then capture it in full (60%), in part (20%) or void it (20%). */
    record Holds(int accounts) implements Workload {
        public String name() { return "holds"; }

        public String mix() {
            return "POST /v1/holds of 100 minor units, then on the same connection POST /v1/holds/{id}/capture in full (60%) or of 40 (20%), "
                    + "or POST /v1/holds/{id}/void (20%); random accounts of " + accounts;
        }

        public Stream stream(Format format, int conn, int conns, long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            return new Stream() {
                long n;
                String open;
                String holdId;

                public Request next() {
                    if (open != null) {
                        String id = open;
                        open = null;
                        int p = r.nextInt(100);
                        if (p < 60) return new Request(format.post("/v1/holds/" + id + "/capture", id + "-c", "{}"), "capture", 1);
                        if (p < 80) return new Request(format.post("/v1/holds/" + id + "/capture", id + "-c", "{\"amount\":\"40\"}"), "capture", 1);
                        return new Request(format.post("/v1/holds/" + id + "/void", id + "-v", "{}"), "void", 1);
                    }
                    int a = r.nextInt(accounts), b = other(r, a, accounts);
                    holdId = "h" + seed + "-" + conn + "-" + n++;
                    return new Request(format.post("/v1/holds", holdId, transferBody(account(a), account(b), "100", 0)), "hold", 1);
                }

                public void answered(Request req, int status) {
                    if (req.kind().equals("hold") && status == 201) open = holdId;
                }
            };
        }
    }
}
