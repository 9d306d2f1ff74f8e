package dev.coffer.ledger;

import dev.coffer.ledger.Command.CreateAccount;
import dev.coffer.ledger.Command.CreateAsset;
import dev.coffer.ledger.Command.Deposit;
import dev.coffer.ledger.Command.Transfer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Balance reads answered without the writer, from the account table once the batch that changed the account is durable:
 * they see every acknowledged write, never an account a rolled-back linked group created, and
 * stop once the ledger is closed.
 */
class DurableViewTest {

    Path dir;
    Ledger ledger;

    @BeforeEach
    void open() throws IOException {
        dir = Files.createTempDirectory("coffer-views");
        ledger = Ledger.open(TestStores.configure(LedgerConfig.defaults(dir)));
        assertThat(ledger.submit(new CreateAsset("usd", "USD", 2)).join().code()).isEqualTo(ResultCode.CREATED);
    }

    @AfterEach
    void close() throws IOException {
        ledger.close();
        TestStores.drop(dir);
        TestSupport.deleteTree(dir);
    }

    @Test
    void aReadAfterAnAcknowledgedWriteSeesItWhileOtherThreadsWrite() throws Exception {
        int threads = 4, deposits = 400;
        for (int t = 0; t < threads; t++) {
            assertThat(ledger.submit(new CreateAccount("open-" + t, "acct-" + t, "USD", "o", 0, Map.of())).join().code()).isEqualTo(ResultCode.CREATED);
        }
        List<Thread> workers = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < threads; t++) {
            String account = "acct-" + t;
            int me = t;
            workers.add(Thread.ofPlatform().start(() -> {
                try {
                    long sum = 0;
                    for (int i = 1; i <= deposits; i++) {
                        Result r = ledger.submit(new Deposit("d-" + me + "-" + i, account, UInt128.of(i), Command.NO_NONCE)).join();
                        assertThat(r.code()).isEqualTo(ResultCode.CREATED);
                        sum += i;
                        // Only this thread writes this account: the read must show exactly what was acknowledged.
                        java.util.concurrent.CompletableFuture<AccountView> read = ledger.account(account);
                        assertThat(read).as("answered from the published view, not through the writer's queue").isDone();
                        AccountView v = read.join();
                        assertThat(v.creditsPosted()).as("%s after deposit %d", account, i).isEqualTo(UInt128.of(sum));
                        assertThat(v.balance().longValueExact()).isEqualTo(sum);
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        for (Thread w : workers) w.join();
        assertThat(failures).isEmpty();
        TestSupport.assertConserved(ledger, "acct-0", "acct-1", "acct-2", "acct-3", "$operator:USD");
    }

    @Test
    void anAccountWhoseLinkedCreationRolledBackIsNotReadable() {
        assertThat(ledger.submit(new CreateAccount("open-a", "a", "USD", "o", 0, Map.of())).join().code()).isEqualTo(ResultCode.CREATED);
        List<Result> r = ledger.submitLinked(List.of(
                new CreateAccount("open-ghost", "ghost", "USD", "o", 0, Map.of()),
                new Transfer("t-1", "a", "ghost", UInt128.of(5), Command.NO_NONCE))).join(); // insufficient funds
        assertThat(r.get(1).code()).isEqualTo(ResultCode.INSUFFICIENT_FUNDS);
        assertThat(ledger.account("ghost").join()).isNull();
        assertThat(ledger.account("a").join().balance().signum()).isZero();
    }

    @Test
    void aClosedLedgerAnswersNoReads() throws IOException {
        assertThat(ledger.submit(new CreateAccount("open-a", "a", "USD", "o", 0, Map.of())).join().code()).isEqualTo(ResultCode.CREATED);
        assertThat(ledger.account("a").join()).isNotNull();
        ledger.close();
        assertThatThrownBy(() -> ledger.account("a").join()).isInstanceOf(CompletionException.class)
                .hasCauseInstanceOf(LedgerUnavailableException.class);
    }
}
