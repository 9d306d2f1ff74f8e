package dev.coffer.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ./coffer} command line. All wiring starts here. */
@Command(name = "coffer", mixinStandardHelpOptions = true, version = "coffer 0.1.0",
        description = "Coffer: a wallet ledger with exactly-once transfers and a verifiable log.",
        subcommands = {ServeCommand.class, KeysCommand.class, TokensCommand.class, BackupCommand.class, RestoreCommand.class, VerifyCommand.class, BenchCommand.class, StartupTrainingCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** The Kafka clients print every setting at INFO each time one is made; the commands keep their warnings only. */
    private static final java.util.logging.Logger KAFKA_CLIENTS = java.util.logging.Logger.getLogger("org.apache.kafka");

    public static void main(String[] args) {
        KAFKA_CLIENTS.setLevel(java.util.logging.Level.WARNING);
        CommandLine cli = new CommandLine(new Main());
        // Refusals the operator can act on (bad flag values, a second writer, an unreachable or
        // damaged store) print one line, not a stack trace.
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof IllegalArgumentException || e instanceof IllegalStateException || e instanceof java.io.IOException) {
                commandLine.getErr().println("coffer: " + e.getMessage());
                return 1;
            }
            throw e;
        });
        System.exit(cli.execute(args));
    }
}
