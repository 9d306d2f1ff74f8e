package dev.coffer.server.ops;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Structured logs: one JSON object per line on stderr, written by a background thread so that a
 * request never waits on the terminal or a pipe. The queue is bounded ({@link #QUEUE_LINES});
 * when it is full a line is dropped and counted ({@link #dropped()}), never blocking the caller.
 * Everything that logs through {@code java.util.logging} / {@code System.Logger} (the ledger,
 * Helidon) is routed here too. Callers pass fields, never secrets or request bodies.
 */
public final class JsonLog implements AutoCloseable {

    private static final JsonFactory JSON = new JsonFactory();

    public static final int QUEUE_LINES = 65_536;
    /**
     * How often the background writer wakes to write what was queued. It is never signalled per
     * line: a wake-up per request would cost more than the line.
     */
    public static final long DRAIN_INTERVAL_MILLIS = 5;
    private static final DateTimeFormatter SECOND = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);

    public enum Severity { DEBUG, INFO, WARN, ERROR }

    private final BlockingQueue<String> queue = new ArrayBlockingQueue<>(QUEUE_LINES);
    private final OutputStream out;
    private final Severity threshold;
    private final AtomicLong dropped = new AtomicLong();
    private final Thread writer;
    private volatile boolean closed;
    /** The formatted second of the latest line ("2026-11-24T18:06:26"), shared by every line in that second. */
    private volatile Second second = new Second(Long.MIN_VALUE, "");

    private record Second(long epochSecond, String text) {}

    /** Held, so that the level set on it stays (java.util.logging keeps loggers weakly). */
    private static final Logger KAFKA_CLIENTS = Logger.getLogger("org.apache.kafka");

    public JsonLog(OutputStream out, String level) {
        this.out = new BufferedOutputStream(out, 1 << 16);
        this.threshold = Severity.valueOf(level.toUpperCase(java.util.Locale.ROOT));
        this.writer = new Thread(this::drain, "coffer-log");
        writer.setDaemon(true);
        writer.start();
    }

    /** Sends java.util.logging (and System.Logger) records of every library to this log. */
    public void captureJul() {
        LogManager.getLogManager().reset();
        // The Kafka clients print every setting at INFO each time one is made: warnings only, unless debugging.
        if (threshold != Severity.DEBUG) KAFKA_CLIENTS.setLevel(Level.WARNING);
        Logger root = Logger.getLogger("");
        root.setLevel(switch (threshold) {
            case DEBUG -> Level.FINE;
            case INFO -> Level.INFO;
            case WARN -> Level.WARNING;
            case ERROR -> Level.SEVERE;
        });
        root.addHandler(new Handler() {
            @Override
            public void publish(LogRecord r) {
                Severity s = r.getLevel().intValue() >= Level.SEVERE.intValue() ? Severity.ERROR
                        : r.getLevel().intValue() >= Level.WARNING.intValue() ? Severity.WARN
                        : r.getLevel().intValue() >= Level.INFO.intValue() ? Severity.INFO : Severity.DEBUG;
                String msg = r.getMessage();
                if (r.getParameters() != null && msg != null) {
                    try {
                        msg = java.text.MessageFormat.format(msg, r.getParameters());
                    } catch (IllegalArgumentException ignored) {
                        // keep the raw message
                    }
                }
                Map<String, Object> fields = new java.util.LinkedHashMap<>();
                fields.put("logger", r.getLoggerName());
                if (r.getThrown() != null) fields.put("error", stack(r.getThrown()));
                log(s, msg, fields);
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        });
    }

    public boolean enabled(Severity s) {
        return s.ordinal() >= threshold.ordinal();
    }

    public long dropped() {
        return dropped.get();
    }

    public void info(String msg, Map<String, ?> fields) { log(Severity.INFO, msg, fields); }

    public void warn(String msg, Map<String, ?> fields) { log(Severity.WARN, msg, fields); }

    public void error(String msg, Map<String, ?> fields) { log(Severity.ERROR, msg, fields); }

    public void log(Severity s, String msg, Map<String, ?> fields) {
        if (!enabled(s) || closed) return;
        StringWriter line = new StringWriter(160);
        try (JsonGenerator g = JSON.createGenerator(line)) {
            g.writeStartObject();
            g.writeStringField("ts", timestamp(Instant.now()));
            g.writeStringField("level", s.name().toLowerCase(java.util.Locale.ROOT));
            g.writeStringField("msg", msg == null ? "" : msg);
            if (fields != null) {
                for (Map.Entry<String, ?> e : fields.entrySet()) {
                    Object v = e.getValue();
                    if (v == null) continue;
                    g.writeFieldName(e.getKey());
                    switch (v) {
                        case Integer i -> g.writeNumber(i);
                        case Long l -> g.writeNumber(l);
                        case Double d -> g.writeNumber(d);
                        case Number n -> g.writeNumber(n.toString());
                        case Boolean b -> g.writeBoolean(b);
                        default -> g.writeString(v.toString());
                    }
                }
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        line.append('\n');
        if (!queue.offer(line.toString())) dropped.incrementAndGet();
    }

    /** ISO-8601 UTC with nanoseconds, e.g. 2026-11-24T18:06:26.500877102Z. */
    private String timestamp(Instant now) {
        StringBuilder b = new StringBuilder(30);
        Second s = second;
        if (s.epochSecond() != now.getEpochSecond()) {
            s = new Second(now.getEpochSecond(), SECOND.format(now));
            second = s;
        }
        b.append(s.text()).append('.');
        int nanos = now.getNano();
        for (int div = 100_000_000; div > 0; div /= 10) b.append((char) ('0' + nanos / div % 10));
        b.append('Z');
        return b.toString();
    }

    private static String stack(Throwable t) {
        java.io.StringWriter w = new java.io.StringWriter();
        t.printStackTrace(new java.io.PrintWriter(w));
        return w.toString();
    }

    private void drain() {
        List<String> lines = new ArrayList<>(1024);
        try {
            while (true) {
                boolean last = closed;
                while (queue.drainTo(lines, 1024) > 0) {
                    for (String line : lines) out.write(line.getBytes(StandardCharsets.UTF_8));
                    lines.clear();
                }
                out.flush();
                if (last) return;
                Thread.sleep(DRAIN_INTERVAL_MILLIS);
            }
        } catch (InterruptedException | IOException e) {
            // stopping, or stderr is gone: nothing left to log to
        }
    }

    /** Writes what is queued and stops the writer. */
    @Override
    public void close() {
        closed = true;
        try {
            writer.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A log on stderr. */
    public static JsonLog stderr(String level) {
        return new JsonLog(new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), false), level);
    }
}
