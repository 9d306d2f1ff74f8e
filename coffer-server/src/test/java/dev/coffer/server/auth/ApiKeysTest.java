package dev.coffer.server.auth;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The key file shared by the server and the command line: a change made by one {@link ApiKeys}
 * is seen by another on its next refresh, even when the file's modification time did not move
 * (two writes within one tick of the kernel's coarse clock).
 */
class ApiKeysTest {

    /**
     * A modification time the reader cannot yet trust: recent (here ten minutes ahead, so that
     * however slowly the test runs it stays recent), as every write's time is when it is new.
     */
    static FileTime recent() {
        return FileTime.fromMillis(System.currentTimeMillis() + 600_000);
    }

    @Test
    void aKeyCreatedElsewhereIsSeenEvenWhenTheFileTimeDidNotMove(@TempDir Path dir) throws IOException {
        Path file = dir.resolve(ApiKeys.FILE);
        ApiKeys server = ApiKeys.open(dir);
        ApiKeys cli = ApiKeys.open(dir);
        ApiKeys.Created first = server.create("admin", Scope.ADMIN);
        FileTime tick = recent();
        Files.setLastModifiedTime(file, tick);
        server.refresh();

        ApiKeys.Created second = cli.create("cli", Scope.READ);
        Files.setLastModifiedTime(file, tick); // written in the same clock tick as the time the server holds
        server.refresh();

        assertThat(server.verify(first.token())).isNotNull();
        assertThat(server.verify(second.token())).as("a key written in the same clock tick").isNotNull();
    }

    @Test
    void aRevocationElsewhereIsSeenEvenWhenTheFileTimeDidNotMove(@TempDir Path dir) throws IOException {
        Path file = dir.resolve(ApiKeys.FILE);
        ApiKeys server = ApiKeys.open(dir);
        ApiKeys.Created key = server.create("app", Scope.WRITE);
        ApiKeys cli = ApiKeys.open(dir);
        FileTime tick = recent();
        Files.setLastModifiedTime(file, tick);
        server.refresh();

        cli.revoke(key.key().id());
        Files.setLastModifiedTime(file, tick);
        server.refresh();

        assertThat(server.verify(key.token())).as("revoked from the command line").isNull();
    }

    @Test
    void anOldUnchangedFileIsNotReadAgain(@TempDir Path dir) throws IOException {
        ApiKeys server = ApiKeys.open(dir);
        ApiKeys.Created key = server.create("app", Scope.WRITE);
        Path file = dir.resolve(ApiKeys.FILE);
        FileTime old = FileTime.fromMillis(System.currentTimeMillis() - 60_000);
        Files.setLastModifiedTime(file, old);
        server.refresh(); // reads it: the time moved
        // A broken file with the same old time is taken as unchanged, so it is not read: the proof
        // that a trusted time saves the read.
        Files.writeString(file, "not json");
        Files.setLastModifiedTime(file, old);
        server.refresh();
        assertThat(server.verify(key.token())).isNotNull();
    }

    @Test
    void tokensHaveThePrefixAndOnlyTheHashIsStored(@TempDir Path dir) throws IOException {
        ApiKeys keys = ApiKeys.open(dir);
        ApiKeys.Created c = keys.create("app", Scope.READ);
        assertThat(c.token()).startsWith(ApiKeys.PREFIX);
        String secret = c.token().substring(ApiKeys.PREFIX.length() + ApiKeys.ID_CHARS + 1);
        assertThat(Files.readString(dir.resolve(ApiKeys.FILE))).doesNotContain(secret).contains(c.key().secretSha256());
        assertThat(keys.verify(c.token().substring(0, c.token().length() - 1) + (c.token().endsWith("A") ? "B" : "A"))).isNull();
    }
}
