package dev.coffer.server;

import dev.coffer.server.config.CofferConfig;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The connection bounds, over raw keep-alive sockets: at most server.max_connections open, idle ones closed. */
class ConnectionLimitsTest {

    private static final Pattern LENGTH = Pattern.compile("(?i)content-length: *(\\d+)");

    @Test
    void pastMaxConnectionsANewConnectionWaitsUntilOneCloses() throws Exception {
        try (ServiceFixture f = new ServiceFixture(Map.of("server.max_connections", 2))) {
            Socket first = open(f), second = open(f);
            assertThat(healthz(first)).startsWith("HTTP/1.1 200");
            assertThat(healthz(second)).startsWith("HTTP/1.1 200");
            try (Socket third = open(f)) {
                third.setSoTimeout(800);
                send(third);
                assertThatThrownBy(() -> readAnswer(third)).as("a third connection is not served while two are open")
                        .isInstanceOf(SocketTimeoutException.class);
                first.close();
                third.setSoTimeout(5_000);
                assertThat(readAnswer(third)).as("served once one of the two closed").startsWith("HTTP/1.1 200");
            }
            assertThat(healthz(second)).startsWith("HTTP/1.1 200");
            second.close();
        }
    }

    @Test
    void anIdleKeepAliveConnectionIsClosedAfterTheIdleTimeout() throws Exception {
        // Twice the floor: the check that a short idle keeps the connection has seconds to spare on a loaded machine.
        int timeout = 2 * CofferConfig.MIN_IDLE_TIMEOUT_MS;
        try (ServiceFixture f = new ServiceFixture(Map.of("server.idle_timeout_ms", timeout));
             Socket s = open(f)) {
            assertThat(healthz(s)).startsWith("HTTP/1.1 200");
            Thread.sleep(timeout / 8);
            assertThat(healthz(s)).as("kept alive while idle for less than the timeout").startsWith("HTTP/1.1 200");
            long lastAnswer = System.nanoTime();
            s.setSoTimeout(60_000);
            assertThat(s.getInputStream().read()).as("the server closed the idle connection").isEqualTo(-1);
            long idle = (System.nanoTime() - lastAnswer) / 1_000_000;
            // Never before the timeout: the server's clock for "last request" ticks once a second, so
            // at most about a second early. (How late depends on the machine's load: not asserted.)
            assertThat(idle).isGreaterThanOrEqualTo(timeout - 1_100L);
        }
    }

    private static Socket open(ServiceFixture f) throws IOException {
        URI u = URI.create(f.service.url());
        Socket s = new Socket();
        s.connect(new InetSocketAddress(u.getHost(), u.getPort()), 2_000);
        s.setSoTimeout(5_000);
        return s;
    }

    private static void send(Socket s) throws IOException {
        s.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: coffer\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
    }

    private static String healthz(Socket s) throws IOException {
        send(s);
        return readAnswer(s);
    }

    /** One answer: the headers, then as many body bytes as Content-Length says. */
    private static String readAnswer(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int headerEnd = -1, length = 0;
        while (true) {
            int c = in.read();
            if (c < 0) throw new IOException("connection closed after " + b.size() + " bytes");
            b.write(c);
            String text = b.toString(StandardCharsets.US_ASCII);
            if (headerEnd < 0 && text.endsWith("\r\n\r\n")) {
                headerEnd = b.size();
                Matcher m = LENGTH.matcher(text);
                length = m.find() ? Integer.parseInt(m.group(1)) : 0;
            }
            if (headerEnd >= 0 && b.size() >= headerEnd + length) return text;
        }
    }
}
