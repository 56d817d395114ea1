package io.esb.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.esb.EsbGateway;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;

/**
 * A real gateway in this JVM on an ephemeral loopback port, with its own {@code esb.instance} label so tests never
 * touch each other's containers. Functions: {@code fx} (the fixture image) and {@code hello}.
 */
public final class GatewayUnderTest implements AutoCloseable {
    public static final ObjectMapper JSON = new ObjectMapper();
    public static final String BASE_FUNCTIONS = """
            esb.functions {
              fx {
                image = "esb-fixture:latest"
                timeout = 3s
                memory-mb = 128
                max-concurrency = 1
                environment { GREETING = "Hi" }
                routes = [
                  { method = "ANY", path = "/fx/{proxy+}" },
                  { method = "GET", path = "/fx" },
                  { method = "POST", path = "/only-post" }
                ]
              }
              hello {
                image = "esb-example-hello:latest"
                timeout = 5s
                routes = [ { method = "GET", path = "/api/hello" }, { method = "POST", path = "/api/hello" } ]
              }
            }
            """;

    public final String instanceId;
    public final EsbGateway gateway;
    public final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private GatewayUnderTest(String instanceId, EsbGateway gateway) {
        this.instanceId = instanceId;
        this.gateway = gateway;
    }

    public static String newInstanceId(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    public static GatewayUnderTest start(String instanceId, String extraConfig) throws Exception {
        var config = io.esb.config.EsbConfig.load(ConfigFactory.parseString(extraConfig + "\n" + BASE_FUNCTIONS
                + "\nesb.http.port = 0\nesb.docker.instance-id = \"" + instanceId + "\"\n"));
        return new GatewayUnderTest(instanceId, EsbGateway.start(config));
    }

    /**
     * A gateway started from a configuration file, with live reload (watched as {@code esb.reload.*} says). The file
     * sets the port (0) and {@code esb.docker.instance-id = instanceId} itself.
     */
    public static GatewayUnderTest startFromFile(String instanceId, java.nio.file.Path file) throws Exception {
        return new GatewayUnderTest(instanceId, EsbGateway.start(io.esb.config.ConfigSource.ofFile(file)));
    }

    public String url(String pathAndQuery) {
        return "http://127.0.0.1:" + gateway.port() + pathAndQuery;
    }

    public HttpResponse<String> get(String pathAndQuery) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url(pathAndQuery))).timeout(Duration.ofSeconds(60)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> post(String pathAndQuery, String body) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url(pathAndQuery))).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> invoke(String function, String payload) throws IOException, InterruptedException {
        return post("/2015-03-31/functions/" + function + "/invocations", payload);
    }

    public static JsonNode json(HttpResponse<String> response) throws IOException {
        return JSON.readTree(response.body());
    }

    /**
     * The real AWS SDK v2 Lambda client, pointed at this gateway with only an endpoint override and static credentials,
     * and no retries, so every answer the gateway gives is the one the test sees.
     */
    public software.amazon.awssdk.services.lambda.LambdaClient lambdaClient(software.amazon.awssdk.regions.Region region,
                                                                          Duration socketTimeout) {
        return software.amazon.awssdk.services.lambda.LambdaClient.builder()
                .endpointOverride(java.net.URI.create("http://127.0.0.1:" + gateway.port()))
                .region(region)
                .credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                        software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create("AKIDEXAMPLE", "secret")))
                .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.builder().socketTimeout(socketTimeout).build())
                .overrideConfiguration(software.amazon.awssdk.core.client.config.ClientOverrideConfiguration.builder()
                        .retryPolicy(software.amazon.awssdk.core.retry.RetryPolicy.none()).build())
                .build();
    }

    /** Sends a request line exactly as given, bypassing any client-side path normalisation. Returns status and body. */
    public String[] rawRequest(String method, String rawTarget) throws IOException {
        try (var socket = new Socket("127.0.0.1", gateway.port())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write((method + " " + rawTarget + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            var text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            var status = text.substring(9, 12);
            var body = text.contains("\r\n\r\n") ? text.substring(text.indexOf("\r\n\r\n") + 4) : "";
            return new String[] {status, body};
        }
    }

    /** One synchronous invocation through the SDK client. */
    public static software.amazon.awssdk.services.lambda.model.InvokeResponse invoke(software.amazon.awssdk.services.lambda.LambdaClient lambda,
                                                                                     String function, String payload) {
        return lambda.invoke(software.amazon.awssdk.services.lambda.model.InvokeRequest.builder().functionName(function)
                .payload(software.amazon.awssdk.core.SdkBytes.fromUtf8String(payload)).build());
    }

    /** As {@link #stopAndClean(GatewayUnderTest, LogCapture, String)}, first closing the class's SDK client (when it was made). */
    public static void stopAndClean(AutoCloseable client, GatewayUnderTest gateway, LogCapture logs, String instanceId) {
        if (client != null) {
            try {
                client.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        stopAndClean(gateway, logs, instanceId);
    }

    /** A test class's shared gateway: stop it (when it started), detach its log capture, remove its containers. */
    public static void stopAndClean(GatewayUnderTest gateway, LogCapture logs, String instanceId) {
        if (gateway != null) {
            gateway.close();
        }
        if (logs != null) {
            logs.close();
        }
        Docker.removeAll(instanceId);
    }

    @Override
    public void close() {
        gateway.close();
    }
}
