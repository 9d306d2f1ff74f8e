package dev.coffer.bench;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class HttpWorkloadsTest {

    private static final Pattern ACCOUNT = Pattern.compile("\"(?:from|account_id)\":\"(acct-\\d+)\"");
    private static final Pattern NONCE = Pattern.compile("\"nonce\":(\\d+)");

    @Test
    void writeMixSendsEachOwnedAccountsNoncesInOrderAndARefusedWriteKeepsItsNonce() {
        HttpWorkloads.Workload w = HttpWorkloads.named("write-mix", 100, 0);
        Map<String, Long> last = new HashMap<>();
        Set<String> kinds = new HashSet<>();
        HttpWorkloads.Stream s = w.stream(new HttpWorkloads.Format("cfk_test"), 3, 8, 7);
        int refused = 0;
        for (int i = 0; i < 5000; i++) {
            HttpWorkloads.Request r = s.next();
            kinds.add(r.kind());
            String text = new String(r.bytes(), StandardCharsets.UTF_8);
            Matcher a = ACCOUNT.matcher(text), n = NONCE.matcher(text);
            if (!r.kind().equals("balance")) {
                assertThat(a.find()).isTrue();
                assertThat(n.find()).isTrue();
                int account = Integer.parseInt(a.group(1).substring(5));
                assertThat(account % 8).as("only accounts this connection owns").isEqualTo(3);
                long nonce = Long.parseLong(n.group(1));
                assertThat(nonce).isEqualTo(last.getOrDefault(a.group(1), 0L) + 1);
                boolean refuse = i % 10 == 0;
                if (refuse) refused++;
                else last.put(a.group(1), nonce);
                s.answered(r, refuse ? 422 : 201);
            } else {
                s.answered(r, 200);
            }
        }
        assertThat(kinds).containsExactlyInAnyOrder("balance", "transfer", "deposit", "withdrawal");
        assertThat(refused).isPositive();
    }

    @Test
    void replayRepeatsAnEarlierAcceptedWriteByteForByte() {
        HttpWorkloads.Stream s = HttpWorkloads.named("replay", 100, 0).stream(new HttpWorkloads.Format("cfk_test"), 0, 4, 1);
        Set<String> accepted = new HashSet<>();
        int replays = 0;
        for (int i = 0; i < 20_000; i++) {
            HttpWorkloads.Request r = s.next();
            String text = new String(r.bytes(), StandardCharsets.UTF_8);
            if (r.kind().equals("replay")) {
                replays++;
                assertThat(accepted).contains(text);
            } else if (!r.kind().equals("balance")) {
                accepted.add(text);
            }
            s.answered(r, r.kind().equals("balance") || r.kind().equals("replay") ? 200 : 201);
        }
        assertThat(replays).isBetween(100, 300);
    }
}
