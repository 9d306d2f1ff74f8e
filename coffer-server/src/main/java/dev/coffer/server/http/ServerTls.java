package dev.coffer.server.http;

import dev.coffer.server.config.CofferConfig;
import io.helidon.common.tls.Tls;
import io.helidon.common.tls.TlsClientAuth;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * TLS at the service ({@code server.tls_*}, docs/SECURITY.md): the certificate chain and its
 * PKCS#8 private key from PEM files — the key file readable by its owner only, never logged — and,
 * with a client CA file, mutual TLS (a client without a certificate signed by one of those CAs is
 * refused in the handshake).
 */
final class ServerTls {

    private static final String KEY_BEGIN = "-----BEGIN PRIVATE KEY-----";
    private static final String KEY_END = "-----END PRIVATE KEY-----";

    private ServerTls() {}

    static Tls load(CofferConfig.Server s) throws IOException {
        List<X509Certificate> chain = certificates(Path.of(s.tlsCertFile()), "server.tls_cert_file");
        PrivateKey key = privateKey(Path.of(s.tlsKeyFile()));
        var tls = Tls.builder().privateKey(key).privateKeyCertChain(chain);
        if (!s.tlsClientCaFile().isBlank()) {
            tls.trust(certificates(Path.of(s.tlsClientCaFile()), "server.tls_client_ca_file")).clientAuth(TlsClientAuth.REQUIRED);
        }
        return tls.build();
    }

    static List<X509Certificate> certificates(Path file, String key) throws IOException {
        try {
            List<X509Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(Files.readAllBytes(file)))
                    .stream().map(X509Certificate.class::cast).toList();
            if (certs.isEmpty()) throw new IllegalArgumentException(key + " " + file + " holds no PEM certificate");
            return certs;
        } catch (CertificateException e) {
            throw new IllegalArgumentException(key + " " + file + " is not a PEM certificate file: " + e.getMessage());
        }
    }

    /** The key of an unencrypted PKCS#8 PEM file ({@code BEGIN PRIVATE KEY}) of RSA, EC or Ed25519. */
    static PrivateKey privateKey(Path file) throws IOException {
        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
        if (mode.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
            throw new IllegalArgumentException("server.tls_key_file " + file + " is readable by others; chmod 600 it");
        }
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        int begin = text.indexOf(KEY_BEGIN);
        int end = text.indexOf(KEY_END);
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("server.tls_key_file " + file + " is not an unencrypted PKCS#8 PEM key (BEGIN PRIVATE KEY); "
                    + "convert it with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8");
        }
        byte[] der = Base64.getMimeDecoder().decode(text.substring(begin + KEY_BEGIN.length(), end));
        for (String algorithm : List.of("RSA", "EC", "Ed25519")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // another algorithm
            }
        }
        throw new IllegalArgumentException("server.tls_key_file " + file + ": not an RSA, EC or Ed25519 key");
    }
}
