package dev.coffer.x402.evm;

import dev.coffer.x402.devchain.LocalChain;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The RPC client against a real node: failover past dead and rate-limited endpoints, batches, and node errors that are answers. */
class JsonRpcTest {

    static LocalChain chain;

    @BeforeAll
    static void start() throws Exception {
        chain = LocalChain.start();
    }

    @AfterAll
    static void stop() {
        if (chain != null) chain.close();
    }

    /** A loopback URL nothing listens on (the port was free a moment ago; connecting is refused). */
    static URI deadUrl() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return URI.create("http://127.0.0.1:" + s.getLocalPort());
        }
    }

    @Test
    void aDeadEndpointIsPassedOverAndTheLiveOneRemembered() throws Exception {
        JsonRpc rpc = new JsonRpc(List.of(new JsonRpc.Endpoint(deadUrl(), 0), new JsonRpc.Endpoint(URI.create(chain.url()), 0)), Duration.ofSeconds(5));
        assertThat(Hex.toLong(rpc.call("eth_chainId").asText())).isEqualTo(LocalChain.CHAIN_ID);
        assertThat(rpc.failovers()).isEqualTo(1);
        rpc.call("eth_blockNumber");
        assertThat(rpc.failovers()).as("the endpoint that answered is tried first next time").isEqualTo(1);
    }

    @Test
    void anEndpointOverItsRateLimitIsPassedOver() throws Exception {
        JsonRpc rpc = new JsonRpc(List.of(new JsonRpc.Endpoint(URI.create(chain.url()), 1), new JsonRpc.Endpoint(URI.create(chain.url()), 0)),
                Duration.ofSeconds(5));
        rpc.call("eth_chainId"); // the first endpoint's one token
        JsonRpc limitedOnly = new JsonRpc(List.of(new JsonRpc.Endpoint(URI.create(chain.url()), 1)), Duration.ofSeconds(5));
        limitedOnly.call("eth_chainId");
        assertThatThrownBy(() -> limitedOnly.call("eth_chainId")).isInstanceOfSatisfying(RpcException.class, e -> {
            assertThat(e.isNodeError()).isFalse();
            assertThat(e.getMessage()).contains("over its rate limit");
        });
        long before = rpc.failovers();
        rpc.call("eth_chainId");
        rpc.call("eth_chainId");
        assertThat(rpc.failovers()).isGreaterThan(before);
    }

    @Test
    void noReachableEndpointIsAnUnreachableError() throws Exception {
        JsonRpc rpc = new JsonRpc(List.of(new JsonRpc.Endpoint(deadUrl(), 0), new JsonRpc.Endpoint(deadUrl(), 0)), Duration.ofSeconds(5));
        assertThatThrownBy(() -> rpc.call("eth_chainId")).isInstanceOfSatisfying(RpcException.class, e -> {
            assertThat(e.isNodeError()).isFalse();
            assertThat(e.getMessage()).contains("no RPC endpoint answered");
        });
    }

    @Test
    void aNodeErrorIsAnAnswerAndIsNotRetriedElsewhere() throws Exception {
        JsonRpc rpc = new JsonRpc(List.of(new JsonRpc.Endpoint(URI.create(chain.url()), 0), new JsonRpc.Endpoint(URI.create(chain.url()), 0)),
                Duration.ofSeconds(5));
        assertThatThrownBy(() -> rpc.call("eth_noSuchMethod")).isInstanceOfSatisfying(RpcException.class, e -> assertThat(e.isNodeError()).isTrue());
        assertThat(rpc.failovers()).isZero();
    }

    @Test
    void aBatchAnswersEachCallInOrderWithItsOwnError() throws Exception {
        JsonRpc rpc = chain.rpc();
        List<JsonRpc.Answer> a = rpc.batch(List.of(new JsonRpc.Call("eth_chainId", List.of()), new JsonRpc.Call("eth_noSuchMethod", List.of()),
                new JsonRpc.Call("eth_blockNumber", List.of())));
        assertThat(a).hasSize(3);
        assertThat(Hex.toLong(a.get(0).result().asText())).isEqualTo(LocalChain.CHAIN_ID);
        assertThat(a.get(1).ok()).isFalse();
        assertThat(a.get(2).ok()).isTrue();
    }
}
