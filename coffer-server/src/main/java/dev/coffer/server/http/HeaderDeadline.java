package dev.coffer.server.http;

import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http1.Http1ConnectionListener;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A deadline for a request's headers ({@code server.header_timeout_ms}): a connection whose request
 * line arrived but whose headers have not all come within the deadline is closed. The web server's
 * idle sweep closes a connection that never finishes its request line, but not one that trickles
 * its headers a byte at a time — the slowloris that holds a connection slot for ever. This listener
 * notes when each request line arrives and forgets it when the headers are complete; a daemon
 * thread closes the sockets past their deadline. It holds one entry per connection reading headers.
 */
final class HeaderDeadline implements Http1ConnectionListener, AutoCloseable {

    /** How often overdue connections are looked for. */
    static final long PERIOD_MILLIS = 100;

    private final long timeoutNanos;
    private final Map<ConnectionContext, Long> reading = new ConcurrentHashMap<>();
    private final Thread watchdog;
    private volatile boolean closed;

    HeaderDeadline(long timeoutMillis) {
        this.timeoutNanos = timeoutMillis * 1_000_000;
        this.watchdog = Thread.ofPlatform().daemon().name("coffer-header-deadline").start(this::watch);
    }

    @Override
    public void prologue(ConnectionContext ctx, HttpPrologue prologue) {
        reading.put(ctx, System.nanoTime());
    }

    @Override
    public void headers(ConnectionContext ctx, Headers headers) {
        reading.remove(ctx);
    }

    private void watch() {
        while (!closed) {
            try {
                Thread.sleep(PERIOD_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            reading.forEach((ctx, since) -> {
                if (now - since > timeoutNanos && reading.remove(ctx, since)) {
                    try {
                        ctx.serverSocket().close(); // its blocked header read ends, and the connection with it
                    } catch (RuntimeException e) {
                        // already gone
                    }
                }
            });
        }
    }

    /** Connections reading headers now. */
    int reading() {
        return reading.size();
    }

    @Override
    public void close() {
        closed = true;
        watchdog.interrupt();
    }
}
