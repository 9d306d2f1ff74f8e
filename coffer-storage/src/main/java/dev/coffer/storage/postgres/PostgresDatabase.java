package dev.coffer.storage.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Objects;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * One PostgreSQL database (and schema) that holds a Coffer log: the connection settings, the
 * migrations (Flyway, {@code db/postgres}) and a HikariCP pool for everything but the writer,
 * which has a connection of its own (it holds the advisory lock for as long as it lives).
 */
public final class PostgresDatabase implements AutoCloseable {

    /** Connection pool size when none is configured: the follower, snapshots and queries. */
    public static final int DEFAULT_POOL_SIZE = 8;
    /** Schema used when none is configured. */
    public static final String DEFAULT_SCHEMA = "coffer";
    private static final Pattern SCHEMA = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    /**
     * @param url      a JDBC URL, {@code jdbc:postgresql://host:port/db?user=…&password=…}
     * @param schema   the schema holding this log (lower-case identifier), created if missing
     * @param poolSize connections in the pool
     * @param lockWaitMillis how long opening the log waits for the writer's lock when another
     *                 session holds it: a writer killed a moment ago holds it until PostgreSQL
     *                 notices its connection is gone (0: refuse at once)
     */
    public record Settings(String url, String schema, int poolSize, int lockWaitMillis) {
        /** Default of {@code lockWaitMillis}: long enough for PostgreSQL to end a dead writer's session. */
        public static final int DEFAULT_LOCK_WAIT_MILLIS = 10_000;
        /** Longest {@code lockWaitMillis} accepted. */
        public static final int MAX_LOCK_WAIT_MILLIS = 600_000;

        public Settings(String url, String schema, int poolSize) {
            this(url, schema, poolSize, DEFAULT_LOCK_WAIT_MILLIS);
        }

        public Settings {
            Objects.requireNonNull(url, "url");
            if (!url.startsWith("jdbc:postgresql:")) throw new IllegalArgumentException("not a PostgreSQL JDBC URL: " + redact(url));
            if (schema == null || !SCHEMA.matcher(schema).matches() || schema.startsWith("pg_")) {
                throw new IllegalArgumentException("schema must match " + SCHEMA + " and not start with pg_ (reserved): " + schema);
            }
            if (poolSize < 2 || poolSize > 200) throw new IllegalArgumentException("poolSize must be 2..200");
            if (lockWaitMillis < 0 || lockWaitMillis > MAX_LOCK_WAIT_MILLIS) {
                throw new IllegalArgumentException("lockWaitMillis must be 0.." + MAX_LOCK_WAIT_MILLIS);
            }
        }
    }

    private final Settings settings;
    private final HikariDataSource pool;

    private PostgresDatabase(Settings settings, HikariDataSource pool) {
        this.settings = settings;
        this.pool = pool;
    }

    /** Connects, creates the schema if needed and runs the migrations. */
    public static PostgresDatabase open(Settings settings) {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(settings.url());
        hc.setPoolName("coffer-pg");
        hc.setMaximumPoolSize(settings.poolSize());
        hc.setMinimumIdle(1);
        hc.setConnectionTimeout(5_000);
        hc.setInitializationFailTimeout(10_000);
        hc.setConnectionInitSql("SET search_path TO " + settings.schema());
        // The query index follower writes with JDBC batches: let the driver send them as multi-row INSERTs.
        hc.addDataSourceProperty("reWriteBatchedInserts", "true");
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(hc);
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot connect to PostgreSQL at " + redact(settings.url()) + ": " + rootMessage(e), e);
        }
        try {
            Flyway.configure()
                    .dataSource(pool)
                    .schemas(settings.schema())
                    .defaultSchema(settings.schema())
                    .createSchemas(true)
                    .locations("classpath:db/postgres")
                    .table("coffer_schema_history")
                    .load()
                    .migrate();
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
        return new PostgresDatabase(settings, pool);
    }

    public Settings settings() { return settings; }

    /** The pool: for the follower, snapshots and queries. */
    public DataSource pool() { return pool; }

    /** A new connection outside the pool, with the schema on its search path (the writer's). */
    Connection dedicatedConnection() throws SQLException {
        Properties props = new Properties();
        props.setProperty("tcpKeepAlive", "true");
        props.setProperty("ApplicationName", "coffer-writer");
        Connection c = DriverManager.getConnection(settings.url(), props);
        try (Statement st = c.createStatement()) {
            st.execute("SET search_path TO " + settings.schema());
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** The advisory-lock key of this log: one writer per schema. */
    long lockKey() {
        long h = 1125899906842597L;
        for (char ch : ("coffer-log:" + settings.schema()).toCharArray()) h = 31 * h + ch;
        return h;
    }

    /** The URL without a password, for messages. */
    public static String redact(String url) {
        return url.replaceAll("(?i)(password=)[^&]*", "$1***");
    }

    static String rootMessage(Throwable t) {
        while (t.getCause() != null) t = t.getCause();
        return t.getMessage();
    }

    @Override
    public void close() {
        pool.close();
    }
}
