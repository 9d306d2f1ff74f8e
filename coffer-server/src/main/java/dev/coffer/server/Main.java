package dev.coffer.server;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ./coffer} command line. All wiring starts here. */
@Command(name = "coffer", mixinStandardHelpOptions = true, version = "coffer 0.1.0",
        description = "Coffer: a wallet ledger with exactly-once transfers and a verifiable log.",
        subcommands = {ServeCommand.class, BenchCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }
}
