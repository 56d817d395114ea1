package io.esb.docker;

import com.github.dockerjava.transport.DockerHttpClient;
import com.github.dockerjava.transport.SSLConfig;
import com.github.dockerjava.transport.UnixSocket;
import org.apache.hc.client5.http.SystemDefaultDnsResolver;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.DefaultSchemePortResolver;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.DefaultHttpClientConnectionOperator;
import org.apache.hc.client5.http.impl.io.ManagedHttpClientConnectionFactory;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.ssl.DefaultClientTlsStrategy;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ContentLengthStrategy;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.NameValuePair;
import org.apache.hc.core5.http.impl.DefaultContentLengthStrategy;
import org.apache.hc.core5.http.io.SocketConfig;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.entity.EmptyInputStream;
import org.apache.hc.core5.http.io.entity.InputStreamEntity;
import org.apache.hc.core5.http.protocol.HttpCoreContext;
import org.apache.hc.core5.net.URIAuthority;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * docker-java's transport over httpclient5, with one difference from docker-java's own: each Docker operation can be
 * aborted alone. Over a unix socket no read timeout applies, so a call the daemon never answers would hold its
 * thread until the whole client is closed, aborting every healthy call beside it. Here the thread that runs an
 * operation opens a {@link Call}; every request it sends registers with it, and {@link Call#abort} closes just those
 * connections, which frees that thread at once. The rest of the pool carries on.
 * <p>
 * Connection upgrades (attach, exec) are not supported: the supervisor never makes them.
 */
final class AbortableDockerHttpClient implements DockerHttpClient {
    private static final ThreadLocal<Call> CURRENT = new ThreadLocal<>();

    private final CloseableHttpClient http;
    private final PoolingHttpClientConnectionManager connections;
    /** Set to {@link System#nanoTime()} whenever the daemon answers a request (any status). */
    private final java.util.concurrent.atomic.AtomicLong lastAnswerNanos;
    private final HttpHost host;
    private final String pathPrefix;

    /** The requests of one Docker operation, run by one thread. */
    static final class Call implements AutoCloseable {
        private final Set<HttpUriRequestBase> requests = ConcurrentHashMap.newKeySet();
        private volatile String abortedBecause;
        private volatile AbortableDockerHttpClient transport;

        /**
         * Closes the connections of this call's requests; every later request of it fails at once. Idle pooled
         * connections are closed too: a daemon that left one request unanswered may have wedged them as well, and a
         * fresh connection costs little.
         */
        void abort(String reason) {
            abortedBecause = reason;
            requests.forEach(HttpUriRequestBase::cancel);
            var used = transport;
            if (used != null) {
                used.connections.closeIdle(TimeValue.ZERO_MILLISECONDS);
            }
        }

        boolean aborted() {
            return abortedBecause != null;
        }

        void register(HttpUriRequestBase request, AbortableDockerHttpClient via) {
            transport = via;
            requests.add(request);
            if (abortedBecause != null) {
                request.cancel();
            }
        }

        @Override
        public void close() {
            CURRENT.remove();
            requests.clear();
        }
    }

    /** Opens a call for the requests the current thread sends until it is closed. */
    static Call open() {
        var call = new Call();
        CURRENT.set(call);
        return call;
    }

    AbortableDockerHttpClient(URI dockerHost, SSLConfig sslConfig, int maxConnections, Duration connectionTimeout,
                              java.util.concurrent.atomic.AtomicLong lastAnswerNanos) {
        this.lastAnswerNanos = lastAnswerNanos;
        javax.net.ssl.SSLContext sslContext;
        try {
            sslContext = sslConfig != null ? sslConfig.getSSLContext() : null;
        } catch (Exception e) {
            throw new IllegalArgumentException("Docker TLS configuration could not be loaded: " + e.getMessage(), e);
        }
        var scheme = dockerHost.getScheme();
        switch (scheme) {
            case "unix" -> {
                pathPrefix = "";
                host = new HttpHost("unix", "localhost", 2375);
            }
            case "tcp" -> {
                var rawPath = dockerHost.getRawPath() == null ? "" : dockerHost.getRawPath();
                pathPrefix = rawPath.endsWith("/") ? rawPath.substring(0, rawPath.length() - 1) : rawPath;
                host = new HttpHost(sslContext != null ? "https" : "http", dockerHost.getHost(), dockerHost.getPort());
            }
            default -> throw new IllegalArgumentException("Unsupported Docker host scheme: " + dockerHost);
        }
        var socketPath = dockerHost.getPath();
        var tls = sslContext != null ? new DefaultClientTlsStrategy(sslContext) : DefaultClientTlsStrategy.createSystemDefault();
        var operator = new DefaultHttpClientConnectionOperator(
                proxy -> "unix".equals(scheme) ? UnixSocket.get(socketPath) : proxy == null ? new Socket() : new Socket(proxy),
                DefaultSchemePortResolver.INSTANCE, SystemDefaultDnsResolver.INSTANCE,
                name -> "https".equalsIgnoreCase(name) ? tls : null);
        // The daemon streams some answers with "Transfer-Encoding: identity": read those to the end of the connection.
        ContentLengthStrategy lengths = message -> {
            Header encoding = message.getFirstHeader(HttpHeaders.TRANSFER_ENCODING);
            return encoding != null && "identity".equalsIgnoreCase(encoding.getValue())
                    ? ContentLengthStrategy.UNDEFINED : DefaultContentLengthStrategy.INSTANCE.determineLength(message);
        };
        connections = new PoolingHttpClientConnectionManager(operator, null, null, null,
                new ManagedHttpClientConnectionFactory(null, null, null, null, lengths, null));
        connections.setDefaultSocketConfig(SocketConfig.copy(SocketConfig.DEFAULT).setSoTimeout(Timeout.ZERO_MILLISECONDS).build());
        connections.setMaxTotal(maxConnections);
        connections.setDefaultMaxPerRoute(maxConnections);
        connections.setDefaultConnectionConfig(ConnectionConfig.custom()
                .setValidateAfterInactivity(TimeValue.NEG_ONE_SECOND)
                .setConnectTimeout(Timeout.of(connectionTimeout.toMillis(), TimeUnit.MILLISECONDS))
                .build());
        // httpclient5 retries only idempotent requests (GET, DELETE); create and start are never sent twice.
        http = HttpClients.custom()
                .setConnectionManager(connections)
                .setDefaultRequestConfig(RequestConfig.custom().build())
                .disableConnectionState()
                .build();
    }

    @Override
    public Response execute(Request request) {
        if (request.hijackedInput() != null) {
            throw new UnsupportedOperationException("connection upgrades are not supported by the gateway's Docker client");
        }
        var httpRequest = new HttpUriRequestBase(request.method(), URI.create(pathPrefix + request.path()));
        httpRequest.setScheme(host.getSchemeName());
        httpRequest.setAuthority(new URIAuthority(host.getHostName(), host.getPort()));
        request.headers().forEach(httpRequest::addHeader);
        var bytes = request.bodyBytes();
        if (bytes != null) {
            httpRequest.setEntity(new ByteArrayEntity(bytes, null));
        } else if (request.body() != null) {
            httpRequest.setEntity(new InputStreamEntity(request.body(), null));
        }
        var call = CURRENT.get();
        if (call != null) {
            call.register(httpRequest, this);
        }
        try {
            var answer = new AnswerOf(httpRequest, http.executeOpen(host, httpRequest, new HttpCoreContext()));
            lastAnswerNanos.set(System.nanoTime());
            return answer;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws IOException {
        http.close();
    }

    private record AnswerOf(HttpUriRequestBase request, ClassicHttpResponse response) implements Response {
        @Override
        public int getStatusCode() {
            return response.getCode();
        }

        @Override
        public Map<String, List<String>> getHeaders() {
            return Stream.of(response.getHeaders()).collect(Collectors.groupingBy(NameValuePair::getName,
                    Collectors.mapping(NameValuePair::getValue, Collectors.toList())));
        }

        @Override
        public String getHeader(String name) {
            var header = response.getFirstHeader(name);
            return header == null ? null : header.getValue();
        }

        @Override
        public InputStream getBody() {
            try {
                return response.getEntity() != null ? response.getEntity().getContent() : EmptyInputStream.INSTANCE;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void close() {
            // Aborting releases the connection without reading the rest of a stream the caller no longer wants.
            request.cancel();
            try {
                response.close();
            } catch (IOException | RuntimeException ignored) {
                // the connection is discarded either way
            }
        }
    }
}
