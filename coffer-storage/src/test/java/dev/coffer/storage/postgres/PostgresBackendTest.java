package dev.coffer.storage.postgres;

import dev.coffer.ledger.Command;
import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.LedgerConfig;
import dev.coffer.ledger.LedgerUnavailableException;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.UInt128;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What only the PostgreSQL backend has: the single-writer lock and surviving a lost connection. */
class PostgresBackendTest {

    private PostgresDatabase db;
    private Path dir;

    @BeforeEach
    void open() throws Exception {
        db = PostgresTestStores.database(PostgresTestStores.freshSchema("pgb"));
        dir = Files.createTempDirectory("coffer-pg");
    }

    @AfterEach
    void drop() throws Exception {
        PostgresTestStores.dropDatabase(db);
        Files.deleteIfExists(dir);
    }

    private LedgerConfig config() {
        return LedgerConfig.defaults(dir).withStore(PostgresLogStore.opener(db));
    }

    /** The same log through a second pool whose open waits {@code lockWaitMillis} for the writer's lock. */
    private PostgresDatabase secondPool(int lockWaitMillis) {
        return PostgresDatabase.open(new PostgresDatabase.Settings(PostgresTestStores.url(), db.settings().schema(), 2, lockWaitMillis));
    }

    @Test
    void aSecondWriterOnTheSameLogIsRefusedAfterItsLockWait() throws Exception {
        try (Ledger first = Ledger.open(config()); PostgresDatabase other = secondPool(300)) {
            first.submit(new Command.CreateAsset("a", "USD", 2)).join();
            long started = System.nanoTime();
            assertThatThrownBy(() -> Ledger.open(LedgerConfig.defaults(dir).withStore(PostgresLogStore.opener(other))))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("another Coffer writer holds the log")
                    .hasMessageContaining("waited 300 ms")
                    .hasMessageContaining(db.settings().schema());
            assertThat((System.nanoTime() - started) / 1_000_000).as("it waited its lock wait first").isGreaterThanOrEqualTo(300);
            // The first writer is unaffected.
            assertThat(first.submit(new Command.CreateAccount("b", "alice", "USD", "u", 0, Map.of())).join().code()).isEqualTo(ResultCode.CREATED);
        }
        // Once it is closed, the lock is free again.
        try (Ledger again = Ledger.open(config())) {
            assertThat(again.recovery().lastSeq()).isEqualTo(2);
        }
    }

    @Test
    void aStartWaitsForALockThatIsReleasedWithinItsWait() throws Exception {
        Ledger first = Ledger.open(config());
        first.submit(new Command.CreateAsset("a", "USD", 2)).join();
        // The holder goes away while the second writer is waiting (as a killed writer's session
        // ends once PostgreSQL notices): the second one then takes the log and sees its events.
        // The holder closes only once PostgreSQL shows the second writer asking for the lock.
        AtomicBoolean sawWaiter = new AtomicBoolean();
        Thread closer = Thread.ofVirtual().start(() -> {
            try {
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (!waitingWriterSeen() && System.nanoTime() < deadline) Thread.sleep(20); // polls a condition
                sawWaiter.set(waitingWriterSeen());
            } catch (Exception e) {
                return;
            } finally {
                first.close();
            }
        });
        try (PostgresDatabase other = secondPool(10_000);
             Ledger second = Ledger.open(LedgerConfig.defaults(dir).withStore(PostgresLogStore.opener(other)))) {
            assertThat(second.recovery().lastSeq()).isEqualTo(1);
            assertThat(second.submit(new Command.CreateAccount("b", "alice", "USD", "u", 0, Map.of())).join().code()).isEqualTo(ResultCode.CREATED);
        }
        closer.join();
        assertThat(sawWaiter).as("the second writer was seen waiting for the lock before the first let go").isTrue();
    }

    @Test
    void lostConnectionStopsWritesRetryablyThenRecoversFromTheDatabase() throws Exception {
        try (Ledger ledger = Ledger.open(config())) {
            List<Command> setup = new ArrayList<>(List.of(
                    new Command.CreateAsset("a", "USD", 2),
                    new Command.CreateAccount("o1", "alice", "USD", "u1", 0, Map.of()),
                    new Command.CreateAccount("o2", "bob", "USD", "u2", 0, Map.of()),
                    new Command.Deposit("d1", "alice", UInt128.of(1000), Command.NO_NONCE)));
            for (Result r : ledger.submitAll(setup).join()) assertThat(r.code()).isEqualTo(ResultCode.CREATED);

            terminateWriter();
            // The next write hits the dead connection: a retryable failure, and nothing stays applied in memory.
            assertThatThrownBy(() -> ledger.submit(new Command.Transfer("t1", "alice", "bob", UInt128.of(10), Command.NO_NONCE)).join())
                    .isInstanceOf(CompletionException.class).hasCauseInstanceOf(LedgerUnavailableException.class);

            // The ledger reopens the store by itself; retry with the same id until it is taken.
            Result retried = null;
            long deadline = System.currentTimeMillis() + 20_000;
            while (retried == null && System.currentTimeMillis() < deadline) {
                try {
                    retried = ledger.submit(new Command.Transfer("t1", "alice", "bob", UInt128.of(10), Command.NO_NONCE)).join();
                } catch (CompletionException e) {
                    assertThat(e.getCause()).isInstanceOf(LedgerUnavailableException.class);
                    Thread.sleep(50);
                }
            }
            assertThat(retried).as("writes resumed after the connection came back").isNotNull();
            assertThat(retried.code()).isEqualTo(ResultCode.CREATED);
            assertThat(ledger.reopens()).isEqualTo(1);
            assertThat(ledger.account("alice").join().balance()).isEqualTo(BigInteger.valueOf(990));
            assertThat(ledger.account("bob").join().balance()).isEqualTo(BigInteger.valueOf(10));
            assertThat(ledger.submit(new Command.Transfer("t1", "alice", "bob", UInt128.of(10), Command.NO_NONCE)).join().code()).isEqualTo(ResultCode.EXISTS);
        }
        try (Ledger reopened = Ledger.open(config())) {
            assertThat(reopened.account("alice").join().balance()).isEqualTo(BigInteger.valueOf(990));
            assertThat(reopened.recovery().lastSeq()).isEqualTo(5);
        }
    }

    /** Kills the writer's backend from another session, as a network cut or a server restart would. */
    /** A writer session of this log that asked for the lock and does not hold it: a start waiting in its lock wait. */
    private boolean waitingWriterSeen() throws Exception {
        try (Connection c = DriverManager.getConnection(PostgresTestStores.url()); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'coffer-writer'"
                     + " AND query LIKE 'SELECT pg_try_advisory_lock%' AND pid NOT IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory'"
                     + " AND granted AND objid = " + (db.lockKey() & 0xFFFFFFFFL) + ")")) {
            rs.next();
            return rs.getInt(1) > 0;
        }
    }

    private void terminateWriter() throws Exception {
        try (Connection c = DriverManager.getConnection(PostgresTestStores.url()); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'coffer-writer'"
                     + " AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = " + (db.lockKey() & 0xFFFFFFFFL) + ")")) {
            rs.next();
            assertThat(rs.getInt(1)).as("writer sessions terminated").isEqualTo(1);
        }
    }
}
