package dev.coffer.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP exchange with retries: a retryable answer (429, 503, or no answer at all) is sent
 * again — the same method, path and body, so the same operation id — after Retry-After or an
 * exponential back-off with jitter, up to the configured number of attempts.
 */
final class Http {

    static final ObjectMapper JSON = new ObjectMapper();

    /** A successful answer: status, parsed body, and whether the server says it is a replay. */
    record Answer(int status, JsonNode body, boolean replayed) {}

    private final HttpClient client;
    private final URI base;
    private final String authorization;
    private final Duration timeout;
    private final int maxAttempts;
    private final Duration maxBackoff;

    Http(HttpClient client, URI base, String apiKey, Duration timeout, int maxAttempts, Duration maxBackoff) {
        this.client = client;
        this.base = base;
        this.authorization = "Bearer " + apiKey;
        this.timeout = timeout;
        this.maxAttempts = maxAttempts;
        this.maxBackoff = maxBackoff;
    }

    static String segment(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static String query(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** GET of a text answer (a signed note); a non-200 answer is a {@link CofferException}. */
    String getText(String path) {
        HttpRequest r = HttpRequest.newBuilder(base.resolve(path)).timeout(timeout).header("Authorization", authorization).GET().build();
        try {
            HttpResponse<byte[]> res = client.send(r, HttpResponse.BodyHandlers.ofByteArray());
            if (res.statusCode() != 200) throw decode(res).error;
            return new String(res.body(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CofferException(0, "no_answer", e.toString(), true, null, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CofferException(0, "interrupted", e.toString(), true, null, e);
        }
    }

    CompletableFuture<Answer> send(String method, String path, Object body) {
        byte[] bytes;
        try {
            bytes = body == null ? null : JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
        return attempt(method, path, bytes, 1);
    }

    private CompletableFuture<Answer> attempt(String method, String path, byte[] body, int attempt) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(timeout)
                .header("Authorization", authorization).header("Accept", "application/json");
        if (body != null) b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        else b.method(method, HttpRequest.BodyPublishers.noBody());
        return client.sendAsync(b.build(), HttpResponse.BodyHandlers.ofByteArray()).handle((res, err) -> {
            if (err != null) {
                Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
                return new Outcome(null, new CofferException(0, "no_answer", cause.toString(), true, null, cause), -1);
            }
            return decode(res);
        }).thenCompose(o -> {
            if (o.answer != null) return CompletableFuture.completedFuture(o.answer);
            if (!o.error.retryable() || attempt >= maxAttempts) return CompletableFuture.failedFuture(o.error);
            long delay = o.retryAfterMillis >= 0 ? o.retryAfterMillis : backoff(attempt);
            return CompletableFuture.supplyAsync(() -> null, CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS))
                    .thenCompose(x -> attempt(method, path, body, attempt + 1));
        });
    }

    private long backoff(int attempt) {
        long cap = Math.min(maxBackoff.toMillis(), 25L << Math.min(attempt, 16));
        return ThreadLocalRandom.current().nextLong(cap / 2, cap + 1);
    }

    private record Outcome(Answer answer, CofferException error, long retryAfterMillis) {}

    private static Outcome decode(HttpResponse<byte[]> res) {
        JsonNode body;
        try {
            body = res.body().length == 0 ? JSON.createObjectNode() : JSON.readTree(res.body());
        } catch (IOException e) {
            body = JSON.createObjectNode();
        }
        if (res.statusCode() < 300) {
            return new Outcome(new Answer(res.statusCode(), body, res.headers().firstValue("Idempotent-Replayed").map("true"::equals).orElse(false)), null, -1);
        }
        JsonNode e = body.path("error");
        long retryAfter = res.headers().firstValue("Retry-After").map(v -> {
            try {
                return Long.parseLong(v.trim()) * 1000;
            } catch (NumberFormatException ex) {
                return -1L;
            }
        }).orElse(-1L);
        boolean retryable = e.path("retryable").asBoolean(res.statusCode() == 429 || res.statusCode() == 503);
        return new Outcome(null, new CofferException(res.statusCode(), e.path("code").asText("http_" + res.statusCode()),
                e.path("message").asText(""), retryable, e.path("request_id").asText(res.headers().firstValue("X-Request-Id").orElse(null)), null), retryAfter);
    }
}
