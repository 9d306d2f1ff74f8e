package dev.coffer.server;

import dev.coffer.server.config.CofferConfig;
import dev.coffer.server.ops.JsonLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * TLS at the service with certificates this test makes (the JDK's keytool, self-signed): the
 * port speaks HTTPS only; a key file others can read is refused at start; and with a client CA
 * file, a client without a certificate that CA signed fails the handshake while one with it gets in.
 */
class TlsTest {

    static final char[] PASS = "changeit".toCharArray();
    Path dir;

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createTempDirectory("coffer-tls");
    }

    @AfterEach
    void tearDown() throws IOException {
        ServiceFixture.deleteTree(dir);
    }

    /** A self-signed EC key pair for 127.0.0.1 in a PKCS#12 store, made by keytool. */
    Path keystore(String alias) throws Exception {
        Path p12 = dir.resolve(alias + ".p12");
        Process k = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair", "-alias", alias,
                "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + alias, "-ext", "san=ip:127.0.0.1,dns:localhost", "-validity", "2",
                "-storetype", "PKCS12", "-keystore", p12.toString(), "-storepass", new String(PASS), "-keypass", new String(PASS))
                .redirectErrorStream(true).start();
        String out = new String(k.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(k.waitFor()).as(out).isZero();
        return p12;
    }

    static KeyStore load(Path p12) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            ks.load(in, PASS);
        }
        return ks;
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    /** Writes the store's certificate and PKCS#8 key as PEM files: {alias}.crt, {alias}.key (mode 0600). */
    Path[] pemFiles(Path p12, String alias) throws Exception {
        KeyStore ks = load(p12);
        Certificate cert = ks.getCertificate(alias);
        PrivateKey key = (PrivateKey) ks.getKey(alias, PASS);
        Path crt = dir.resolve(alias + ".crt");
        Path pk = dir.resolve(alias + ".key");
        Files.writeString(crt, pem("CERTIFICATE", cert.getEncoded()));
        Files.writeString(pk, pem("PRIVATE KEY", key.getEncoded()));
        Files.setPosixFilePermissions(pk, PosixFilePermissions.fromString("rw-------"));
        return new Path[]{crt, pk};
    }

    static HttpClient client(Path trusted, Path clientP12) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(trusted)) {
            trust.setCertificateEntry("server", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        KeyManagerFactory kmf = null;
        if (clientP12 != null) {
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(load(clientP12), PASS);
        }
        ssl.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(10)).version(HttpClient.Version.HTTP_1_1).build();
    }

    static int get(HttpClient c, String url) throws Exception {
        return c.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    @Test
    void theServiceSpeaksTlsOnlyAndRefusesAKeyOthersCanRead() throws Exception {
        Path[] server = pemFiles(keystore("server"), "server");
        try (ServiceFixture f = new ServiceFixture(Map.of("server.tls_cert_file", server[0].toString(), "server.tls_key_file", server[1].toString()))) {
            assertThat(f.service.url()).startsWith("https://");
            try (HttpClient c = client(server[0], null)) {
                assertThat(get(c, f.service.url() + "/healthz")).isEqualTo(200);
                HttpResponse<String> created = c.send(HttpRequest.newBuilder(URI.create(f.service.url() + "/v1/assets"))
                        .header("Authorization", "Bearer " + f.adminKey).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"code\":\"USD\",\"scale\":2}")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(created.statusCode()).isEqualTo(201);
            }
            // Plain HTTP on the TLS port gets no HTTP answer.
            String plain = f.service.url().replace("https://", "http://") + "/healthz";
            try (HttpClient c = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()) {
                assertThatThrownBy(() -> get(c, plain)).isInstanceOf(IOException.class);
            }
        }
        Files.setPosixFilePermissions(server[1], PosixFilePermissions.fromString("rw-r--r--"));
        Map<String, Object> o = new HashMap<>(Map.of("server.tls_cert_file", server[0].toString(), "server.tls_key_file", server[1].toString(),
                "server.port", 0, "ledger.data_dir", dir.resolve("data").toString()));
        CofferConfig config = CofferConfig.load(null, Map.of(), o);
        try (JsonLog log = new JsonLog(new ByteArrayOutputStream(), "warn")) {
            assertThatThrownBy(() -> Service.start(config, log)).hasMessageContaining("chmod 600");
        }
    }

    @Test
    void withAClientCaOnlyClientsWithItsCertificateGetIn() throws Exception {
        Path[] server = pemFiles(keystore("server"), "server");
        Path clientP12 = keystore("client");
        Path[] client = pemFiles(clientP12, "client");
        Path strangerP12 = keystore("stranger");
        try (ServiceFixture f = new ServiceFixture(Map.of("server.tls_cert_file", server[0].toString(), "server.tls_key_file", server[1].toString(),
                "server.tls_client_ca_file", client[0].toString()))) {
            String url = f.service.url() + "/healthz";
            try (HttpClient c = client(server[0], clientP12)) {
                assertThat(get(c, url)).isEqualTo(200);
            }
            for (Path other : new Path[]{null, strangerP12}) {
                try (HttpClient c = client(server[0], other)) {
                    assertThatThrownBy(() -> get(c, url)).as("a client with %s", other == null ? "no certificate" : "another certificate")
                            .isInstanceOf(IOException.class);
                }
            }
        }
        assertThat(List.of(server[1], client[1])).allSatisfy(k -> assertThat(Files.getPosixFilePermissions(k)).hasSize(2));
    }
}
