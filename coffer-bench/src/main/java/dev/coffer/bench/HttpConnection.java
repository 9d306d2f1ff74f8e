package dev.coffer.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One keep-alive HTTP/1.1 connection of the load generator: writes a pre-formatted request and
 * reads one answer, parsing only the status line, Content-Length and (when asked) the body. Cheap
 * on purpose: the generator shares the machine's cores with the server it measures.
 */
final class HttpConnection implements AutoCloseable {

    /** A status for an answer that did not arrive within the read timeout. */
    static final int TIMEOUT = -2;

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private byte[] buf = new byte[1 << 16];
    private int bodyStart;
    private int bodyLength;

    HttpConnection(String host, int port, int readTimeoutMillis) throws IOException {
        socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress(host, port), 5_000);
        socket.setSoTimeout(readTimeoutMillis);
        out = socket.getOutputStream();
        in = socket.getInputStream();
    }

    /** Sends {@code request} and returns the answer's status, or {@link #TIMEOUT}; the body is {@link #body()}. */
    int exchange(byte[] request) throws IOException {
        out.write(request);
        out.flush();
        int len = 0, headerEnd = -1;
        try {
            while (headerEnd < 0) {
                if (len == buf.length) throw new IOException("answer headers larger than " + buf.length + " bytes");
                int r = in.read(buf, len, buf.length - len);
                if (r < 0) throw new IOException("connection closed");
                len += r;
                for (int i = Math.max(0, len - r - 3); i + 3 < len; i++) {
                    if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') {
                        headerEnd = i + 4;
                        break;
                    }
                }
            }
            String head = new String(buf, 0, headerEnd, StandardCharsets.US_ASCII);
            int status = Integer.parseInt(head.substring(9, 12));
            int cl = 0;
            int at = head.toLowerCase(Locale.ROOT).indexOf("content-length:");
            if (at >= 0) cl = Integer.parseInt(head.substring(at + 15, head.indexOf('\r', at)).trim());
            if (headerEnd + cl > buf.length) buf = java.util.Arrays.copyOf(buf, headerEnd + cl);
            while (len < headerEnd + cl) {
                int r = in.read(buf, len, headerEnd + cl - len);
                if (r < 0) throw new IOException("connection closed");
                len += r;
            }
            bodyStart = headerEnd;
            bodyLength = cl;
            return status;
        } catch (SocketTimeoutException e) {
            return TIMEOUT;
        }
    }

    /** The last answer's body as text. */
    String body() {
        return new String(buf, bodyStart, bodyLength, StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
