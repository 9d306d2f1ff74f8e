package dev.coffer.kafka;

import dev.coffer.ledger.Command;
import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.LedgerConfig;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.UInt128;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;

/**
 * The writer that {@link ZombieWriterTest} pauses: {@code ZombieWriter BOOTSTRAP TOPIC DIR}. Sets up
 * two accounts, prints {@code READY}, then transfers in small batches and prints {@code ACK id seq}
 * for each success, until a write fails: then {@code FAILED} and it exits.
 */
public final class ZombieWriter {

    private ZombieWriter() {}

    public static void main(String[] args) throws Exception {
        KafkaSettings s = KafkaSettings.of(args[0], args[1], 0, Path.of(args[2]));
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true);
        try (Ledger ledger = Ledger.open(LedgerConfig.defaults(Path.of(args[2])).withStore(KafkaLogStore.opener(s)))) {
            List<Command> setup = List.of(new Command.CreateAsset("asset", "USD", 2),
                    new Command.CreateAccount("open-x", "x", "USD", "o", 0, Map.of()),
                    new Command.CreateAccount("open-y", "y", "USD", "o", 0, Map.of()),
                    new Command.Deposit("fund", "x", UInt128.of(100_000_000), Command.NO_NONCE));
            for (Result r : ledger.submitAll(setup).join()) if (!r.succeeded()) throw new IllegalStateException(r.toString());
            out.println("READY");
            for (int n = 0; ; n++) {
                List<Command> batch = new ArrayList<>();
                for (int i = 0; i < 5; i++) batch.add(new Command.Transfer("A-" + n + "-" + i, "x", "y", UInt128.ONE, Command.NO_NONCE));
                try {
                    List<Result> results = ledger.submitAll(batch).join();
                    for (int i = 0; i < results.size(); i++) {
                        if (results.get(i).code() == ResultCode.CREATED) out.println("ACK " + batch.get(i).id() + " " + results.get(i).seq());
                    }
                } catch (CompletionException e) {
                    out.println("FAILED " + e.getCause());
                    return;
                }
            }
        }
    }
}
