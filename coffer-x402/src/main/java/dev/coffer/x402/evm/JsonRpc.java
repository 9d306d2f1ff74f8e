package dev.coffer.x402.evm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An Ethereum JSON-RPC client over several endpoints of one chain: a call goes to the endpoint
 * that answered last; when it cannot be reached (connection refused, timeout, HTTP 5xx or 429)
 * or is over its own rate limit, the next one is tried, and the call fails only when every
 * endpoint did. An error the node answers with (a revert, "nonce too low") is an answer, not a
 * failure of the endpoint, and is never retried elsewhere. Several calls can go in one JSON-RPC
 * batch ({@link #batch}).
 *
 * <p>Written on {@code java.net.http} rather than web3j's okhttp transport: the facilitator needs
 * failover, per-endpoint limits and batches, which web3j's {@code HttpService} does not do, and
 * the server then carries no second HTTP stack.
 */
public final class JsonRpc {

    /** One endpoint: its URL and the most requests per second Coffer sends it (0: unlimited). */
    public record Endpoint(URI url, int maxRequestsPerSecond) {}

    /** One call of a batch. */
    public record Call(String method, List<?> params) {}

    /** One answer of a batch: a result, or the node's error. */
    public record Answer(JsonNode result, RpcException error) {
        public boolean ok() { return error == null; }
    }

    private final List<Limited> endpoints;
    private final HttpClient http;
    private final Duration timeout;
    private final ObjectMapper mapper = new ObjectMapper();
    private final AtomicLong ids = new AtomicLong();
    private final AtomicInteger preferred = new AtomicInteger();
    private final AtomicLong failovers = new AtomicLong();

    public JsonRpc(List<Endpoint> endpoints, Duration timeout) {
        if (endpoints.isEmpty()) throw new IllegalArgumentException("a network needs at least one RPC URL");
        this.endpoints = endpoints.stream().map(Limited::new).toList();
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
    }

    /** How many times a call moved on to another endpoint. */
    public long failovers() { return failovers.get(); }

    /** Calls {@code method}; its result, or RpcException (the node's error, or no endpoint reachable). */
    public JsonNode call(String method, Object... params) throws RpcException {
        ObjectNode req = request(method, List.of(params));
        JsonNode reply = send(req);
        return answer(method, reply).orThrow();
    }

    /** Sends the calls as one JSON-RPC batch; the answers in the calls' order. */
    public List<Answer> batch(List<Call> calls) throws RpcException {
        if (calls.isEmpty()) return List.of();
        ArrayNode body = mapper.createArrayNode();
        List<Long> order = new ArrayList<>(calls.size());
        for (Call c : calls) {
            ObjectNode r = request(c.method(), c.params());
            order.add(r.get("id").asLong());
            body.add(r);
        }
        JsonNode reply = send(body);
        if (!reply.isArray()) throw RpcException.unreachable("batch answered with " + reply.getNodeType() + ", not an array", null);
        java.util.Map<Long, JsonNode> byId = new java.util.HashMap<>();
        for (JsonNode n : reply) byId.put(n.path("id").asLong(-1), n);
        List<Answer> out = new ArrayList<>(calls.size());
        for (int i = 0; i < calls.size(); i++) {
            JsonNode n = byId.get(order.get(i));
            if (n == null) throw RpcException.unreachable("batch answer lacks call " + i + " (" + calls.get(i).method() + ")", null);
            Parsed p = answer(calls.get(i).method(), n);
            out.add(new Answer(p.result, p.error));
        }
        return out;
    }

    private ObjectNode request(String method, List<?> params) {
        ObjectNode r = mapper.createObjectNode();
        r.put("jsonrpc", "2.0");
        r.put("id", ids.incrementAndGet());
        r.put("method", method);
        r.set("params", mapper.valueToTree(params));
        return r;
    }

    private record Parsed(JsonNode result, RpcException error) {
        JsonNode orThrow() throws RpcException {
            if (error != null) throw error;
            return result;
        }
    }

    private static Parsed answer(String method, JsonNode n) {
        JsonNode err = n.get("error");
        if (err != null && !err.isNull()) {
            JsonNode data = err.get("data");
            String d = data == null || data.isNull() ? null : data.isTextual() ? data.asText() : data.toString();
            return new Parsed(null, RpcException.fromNode(method, err.path("code").asLong(), err.path("message").asText(""), d));
        }
        return new Parsed(n.has("result") ? n.get("result") : com.fasterxml.jackson.databind.node.NullNode.instance, null);
    }

    private JsonNode send(JsonNode body) throws RpcException {
        byte[] bytes;
        try {
            bytes = mapper.writeValueAsBytes(body);
        } catch (IOException e) {
            throw RpcException.unreachable("encoding the request failed", e);
        }
        int n = endpoints.size();
        int start = preferred.get();
        StringBuilder why = new StringBuilder();
        for (int k = 0; k < n; k++) {
            int i = (start + k) % n;
            Limited ep = endpoints.get(i);
            if (k > 0) failovers.incrementAndGet();
            if (!ep.tryAcquire()) {
                why.append(ep.endpoint.url()).append(": over its rate limit; ");
                continue;
            }
            try {
                HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(ep.endpoint.url()).timeout(timeout)
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                if (r.statusCode() == 429 || r.statusCode() >= 500) {
                    why.append(ep.endpoint.url()).append(": HTTP ").append(r.statusCode()).append("; ");
                    continue;
                }
                JsonNode reply = mapper.readTree(r.body());
                if (reply == null || !(reply.isObject() || reply.isArray())) {
                    why.append(ep.endpoint.url()).append(": HTTP ").append(r.statusCode()).append(" without a JSON-RPC answer; ");
                    continue;
                }
                if (i != start) preferred.set(i);
                return reply;
            } catch (IOException e) {
                why.append(ep.endpoint.url()).append(": ").append(e.getClass().getSimpleName()).append(' ').append(e.getMessage()).append("; ");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw RpcException.unreachable("interrupted", e);
            }
        }
        throw RpcException.unreachable("no RPC endpoint answered: " + why, null);
    }

    /** A token bucket per endpoint: {@code maxRequestsPerSecond} tokens a second, a burst of one second's worth. */
    private static final class Limited {
        final Endpoint endpoint;
        private final double rate;
        private double tokens;
        private long last = System.nanoTime();

        Limited(Endpoint endpoint) {
            this.endpoint = endpoint;
            this.rate = endpoint.maxRequestsPerSecond();
            this.tokens = rate;
        }

        synchronized boolean tryAcquire() {
            if (rate <= 0) return true;
            long now = System.nanoTime();
            tokens = Math.min(rate, tokens + (now - last) / 1e9 * rate);
            last = now;
            if (tokens < 1) return false;
            tokens -= 1;
            return true;
        }
    }
}
