package dev.coffer.kafka;

import dev.coffer.ledger.Command;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.TestSupport;
import dev.coffer.ledger.UInt128;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Four ledgers on four partitions of one topic: operations routed by account, transfers across
 * partitions through a hold on the source, a credit on the destination and the capture (or a void
 * when the receiver cannot take it), each step once; a transfer left half done is finished at open.
 */
class PartitionedLedgerTest {

    static final int P = 4;
    Path dir;
    KafkaSettings base;

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("coffer-partitions");
        base = KafkaSettings.of(KafkaTestStores.cluster(), "parts-" + UUID.randomUUID().toString().substring(0, 8), 0, dir);
        KafkaTopic.create(base, P);
    }

    @AfterEach
    void tearDown() throws Exception {
        KafkaTopic.delete(base);
        TestSupport.deleteTree(dir);
    }

    /** Two account ids on different partitions. */
    static String[] onTwoPartitions(PartitionedLedger l) {
        String a = "acct-0";
        for (int i = 1; ; i++) {
            String b = "acct-" + i;
            if (l.partitionOf(b) != l.partitionOf(a)) return new String[]{a, b};
        }
    }

    static BigInteger balance(PartitionedLedger l, String account) {
        return l.partition(l.partitionOf(account)).account(account).join().balance();
    }

    static BigInteger transit(PartitionedLedger l, int on, int to) {
        return l.partition(on).account(PartitionedLedger.transitAccount("USD", to)).join().balance();
    }

    @Test
    void transfersAcrossPartitionsMoveMoneyOnceAndRefusalsChangeNothing() throws Exception {
        try (PartitionedLedger l = PartitionedLedger.open(base, P, dir, UnaryOperator.identity())) {
            assertThat(l.createAsset(new Command.CreateAsset("usd", "USD", 2)).join().code()).isEqualTo(ResultCode.CREATED);
            String[] ab = onTwoPartitions(l);
            String a = ab[0], b = ab[1];
            int pa = l.partitionOf(a), pb = l.partitionOf(b);
            for (String x : ab) assertThat(l.submit(new Command.CreateAccount("open-" + x, x, "USD", "o", 0, Map.of())).join().code()).isEqualTo(ResultCode.CREATED);
            assertThat(l.submit(new Command.CreateAccount("sneaky", PartitionedLedger.transitAccount("USD", 9), "USD", "o", 0, Map.of())).join().code())
                    .isEqualTo(ResultCode.ID_INVALID);
            assertThat(l.submit(new Command.Deposit("fund", a, UInt128.of(1_000), Command.NO_NONCE)).join().code()).isEqualTo(ResultCode.CREATED);

            Result t = l.submit(new Command.Transfer("x1", a, b, UInt128.of(300), Command.NO_NONCE)).join();
            assertThat(t.code()).isEqualTo(ResultCode.CREATED);
            assertThat(balance(l, a)).isEqualTo(BigInteger.valueOf(700));
            assertThat(balance(l, b)).isEqualTo(BigInteger.valueOf(300));
            assertThat(transit(l, pa, pb)).isEqualTo(BigInteger.valueOf(300));

            Result again = l.submit(new Command.Transfer("x1", a, b, UInt128.of(300), Command.NO_NONCE)).join();
            assertThat(again.code()).as("a retry").isEqualTo(ResultCode.EXISTS);
            assertThat(again.seq()).isEqualTo(t.seq());
            assertThat(balance(l, b)).isEqualTo(BigInteger.valueOf(300));

            assertThat(l.submit(new Command.Transfer("x2", a, b, UInt128.of(5_000), Command.NO_NONCE)).join().code()).isEqualTo(ResultCode.INSUFFICIENT_FUNDS);
            String nobody = "nobody";
            while (l.partitionOf(nobody) == pa) nobody += "x";
            assertThat(l.submit(new Command.Transfer("x3", a, nobody, UInt128.of(10), Command.NO_NONCE)).join().code()).isEqualTo(ResultCode.ACCOUNT_NOT_FOUND);
            assertThat(balance(l, a)).as("the void gave it back").isEqualTo(BigInteger.valueOf(700));
            assertThat(l.partition(pa).account(a).join().debitsPending().toBigInteger()).isZero();
            assertThat(transit(l, pa, pb)).isEqualTo(BigInteger.valueOf(300));
        }
    }

    @Test
    void theDestinationDecidesOnceSoACreditNeverFollowsARefusal() throws Exception {
        try (PartitionedLedger l = PartitionedLedger.open(base, P, dir, UnaryOperator.identity())) {
            l.createAsset(new Command.CreateAsset("usd", "USD", 2)).join();
            String a = "acct-0";
            String late = "late";
            while (l.partitionOf(late) == l.partitionOf(a)) late += "x";
            int pa = l.partitionOf(a), pl = l.partitionOf(late);
            l.submit(new Command.CreateAccount("open-a", a, "USD", "o", 0, Map.of())).join();
            l.submit(new Command.Deposit("fund", a, UInt128.of(1_000), Command.NO_NONCE)).join();

            assertThat(l.submit(new Command.Transfer("early", a, late, UInt128.of(70), Command.NO_NONCE)).join().code()).isEqualTo(ResultCode.ACCOUNT_NOT_FOUND);
            // The receiver appears afterwards: a retry of the refused transfer must not credit it now.
            l.submit(new Command.CreateAccount("open-late", late, "USD", "o", 0, Map.of())).join();
            assertThat(l.submit(new Command.Transfer("early", a, late, UInt128.of(70), Command.NO_NONCE)).join().code())
                    .as("the refusal the destination recorded").isEqualTo(ResultCode.ACCOUNT_NOT_FOUND);
            assertThat(balance(l, late)).isZero();
            assertThat(balance(l, a)).isEqualTo(BigInteger.valueOf(1_000));
            assertThat(transit(l, pa, pl)).isZero();
            assertThat(l.partition(pl).operation("early~c").join()).isInstanceOf(Command.Note.class);

            // A frozen receiver refuses the credit; the hold is voided and nothing moved.
            l.submit(new Command.SetAccountStatus("freeze", late, dev.coffer.ledger.AccountStatus.FROZEN)).join();
            assertThat(l.submit(new Command.Transfer("cold", a, late, UInt128.of(5), Command.NO_NONCE)).join().code()).isEqualTo(ResultCode.ACCOUNT_FROZEN);
            assertThat(l.partition(pa).account(a).join().debitsPending().toBigInteger()).isZero();
        }
    }

    @Test
    void stepIdsAndTransitAccountsAreNotForCallers() throws Exception {
        try (PartitionedLedger l = PartitionedLedger.open(base, P, dir, UnaryOperator.identity())) {
            l.createAsset(new Command.CreateAsset("usd", "USD", 2)).join();
            l.submit(new Command.CreateAccount("open-a", "acct-0", "USD", "o", 0, Map.of())).join();
            // A deposit under a step's id would otherwise pass for a transfer's credit.
            assertThat(l.submit(new Command.Deposit("x~c", "acct-0", UInt128.of(1), Command.NO_NONCE)).join().code()).isEqualTo(ResultCode.ID_INVALID);
            assertThat(l.submit(new Command.Transfer("t~h", "acct-0", "acct-1", UInt128.of(1), Command.NO_NONCE)).join().code()).isEqualTo(ResultCode.ID_INVALID);
            assertThat(l.submit(new Command.Transfer("t".repeat(63), "acct-0", onTwoPartitions(l)[1], UInt128.of(1), Command.NO_NONCE)).join().code())
                    .isEqualTo(ResultCode.ID_TOO_LONG);
            assertThat(balance(l, "acct-0")).isZero();
        }
    }

    @Test
    void aTransferLeftHalfDoneIsFinishedOnceAtOpen() throws Exception {
        String a, b;
        int pa, pb;
        try (PartitionedLedger l = PartitionedLedger.open(base, P, dir, UnaryOperator.identity())) {
            l.createAsset(new Command.CreateAsset("usd", "USD", 2)).join();
            String[] ab = onTwoPartitions(l);
            a = ab[0];
            b = ab[1];
            pa = l.partitionOf(a);
            pb = l.partitionOf(b);
            for (String x : ab) l.submit(new Command.CreateAccount("open-" + x, x, "USD", "o", 0, Map.of())).join();
            l.submit(new Command.Deposit("fund", a, UInt128.of(1_000), Command.NO_NONCE)).join();
            // Step 1 only, as a process killed right after it leaves it.
            PartitionedLedger.Intent i = new PartitionedLedger.Intent("half", pa, a, pb, b, "USD", UInt128.of(40));
            List<Result> rs = l.partition(pa).submitLinked(List.of(new Command.Note("half~n", PartitionedLedger.INTENT_TOPIC, i.body()),
                    new Command.Hold("half~h", a, PartitionedLedger.transitAccount("USD", pb), UInt128.of(40), 0, Command.NO_NONCE))).join();
            assertThat(rs).allSatisfy(r -> assertThat(r.code()).isEqualTo(ResultCode.CREATED));
            assertThat(balance(l, b)).isZero();
        }
        try (PartitionedLedger l = PartitionedLedger.open(base, P, dir, UnaryOperator.identity())) {
            assertThat(l.resumedTransfers()).isEqualTo(1);
            assertThat(balance(l, b)).isEqualTo(BigInteger.valueOf(40));
            assertThat(balance(l, a)).isEqualTo(BigInteger.valueOf(960));
            assertThat(transit(l, pa, pb)).isEqualTo(BigInteger.valueOf(40));
            assertThat(l.submit(new Command.Transfer("half", a, b, UInt128.of(40), Command.NO_NONCE)).join().code()).isEqualTo(ResultCode.EXISTS);
        }
        try (PartitionedLedger l = PartitionedLedger.open(base, P, dir, UnaryOperator.identity())) {
            assertThat(l.resumedTransfers()).as("finished ones stay finished").isZero();
            assertThat(balance(l, b)).isEqualTo(BigInteger.valueOf(40));
        }
    }
}
