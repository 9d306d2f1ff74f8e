package dev.coffer.cli;

import dev.coffer.server.auth.CapabilityTokens;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code ./coffer tokens mint|attenuate|inspect|revoke}: capability tokens (docs/SECURITY.md).
 * Minting and revoking use the data directory's root key and revocation list (safe while the
 * server runs: it re-reads them within a second); attenuating and inspecting need nothing but the
 * token — whoever holds one can narrow it before handing it on.
 */
@Command(name = "tokens", mixinStandardHelpOptions = true, description = "Mint, attenuate, inspect and revoke capability tokens.",
        subcommands = {TokensCommand.Mint.class, TokensCommand.Attenuate.class, TokensCommand.Inspect.class, TokensCommand.Revoke.class})
final class TokensCommand implements Runnable {

    @Override
    public void run() {
        System.out.println("usage: coffer tokens mint|attenuate|inspect|revoke   (see coffer tokens <command> --help)");
    }

    /** Caveat options shared by mint and attenuate; each becomes one caveat line. */
    static final class CaveatOptions {
        @Option(names = "--scope", description = "read, write, admin or x402 (mint: required).")
        String scope;
        @Option(names = "--account", description = "Only this account, or accounts starting with PREFIX when it ends in '*' (repeat: each must hold).")
        List<String> accounts = new ArrayList<>();
        @Option(names = "--op", description = "Only these writes, comma-separated: deposit, withdrawal, transfer, hold, capture, void, reversal, create_account, set_account_status, create_asset.")
        String ops;
        @Option(names = "--max-amount", description = "At most this many minor units per operation.")
        String maxAmount;
        @Option(names = "--tenant", description = "Only these tenants' event streams and schemas, comma-separated.")
        String tenants;
        @Option(names = "--expires", description = "Refused from then on: an ISO-8601 instant, or a duration from now such as 1h, 30m, 7d.")
        String expires;
        @Option(names = "--caveat", description = "A caveat line as is, 'name = value' (repeat).")
        List<String> raw = new ArrayList<>();

        List<String> lines() {
            List<String> out = new ArrayList<>();
            if (scope != null) out.add("scope = " + scope);
            for (String a : accounts) out.add("account = " + a);
            if (ops != null) out.add("op = " + ops);
            if (maxAmount != null) out.add("max_amount = " + maxAmount);
            if (tenants != null) out.add("tenant = " + tenants);
            if (expires != null) out.add("expires = " + instant(expires));
            out.addAll(raw);
            return out;
        }

        static String instant(String s) {
            if (s.matches("\\d+[smhd]")) {
                long n = Long.parseLong(s.substring(0, s.length() - 1));
                Duration d = switch (s.charAt(s.length() - 1)) {
                    case 's' -> Duration.ofSeconds(n);
                    case 'm' -> Duration.ofMinutes(n);
                    case 'h' -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                };
                return Instant.now().plus(d).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
            }
            return Instant.parse(s).toString();
        }
    }

    @Command(name = "mint", mixinStandardHelpOptions = true, description = "Mint a token with the data directory's root key; prints its id and the token.")
    static final class Mint implements Callable<Integer> {
        @Mixin
        CaveatOptions caveats;
        @Mixin
        KeysCommand.Dir dir;

        @Override
        public Integer call() throws Exception {
            CapabilityTokens.Minted m = CapabilityTokens.open(dir.dataDir, null).mint(caveats.lines());
            System.out.println("minted token " + m.id() + " (" + String.join("; ", caveats.lines()) + "). The token:");
            System.out.println(m.token());
            return 0;
        }
    }

    @Command(name = "attenuate", mixinStandardHelpOptions = true, description = "Add caveats to a token (no key needed); prints the narrower token.")
    static final class Attenuate implements Callable<Integer> {
        @Parameters(index = "0", description = "The token (cft_…).")
        String token;
        @Mixin
        CaveatOptions caveats;

        @Override
        public Integer call() {
            if (caveats.lines().isEmpty()) {
                System.err.println("give at least one caveat to add");
                return 2;
            }
            System.out.println(CapabilityTokens.attenuate(token, caveats.lines()));
            return 0;
        }
    }

    @Command(name = "inspect", mixinStandardHelpOptions = true, description = "Print a token's id and caveats (its signature is not checked: only the server can).")
    static final class Inspect implements Callable<Integer> {
        @Parameters(index = "0", description = "The token (cft_…).")
        String token;

        @Override
        public Integer call() {
            CapabilityTokens.Inspected i = CapabilityTokens.inspect(token);
            System.out.println("id " + i.id());
            for (String c : i.caveats()) System.out.println("caveat " + c);
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a token id, and every token attenuated from it.")
    static final class Revoke implements Callable<Integer> {
        @Parameters(index = "0", description = "The token's id (32 hex digits; 'inspect' prints it).")
        String id;
        @Mixin
        KeysCommand.Dir dir;

        @Override
        public Integer call() throws Exception {
            boolean first = CapabilityTokens.open(dir.dataDir, null).revoke(id);
            System.out.println(first ? "revoked token " + id : "token " + id + " was revoked already");
            return 0;
        }
    }
}
