package dev.coffer.x402.settle;

import dev.coffer.x402.evm.Hex;
import org.web3j.crypto.ECKeyPair;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The settlement keys: from the variable {@code COFFER_X402_PRIVATE_KEYS} (comma-separated hex)
 * or from a key file (one hex key per line, {@code #} comments; it must not be readable by group
 * or others). Never logged, never returned: only the addresses leave this class.
 */
public final class SignerKeys {

    private SignerKeys() {}

    public static List<ECKeyPair> load(String envValue, Path keyFile) throws IOException {
        String text;
        String source;
        if (envValue != null && !envValue.isBlank()) {
            text = envValue.replace(',', '\n');
            source = "COFFER_X402_PRIVATE_KEYS";
        } else if (keyFile != null) {
            if (!Files.exists(keyFile)) throw new IOException("x402 key file " + keyFile + " does not exist");
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(keyFile);
            if (p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ)
                    || p.contains(PosixFilePermission.GROUP_WRITE) || p.contains(PosixFilePermission.OTHERS_WRITE)) {
                throw new IOException("x402 key file " + keyFile + " is readable or writable by others: chmod 600 it");
            }
            text = Files.readString(keyFile);
            source = keyFile.toString();
        } else {
            return List.of();
        }
        List<ECKeyPair> keys = new ArrayList<>();
        int line = 0;
        for (String raw : text.split("\n")) {
            line++;
            String k = raw.strip();
            if (k.isEmpty() || k.startsWith("#")) continue;
            if (!k.startsWith("0x")) k = "0x" + k;
            if (!Hex.isBytes(k, 32)) throw new IOException(source + ": entry " + line + " is not a 32-byte hex private key");
            BigInteger d = new BigInteger(1, Hex.bytes(k));
            if (d.signum() == 0) throw new IOException(source + ": entry " + line + " is zero");
            keys.add(ECKeyPair.create(d));
        }
        if (keys.isEmpty()) throw new IOException(source + " holds no keys");
        return keys;
    }
}
