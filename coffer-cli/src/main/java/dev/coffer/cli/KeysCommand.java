package dev.coffer.cli;

import dev.coffer.server.auth.ApiKey;
import dev.coffer.server.auth.ApiKeys;
import dev.coffer.server.auth.Scope;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code ./coffer keys create|list|revoke}: manages API keys in a data directory's key file. Safe
 * while the server runs: it picks up changes within a second. {@code rotate-data-key TENANT}
 * asks a running server (admin key) to rotate a tenant's data key for events encrypted at rest.
 */
@Command(name = "keys", mixinStandardHelpOptions = true, description = "Create, list and revoke API keys; rotate a tenant's data key.",
        subcommands = {KeysCommand.Create.class, KeysCommand.ListKeys.class, KeysCommand.Revoke.class, KeysCommand.RotateDataKey.class})
final class KeysCommand implements Runnable {

    @Override
    public void run() {
        System.out.println("usage: coffer keys create|list|revoke|rotate-data-key   (see coffer keys <command> --help)");
    }

    static final class Dir {
        @Option(names = "--data-dir", defaultValue = "data", description = "Data directory (default: ${DEFAULT-VALUE}).")
        Path dataDir;
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a key; prints its token once.")
    static final class Create implements Callable<Integer> {
        @Option(names = "--name", required = true, description = "A name for people (who or what uses the key).")
        String name;
        @Option(names = "--scope", required = true, description = "read, write (includes read), admin (includes everything) or x402 (the facilitator's verify and settle only).")
        String scope;
        @Option(names = "--tenant", description = "Limit the key to this tenant's event streams and schemas (repeat for several).")
        java.util.List<String> tenants = new java.util.ArrayList<>();
        @picocli.CommandLine.Mixin
        Dir dir;

        @Override
        public Integer call() throws Exception {
            ApiKeys.Created c = ApiKeys.open(dir.dataDir).create(name, Scope.parse(scope), new java.util.TreeSet<>(tenants));
            System.out.println("created key " + c.key().id() + " (" + c.key().scope().wireName()
                    + (tenants.isEmpty() ? "" : ", tenants " + String.join(",", new java.util.TreeSet<>(tenants))) + "). Its token, shown only this once:");
            System.out.println(c.token());
            return 0;
        }
    }

    @Command(name = "rotate-data-key", mixinStandardHelpOptions = true,
            description = "Rotate a tenant's data key on a running server: new events are encrypted under a new key; older ones stay readable.")
    static final class RotateDataKey implements Callable<Integer> {
        @Parameters(index = "0", description = "The tenant.")
        String tenant;
        @Option(names = "--url", defaultValue = "http://127.0.0.1:8480", description = "The server (default: ${DEFAULT-VALUE}).")
        String url;
        @Option(names = "--key", description = "An admin API key (default: the variable COFFER_ADMIN_KEY).")
        String key;

        @Override
        public Integer call() throws Exception {
            String token = key != null ? key : System.getenv("COFFER_ADMIN_KEY");
            if (token == null || token.isBlank()) {
                System.err.println("give an admin key: --key or COFFER_ADMIN_KEY");
                return 2;
            }
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            java.net.http.HttpResponse<String> r = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "/v1/admin/tenants/" + tenant + "/data-keys"))
                    .header("Authorization", "Bearer " + token).POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 201) {
                System.err.println("rotation refused: HTTP " + r.statusCode() + " " + r.body());
                return 1;
            }
            String current = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body()).path("current_data_key").asText();
            System.out.println("tenant " + tenant + ": new events are encrypted under data key " + current);
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List keys (never their secrets).")
    static final class ListKeys implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        Dir dir;

        @Override
        public Integer call() throws Exception {
            System.out.printf("%-12s  %-6s  %-8s  %-27s  %-20s  %s%n", "ID", "SCOPE", "STATE", "CREATED", "TENANTS", "NAME");
            for (ApiKey k : ApiKeys.open(dir.dataDir).list()) {
                System.out.printf("%-12s  %-6s  %-8s  %-27s  %-20s  %s%n", k.id(), k.scope().wireName(), k.active() ? "active" : "revoked", k.createdAt(),
                        k.tenantLimited() ? String.join(",", new java.util.TreeSet<>(k.tenants())) : "*", k.name());
            }
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a key by id.")
    static final class Revoke implements Callable<Integer> {
        @Parameters(index = "0", description = "The key's id.")
        String id;
        @picocli.CommandLine.Mixin
        Dir dir;

        @Override
        public Integer call() throws Exception {
            ApiKey k = ApiKeys.open(dir.dataDir).revoke(id);
            if (k == null) throw new IllegalArgumentException("no key with id " + id);
            System.out.println("revoked key " + k.id() + " at " + k.revokedAt());
            return 0;
        }
    }
}
