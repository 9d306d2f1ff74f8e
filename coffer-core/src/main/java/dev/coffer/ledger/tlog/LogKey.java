package dev.coffer.ledger.tlog;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Where the log's signing key comes from: the text of an environment variable when one is given,
 * else a key file — created on first start with mode 0600 in the data directory (or at a
 * configured path). The key's name is the log's origin. The key itself is never logged or served;
 * messages name only the file or variable.
 */
public final class LogKey {

    private LogKey() {}

    /**
     * The signer for {@code origin}: from {@code envText} when not null (read from the variable named
     * {@code envName}), else from {@code file}, which is created when it does not exist.
     *
     * @throws IllegalArgumentException when the key is malformed or is not the key of {@code origin}
     */
    public static NoteSigner load(String origin, String envName, String envText, Path file) throws IOException {
        NoteSigner signer;
        String source;
        if (envText != null && !envText.isBlank()) {
            source = "environment variable " + envName;
            signer = parse(envText, source);
        } else {
            source = "key file " + file;
            if (!Files.exists(file)) create(file, origin);
            checkPermissions(file);
            signer = parse(Files.readString(file, StandardCharsets.UTF_8), source);
        }
        if (!signer.name().equals(origin)) {
            throw new IllegalArgumentException("the log key in " + source + " is the key of '" + signer.name() + "', but the log's origin is '"
                    + origin + "' (log.origin): a checkpoint's key name is its origin");
        }
        return signer;
    }

    private static NoteSigner parse(String text, String source) {
        try {
            return NoteSigner.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the log key in " + source + " is not usable: " + e.getMessage());
        }
    }

    private static void create(Path file, String origin) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) Files.createDirectories(dir);
        NoteSigner s = NoteSigner.generate(origin);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(tmp);
        }
        Files.writeString(tmp, s.encode() + "\n", StandardCharsets.UTF_8);
        try {
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException e) {
            Files.deleteIfExists(tmp);
        }
    }

    private static void checkPermissions(Path file) throws IOException {
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
            if (p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ)
                    || p.contains(PosixFilePermission.GROUP_WRITE) || p.contains(PosixFilePermission.OTHERS_WRITE)) {
                throw new IllegalArgumentException("the log key file " + file + " is readable by others (" + PosixFilePermissions.toString(p)
                        + "): chmod 600 it");
            }
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: nothing to check
        }
    }
}
