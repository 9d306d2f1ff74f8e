package dev.coffer.ledger;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Shared checks for ledger tests. */
public final class TestSupport {

    private TestSupport() {}

    /**
     * Conservation: per asset, posted balances sum to zero and pending debits equal pending credits.
     * The accounts are read in one request: separate reads are each durable and current, but a batch
     * (a hold expiring, say) may land between them, and a sum over two moments proves nothing.
     */
    public static void assertConserved(Ledger ledger, String... accountIds) {
        Map<String, BigInteger[]> sums = new HashMap<>();
        Map<String, AccountView> views = views(ledger, accountIds);
        for (String id : accountIds) {
            AccountView v = views.get(id);
            if (v == null) continue;
            BigInteger[] s = sums.computeIfAbsent(v.asset(), k -> new BigInteger[]{BigInteger.ZERO, BigInteger.ZERO});
            s[0] = s[0].add(v.balance());
            s[1] = s[1].add(v.creditsPending().toBigInteger()).subtract(v.debitsPending().toBigInteger());
            if ((v.flags() & AccountView.FLAG_ALLOW_NEGATIVE) == 0) {
                assertThat(v.available().signum()).as("available of %s", id).isGreaterThanOrEqualTo(0);
            }
        }
        sums.forEach((asset, s) -> {
            assertThat(s[0]).as("sum of posted balances of %s", asset).isZero();
            assertThat(s[1]).as("pending credits minus debits of %s", asset).isZero();
        });
    }

    /** The accounts as of one moment (one read request), in the order given; null for an id with no account. */
    public static Map<String, AccountView> views(Ledger ledger, String... accountIds) {
        java.util.List<AccountView> read = ledger.accounts(java.util.List.of(accountIds)).join();
        Map<String, AccountView> m = new LinkedHashMap<>();
        for (int i = 0; i < accountIds.length; i++) m.put(accountIds[i], read.get(i));
        return m;
    }

    public static void deleteTree(Path dir) throws IOException {
        TestStores.drop(dir);
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
