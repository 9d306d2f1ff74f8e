package dev.coffer.storage.backup;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.LedgerConfig;
import dev.coffer.ledger.journal.JournalReader;
import dev.coffer.ledger.tlog.LogAudit;
import dev.coffer.ledger.tlog.NoteSigner;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Online backup and verified restore of a file-backed data directory (docs/OPERATIONS.md,
 * "Backup and restore"), safe while the server writes: nothing is locked, nothing is stopped.
 *
 * <p>The copy is consistent by the order it is taken in and by what the journal guarantees. First
 * the keys and the signed checkpoints (every checkpoint covers events that were durable when it
 * was signed, so all of them are in the journal copied afterwards); then the newest snapshot (an
 * immutable file, renamed into place whole, of events that were durable when it was taken); then,
 * when the server can be asked, its durable seq; then the journal segments as they are at that
 * moment. The copy of the journal is read from genesis — every CRC and every chain link — and cut
 * after that durable seq, or after the last whole record, so the backup holds exactly a prefix of
 * the log that covers the snapshot and every checkpoint: everything the server had acknowledged
 * when the backup began, at least. A manifest records each file's SHA-256 and the last seq and hash.
 *
 * <p>Restore checks the manifest, copies the files into an empty data directory, audits the log
 * from genesis (every chain link, every signed checkpoint's root against the tree the journal
 * gives), then opens the ledger — snapshot plus replay, with its conservation check — and requires
 * the last seq and hash the manifest names.
 */
public final class FileBackup {

    public static final String MANIFEST = "backup.json";
    public static final int FORMAT = 1;
    /** Beside the journal: the API keys, the token root key and revocations, the log's signing key. */
    public static final List<String> KEY_FILES = List.of("keys.json", "tokens.key", "tokens-revoked.json", "tlog/log.key");
    static final String CHECKPOINTS = "tlog/checkpoints";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** One file of a backup. */
    public record FileEntry(String path, long bytes, String sha256) {}

    /** What a backup holds. */
    public record Manifest(int format, String createdAt, String source, long lastSeq, String lastHash, long snapshotSeq, List<FileEntry> files) {}

    /** What a restore found. */
    public record Restored(Manifest manifest, long events, long checkpointsVerified, double seconds) {}

    private FileBackup() {}

    /**
     * Copies {@code dataDir} (a file-backed server's, running or not) into {@code dest}, which must
     * not exist or be empty. {@code durableSeq}: asks the running server for its durable seq (the
     * copy ends there), or null to keep every whole record found.
     */
    public static Manifest backup(Path dataDir, Path dest, java.util.function.LongSupplier durableSeq, Consumer<String> progress) throws IOException {
        if (JournalReader.segments(dataDir).isEmpty()) throw new IllegalArgumentException(dataDir + " holds no journal (a file-backed data directory?)");
        if (Files.exists(dest)) {
            try (Stream<Path> s = Files.list(dest)) {
                if (s.findAny().isPresent()) throw new IllegalArgumentException(dest + " is not empty");
            }
        }
        Files.createDirectories(dest);
        for (String f : KEY_FILES) copyWhole(dataDir.resolve(f), dest.resolve(f));
        copyWhole(dataDir.resolve(CHECKPOINTS), dest.resolve(CHECKPOINTS));
        long snapshotSeq = copyNewestSnapshot(dataDir, dest);
        long untilSeq = durableSeq == null ? -1 : durableSeq.getAsLong();
        List<Path> segments = JournalReader.segments(dataDir);
        for (Path s : segments) copyWhole(s, dest.resolve(s.getFileName()));
        progress.accept("copied " + segments.size() + " journal segments" + (snapshotSeq > 0 ? " and the snapshot at seq " + snapshotSeq : ""));

        // Read the copy from genesis, then cut it after the last whole record (or after untilSeq).
        JournalReader.Tail tail = JournalReader.scanUntil(dest, untilSeq < 0 ? Long.MAX_VALUE : untilSeq, (ts, events, hashes) -> { });
        for (Path s : JournalReader.segments(dest)) {
            if (tail.segment() != null && s.getFileName().compareTo(tail.segment().getFileName()) > 0) Files.delete(s);
        }
        if (tail.removeSegment()) {
            Files.delete(tail.segment());
        } else if (tail.tornBytes() > 0) {
            try (FileChannel ch = FileChannel.open(tail.segment(), StandardOpenOption.WRITE)) {
                ch.truncate(tail.validBytes());
                ch.force(true);
            }
        }
        if (untilSeq >= 0 && tail.lastSeq() < untilSeq) {
            throw new IOException("the journal copy ends at seq " + tail.lastSeq() + ", before the durable seq " + untilSeq + " the server reported");
        }
        if (snapshotSeq > tail.lastSeq()) throw new IOException("the snapshot at seq " + snapshotSeq + " is past the journal copy's end " + tail.lastSeq());
        Manifest m = new Manifest(FORMAT, Instant.now().toString(), dataDir.toAbsolutePath().toString(), tail.lastSeq(), HexFormat.of().formatHex(tail.lastHash()),
                snapshotSeq, entries(dest));
        Files.write(dest.resolve(MANIFEST), JSON.writeValueAsBytes(m));
        progress.accept("backup of seq 1.." + m.lastSeq() + " in " + dest + " (" + m.files().size() + " files, last hash " + m.lastHash() + ")");
        return m;
    }

    /**
     * Restores the backup in {@code src} into {@code dataDir} (must not exist or be empty) and
     * verifies it; an {@link IOException} or {@link IllegalStateException} names what does not hold.
     */
    public static Restored restore(Path src, Path dataDir, Consumer<String> progress) throws IOException {
        long started = System.nanoTime();
        Manifest m = JSON.readValue(src.resolve(MANIFEST).toFile(), Manifest.class);
        if (m.format() != FORMAT) throw new IOException("backup format " + m.format() + " is not " + FORMAT);
        for (FileEntry e : m.files()) {
            Path f = src.resolve(e.path());
            if (!Files.exists(f)) throw new IOException("the backup lacks " + e.path());
            if (!sha256(f).equals(e.sha256())) throw new IOException(e.path() + " does not match the manifest's SHA-256: the backup is damaged");
        }
        progress.accept(m.files().size() + " files match the manifest");
        if (Files.exists(dataDir)) {
            try (Stream<Path> s = Files.list(dataDir)) {
                if (s.findAny().isPresent()) throw new IllegalArgumentException(dataDir + " is not empty");
            }
        }
        for (FileEntry e : m.files()) copyWhole(src.resolve(e.path()), dataDir.resolve(e.path()));

        long checkpoints = 0;
        Path logKey = dataDir.resolve("tlog/log.key");
        if (Files.exists(logKey)) {
            NoteSigner key = NoteSigner.parse(Files.readString(logKey, StandardCharsets.UTF_8).strip());
            LogAudit.Report audit = LogAudit.run(dataDir, key.verifier(), progress);
            if (!audit.ok()) throw new IllegalStateException("the restored log does not verify: " + String.join("; ", audit.problems()));
            if (audit.events() != m.lastSeq()) throw new IllegalStateException("the restored journal has " + audit.events() + " events, the manifest " + m.lastSeq());
            checkpoints = audit.checkpoints();
        } else {
            JournalReader.scan(dataDir, 1, (ts, events, hashes) -> { }); // every CRC and chain link, without a log key to check checkpoints with
        }
        JournalReader.Tail end = JournalReader.scan(dataDir, Math.max(1, m.lastSeq()), (ts, events, hashes) -> { });
        if (end.lastSeq() != m.lastSeq() || !HexFormat.of().formatHex(end.lastHash()).equals(m.lastHash())) {
            throw new IllegalStateException("the restored chain ends at seq " + end.lastSeq() + " in another hash than the manifest's");
        }
        try (Ledger ledger = Ledger.open(LedgerConfig.defaults(dataDir))) {
            Ledger.RecoveryReport r = ledger.recovery();
            if (r.lastSeq() != m.lastSeq()) throw new IllegalStateException("the restored ledger is at seq " + r.lastSeq() + ", the manifest says " + m.lastSeq());
            progress.accept("the ledger opens at seq " + r.lastSeq() + " (snapshot " + r.snapshotSeq() + " + " + r.replayedEvents() + " replayed), money conserved");
        }
        return new Restored(m, m.lastSeq(), checkpoints, (System.nanoTime() - started) / 1e9);
    }

    private static boolean isSnapshot(Path p) {
        return p.getFileName().toString().matches("\\d{20}\\.snapshot");
    }

    /** Copies the newest snapshot; returns its seq (0: none). A snapshot pruned while copying is retried with the next newest. */
    private static long copyNewestSnapshot(Path dataDir, Path dest) throws IOException {
        for (int attempt = 0; attempt < 10; attempt++) {
            List<Path> snaps;
            try (Stream<Path> s = Files.list(dataDir)) {
                snaps = s.filter(FileBackup::isSnapshot).sorted().toList();
            }
            if (snaps.isEmpty()) return 0;
            Path newest = snaps.getLast();
            try {
                copyWhole(newest, dest.resolve(newest.getFileName()));
                return Long.parseLong(newest.getFileName().toString().substring(0, 20));
            } catch (NoSuchFileException e) {
                Files.deleteIfExists(dest.resolve(newest.getFileName()));
            }
        }
        throw new IOException("snapshots kept changing while they were copied");
    }

    /** Copies a file's bytes as they are now (nothing when it does not exist), keeping owner-only permissions. */
    private static void copyWhole(Path from, Path to) throws IOException {
        if (!Files.exists(from)) return;
        Files.createDirectories(to.toAbsolutePath().getParent());
        Files.deleteIfExists(to);
        Files.createFile(to, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (InputStream in = Files.newInputStream(from); OutputStream out = Files.newOutputStream(to, StandardOpenOption.WRITE)) {
            in.transferTo(out);
        }
        try (FileChannel ch = FileChannel.open(to, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    private static List<FileEntry> entries(Path dir) throws IOException {
        List<FileEntry> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
                String rel = dir.relativize(p).toString().replace('\\', '/');
                if (rel.equals(MANIFEST)) continue;
                out.add(new FileEntry(rel, Files.size(p), sha256(p)));
            }
        }
        return out;
    }

    static String sha256(Path p) throws IOException {
        MessageDigest d = dev.coffer.ledger.encoding.EventChain.sha256();
        try (InputStream in = Files.newInputStream(p)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) d.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(d.digest());
    }
}
