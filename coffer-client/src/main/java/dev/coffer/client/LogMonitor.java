package dev.coffer.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.ledger.tlog.Checkpoint;
import dev.coffer.ledger.tlog.ProofVerifier;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Watches a log for forks: remembers the last checkpoint it trusted, and each {@link #check()}
 * fetches the newest one, checks its signature, and checks the consistency proof from the trusted
 * one to it. A log that rewrote anything it had signed cannot pass. Not thread-safe.
 */
public final class LogMonitor {

    private final Http http;
    private final ProofVerifier verifier;
    private Checkpoint trusted;

    LogMonitor(Http http, ProofVerifier verifier) {
        this.http = http;
        this.verifier = verifier;
    }

    /** Starts from a checkpoint trusted before (its signed note), e.g. one stored by the application. */
    public LogMonitor trust(String note) {
        try {
            trusted = verifier.checkpoint(note);
        } catch (ProofVerifier.VerificationException e) {
            throw new LogVerificationException(e.getMessage());
        }
        return this;
    }

    /** The last checkpoint this monitor trusted, or null before the first check. */
    public Checkpoint trusted() {
        return trusted;
    }

    /**
     * Fetches and verifies the newest checkpoint, and its consistency with the last trusted one.
     *
     * @return the newest checkpoint, now trusted
     * @throws LogVerificationException on a bad signature or a fork
     */
    public Checkpoint check() {
        String note = http.getText("/v1/log/checkpoint");
        try {
            Checkpoint now = verifier.checkpoint(note);
            if (trusted != null) {
                List<byte[]> proof = List.of();
                if (now.size() > trusted.size() && trusted.size() > 0) {
                    JsonNode p;
                    try {
                        p = CofferClient.join(http.send("GET", "/v1/log/proof/consistency?from=" + trusted.size() + "&to=" + now.size(), null)).body();
                    } catch (CofferException e) {
                        if (!e.code().equals("size_not_published")) throw e;
                        throw new LogVerificationException("the log denies ever publishing the size " + trusted.size() + " of a checkpoint signed with its key: a fork");
                    }
                    proof = hashes(p.path("consistency_proof"));
                }
                verifier.consistency(trusted, now, proof);
            }
            trusted = now;
            return now;
        } catch (ProofVerifier.VerificationException e) {
            throw new LogVerificationException(e.getMessage());
        }
    }

    static List<byte[]> hashes(JsonNode array) {
        List<byte[]> out = new ArrayList<>();
        for (JsonNode n : array) out.add(Base64.getDecoder().decode(n.asText()));
        return out;
    }
}
