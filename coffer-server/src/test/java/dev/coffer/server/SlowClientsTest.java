package dev.coffer.server;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Slow and stalled clients cannot take the service down: with its connection bound set to
 * {@link #MAX_CONNECTIONS}, twice as many slowloris connections — half never finishing their
 * request line, half finishing it and then trickling their headers a byte every 200 ms — and
 * clients that send requests but never read the answers come and stay, and the service still
 * answers other clients: a connection that completes no request line within the idle timeout is
 * closed by the web server's sweep, one whose headers are not complete within
 * {@code server.header_timeout_ms} by the header deadline, and a stalled reader holds only its own
 * connection and virtual thread.
 */
class SlowClientsTest {

    static final int MAX_CONNECTIONS = 64;
    /** Clients that send and never read their answers. */
    static final int STALLED = 8;

    static Socket open(ServiceFixture f) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", f.service.port()), 10_000);
        return s;
    }

    /** Whether the server has closed {@code s}: a read ends, or a write fails. */
    static boolean closedByServer(Socket s) {
        try {
            s.setSoTimeout(50);
            InputStream in = s.getInputStream();
            try {
                return in.read() < 0;
            } catch (java.net.SocketTimeoutException stillOpen) {
                s.getOutputStream().write('x');
                s.getOutputStream().flush();
                return false;
            }
        } catch (IOException e) {
            return true;
        }
    }

    @Test
    void slowlorisAndStalledReadersDoNotExhaustTheService() throws Exception {
        try (ServiceFixture f = new ServiceFixture(Map.of("server.max_connections", MAX_CONNECTIONS, "server.idle_timeout_ms", 2_000,
                "server.header_timeout_ms", 2_000))) {
            List<Socket> slow = new ArrayList<>();
            try {
                // Slowloris: part of a request line, never its end; or the request line, then headers a byte at a time.
                for (int i = 0; i < 2 * MAX_CONNECTIONS; i++) {
                    Socket s = open(f);
                    boolean trickle = i % 2 == 1;
                    s.getOutputStream().write((trickle ? "GET /v1/assets HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " : "GET /v1/assets?slow=")
                            .getBytes(StandardCharsets.US_ASCII));
                    s.getOutputStream().flush();
                    slow.add(s);
                    if (trickle) {
                        Thread.ofVirtual().start(() -> {
                            try {
                                while (true) {
                                    Thread.sleep(200);
                                    s.getOutputStream().write('a');
                                    s.getOutputStream().flush();
                                }
                            } catch (IOException | InterruptedException closed) {
                                // the server closed it: what the deadline is for
                            }
                        });
                    }
                }
                // Stalled readers: many pipelined requests whose answers are never read.
                byte[] request = ("GET /v1/accounts?owner=nobody HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + f.adminKey + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII);
                for (int i = 0; i < STALLED; i++) {
                    Socket s = open(f);
                    slow.add(s);
                    // its writes block once the server stops reading it (its answers are not read): a thread of its own
                    Thread.ofVirtual().start(() -> {
                        try {
                            OutputStream out = s.getOutputStream();
                            for (int r = 0; r < 2_000; r++) out.write(request);
                            out.flush();
                        } catch (IOException closed) {
                            // closed at the end of the test, or by the server
                        }
                    });
                }
                // Meanwhile other clients are answered, each within the idle timeout and a sweep.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                int answered = 0;
                while (answered < 20) {
                    assertThat(System.nanoTime()).as("answers to other clients while slow ones hold connections").isLessThan(deadline);
                    ServiceFixture.Res r = f.get("/v1/assets", f.adminKey);
                    if (r.status() == 200) answered++;
                }
                // The slowloris connections are closed by the server once idle past the timeout.
                long reaped = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                List<Socket> open = new ArrayList<>(slow.subList(0, 2 * MAX_CONNECTIONS));
                while (!open.isEmpty()) {
                    assertThat(System.nanoTime()).as("%d slowloris connections still open", open.size()).isLessThan(reaped);
                    open.removeIf(SlowClientsTest::closedByServer);
                }
                assertThat(f.get("/readyz", null).status()).isEqualTo(200);
            } finally {
                for (Socket s : slow) s.close();
            }
        }
    }
}
