package dev.coffer.server.auth;

import dev.coffer.ledger.Command;
import dev.coffer.ledger.UInt128;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Capability tokens: an attenuated token never allows what its parent does not (for any caveats
 * and any request), a changed or foreign token does not verify, unknown caveats fail closed,
 * expiry and revocation hold, and the root key must be the owner's alone.
 */
class CapabilityTokensTest {

    static Path dir;
    static CapabilityTokens tokens;
    static final long NOW = 1_800_000_000L;

    @BeforeContainer
    static void open() throws IOException {
        dir = Files.createTempDirectory("coffer-tokens");
        tokens = CapabilityTokens.open(dir, null);
    }

    @AfterContainer
    static void close() throws IOException {
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    /** A request as the edge sees it: the scope a route needs, and the write it carries (null: a read of one account). */
    record Request(Scope needed, String type, Command command, String account) {}

    /** Whether a verified token allows a request, as ApiServer, TokenRoutes and LedgerCalls decide it together. */
    static boolean allows(CapabilityTokens.Verified v, Request r) {
        if (v == null) return false;
        Caveats c = v.caveats();
        if (!c.allowsScope(r.needed())) return false;
        if (r.command() == null) return c.refuseAccount(r.account()) == null;
        return c.refuse(r.type(), r.command()) == null;
    }

    @Provide
    Arbitrary<String> caveat() {
        Arbitrary<String> account = Arbitraries.of("alice", "bob", "al*", "b*", "*", "carol");
        return Arbitraries.oneOf(
                Arbitraries.of("read", "write", "admin", "x402").map(s -> "scope = " + s),
                account.map(a -> "account = " + a),
                Arbitraries.subsetOf("deposit", "withdrawal", "transfer", "hold").ofMinSize(1).map(s -> "op = " + String.join(",", s)),
                Arbitraries.longs().between(0, 2_000).map(n -> "max_amount = " + n),
                Arbitraries.longs().between(NOW - 100, NOW + 100).map(t -> "expires = " + t));
    }

    @Provide
    Arbitrary<Request> request() {
        Arbitrary<String> account = Arbitraries.of("alice", "bob", "albert", "carol", "b");
        Arbitrary<Long> amount = Arbitraries.longs().between(1, 3_000);
        Arbitrary<Scope> scope = Arbitraries.of(Scope.values());
        Arbitrary<Request> write = Combinators.combine(scope, Arbitraries.of("deposit", "withdrawal", "transfer", "hold", "capture"), account, account, amount)
                .as((s, type, from, to, n) -> new Request(s, type, switch (type) {
                    case "deposit" -> new Command.Deposit("i", from, UInt128.of(n), 0);
                    case "withdrawal" -> new Command.Withdraw("i", from, UInt128.of(n), 0);
                    case "transfer" -> new Command.Transfer("i", from, to, UInt128.of(n), 0);
                    case "hold" -> new Command.Hold("i", from, to, UInt128.of(n), 0, 0);
                    default -> new Command.Capture("i", "h", UInt128.of(n));
                }, null));
        Arbitrary<Request> read = Combinators.combine(scope, account).as((s, a) -> new Request(s, null, null, a));
        return Arbitraries.oneOf(write, read);
    }

    @Property(tries = 300)
    void anAttenuatedTokenNeverAllowsMoreThanItsParent(@ForAll("caveat") String first, @ForAll("caveatList") List<String> parentMore,
                                                       @ForAll("caveatList") List<String> added, @ForAll("requestList") List<Request> requests) {
        List<String> parentCaveats = new ArrayList<>(List.of("scope = admin", first));
        parentCaveats.addAll(parentMore);
        String parent;
        try {
            parent = tokens.mint(parentCaveats).token();
        } catch (IllegalArgumentException e) {
            net.jqwik.api.Assume.that(false); // scope caveats that leave no scope: nothing to mint
            return;
        }
        String child = added.isEmpty() ? parent : CapabilityTokens.attenuate(parent, added);
        CapabilityTokens.Verified p = tokens.verify(parent, NOW);
        CapabilityTokens.Verified c = tokens.verify(child, NOW);
        if (p == null) assertThat(c).as("a child of an invalid parent").isNull();
        for (Request r : requests) {
            if (allows(c, r)) assertThat(allows(p, r)).as("%s allowed by the child %s but not by the parent %s", r, added, parentCaveats).isTrue();
        }
        assertThat(CapabilityTokens.inspect(child).caveats()).startsWith(parentCaveats.toArray(String[]::new));
    }

    @Provide
    Arbitrary<List<String>> caveatList() {
        return caveat().list().ofMaxSize(4);
    }

    @Provide
    Arbitrary<List<Request>> requestList() {
        return request().list().ofMinSize(1).ofMaxSize(20);
    }

    @Property(tries = 200)
    void anyChangedByteBreaksTheToken(@ForAll("caveatList") List<String> more, @ForAll int where, @ForAll byte flip) {
        List<String> caveats = new ArrayList<>(List.of("scope = write"));
        caveats.addAll(more.stream().filter(c -> !c.startsWith("expires") && !c.startsWith("scope")).toList());
        String token = tokens.mint(caveats).token();
        assertThat(tokens.verify(token, NOW)).isNotNull();
        byte[] raw = Base64.getUrlDecoder().decode(token.substring(CapabilityTokens.PREFIX.length()));
        int i = Math.floorMod(where, raw.length);
        byte delta = flip == 0 ? 1 : flip;
        raw[i] ^= delta;
        String changed = CapabilityTokens.PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        assertThat(tokens.verify(changed, NOW)).as("byte %d of %d changed", i, raw.length).isNull();
    }

    @Property(tries = 50)
    void droppingACaveatIsImpossibleWithoutTheRootKey(@ForAll("caveatList") List<String> more) {
        List<String> caveats = new ArrayList<>(List.of("scope = write", "account = alice"));
        caveats.addAll(more.stream().filter(c -> !c.startsWith("scope")).toList());
        String token = tokens.mint(caveats).token();
        // Rebuild the same chain without the account caveat, from what the token shows: its signature cannot match.
        CapabilityTokens.Inspected i = CapabilityTokens.inspect(token);
        com.github.nitram509.jmacaroons.Macaroon m = com.github.nitram509.jmacaroons.MacaroonsBuilder.deserialize(token.substring(4));
        com.github.nitram509.jmacaroons.Macaroon forged = new com.github.nitram509.jmacaroons.MacaroonsBuilder(m.location, "not the root key-0123456789abcdef", i.id())
                .add_first_party_caveat("scope = write").getMacaroon();
        assertThat(tokens.verify(CapabilityTokens.PREFIX + forged.serialize(), NOW)).isNull();
    }

    @Property(tries = 1)
    void unknownCaveatsExpiryRevocationAndTheKeyFile() throws IOException {
        String t = tokens.mint(List.of("scope = read")).token();
        assertThat(tokens.verify(CapabilityTokens.attenuate(t, List.of("scope = read")), NOW)).isNotNull();
        assertThatThrownBy(() -> CapabilityTokens.attenuate(t, List.of("colour = blue"))).hasMessageContaining("unknown caveat");
        // A caveat the server does not know, smuggled past attenuate(): the token fails closed.
        com.github.nitram509.jmacaroons.Macaroon m = com.github.nitram509.jmacaroons.MacaroonsBuilder.deserialize(t.substring(4));
        String smuggled = CapabilityTokens.PREFIX + com.github.nitram509.jmacaroons.MacaroonsBuilder.modify(m).add_first_party_caveat("colour = blue").getMacaroon().serialize();
        assertThat(tokens.verify(smuggled, NOW)).isNull();
        assertThatThrownBy(() -> tokens.mint(List.of("account = alice"))).hasMessageContaining("scope");

        String expiring = tokens.mint(List.of("scope = read", "expires = " + (NOW + 10))).token();
        assertThat(tokens.verify(expiring, NOW + 9)).isNotNull();
        assertThat(tokens.verify(expiring, NOW + 10)).isNull();
        assertThat(tokens.verify(CapabilityTokens.attenuate(expiring, List.of("expires = " + (NOW + 100))), NOW + 50)).as("a later expiry does not extend").isNull();

        CapabilityTokens.Minted r = tokens.mint(List.of("scope = write"));
        String narrowed = CapabilityTokens.attenuate(r.token(), List.of("account = alice"));
        assertThat(tokens.revoke(r.id())).isTrue();
        assertThat(tokens.revoke(r.id())).isFalse();
        assertThat(tokens.verify(r.token(), NOW)).isNull();
        assertThat(tokens.verify(narrowed, NOW)).as("tokens attenuated from a revoked one").isNull();
        assertThat(CapabilityTokens.open(dir, null).verify(narrowed, NOW)).as("revocations are in the data directory").isNull();

        // Another data directory has another root key: its tokens are foreign here.
        Path other = Files.createTempDirectory("coffer-tokens-other");
        try {
            CapabilityTokens elsewhere = CapabilityTokens.open(other, null);
            assertThat(tokens.verify(elsewhere.mint(List.of("scope = admin")).token(), NOW)).isNull();
            Files.setPosixFilePermissions(other.resolve(CapabilityTokens.KEY_FILE), PosixFilePermissions.fromString("rw-r--r--"));
            assertThatThrownBy(() -> CapabilityTokens.open(other, null)).hasMessageContaining("chmod 600");
        } finally {
            try (var s = Files.walk(other)) {
                for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
            }
        }
    }

    /**
     * The server and {@code ./coffer tokens revoke} change one list: each revocation is kept, even
     * when one side's copy is stale because the file's time did not move between two writes.
     */
    @net.jqwik.api.Example
    void revocationsFromTwoProcessesAreNeverWrittenOver() throws IOException {
        Path shared = Files.createTempDirectory("coffer-tokens-shared");
        CapabilityTokens server = CapabilityTokens.open(shared, null);
        CapabilityTokens cli = CapabilityTokens.open(shared, null);
        Path file = shared.resolve(CapabilityTokens.REVOKED_FILE);
        CapabilityTokens.Minted first = server.mint(List.of("scope = read"));
        CapabilityTokens.Minted second = server.mint(List.of("scope = read"));
        CapabilityTokens.Minted third = server.mint(List.of("scope = read"));
        java.nio.file.attribute.FileTime tick = java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 600_000);

        assertThat(server.revoke(first.id())).isTrue();
        Files.setLastModifiedTime(file, tick);
        cli.refresh();
        assertThat(server.revoke(second.id())).isTrue();
        Files.setLastModifiedTime(file, tick); // the same tick: cli's copy looks current
        assertThat(cli.revoke(third.id())).isTrue();
        server.refresh();

        for (CapabilityTokens t : List.of(server, cli, CapabilityTokens.open(shared, null))) {
            assertThat(t.verify(first.token(), NOW)).isNull();
            assertThat(t.verify(second.token(), NOW)).as("revoked by the server while the other copy was stale").isNull();
            assertThat(t.verify(third.token(), NOW)).isNull();
        }
    }

}
