package io.esb.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** The gateway's HTTP API as the commands use it, over loopback; a gateway that does not answer is a {@link CliFailure}. */
final class GatewayClient {
    static final ObjectMapper JSON = new ObjectMapper();
    private final String baseUrl;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    GatewayClient(String baseUrl) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    }

    String baseUrl() {
        return baseUrl;
    }

    static String notRunning(String url) {
        return "no gateway answers at " + url + " (start it with esb up)";
    }

    HttpResponse<String> get(String path, Duration timeout) {
        return send(request(path, timeout).GET().build());
    }

    HttpResponse<String> delete(String path, Duration timeout) {
        return send(request(path, timeout).DELETE().build());
    }

    HttpResponse<String> post(String path, byte[] body, Map<String, String> headers, Duration timeout) {
        var request = request(path, timeout).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(request::header);
        return send(request.build());
    }

    private HttpRequest.Builder request(String path, Duration timeout) {
        URI uri;
        try {
            uri = URI.create(baseUrl + path);
        } catch (IllegalArgumentException e) {
            throw new CliFailure("not a URL: " + baseUrl + path, EsbCommand.USAGE);
        }
        if (!"http".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new CliFailure("not an http:// URL: " + baseUrl, EsbCommand.USAGE);
        }
        return HttpRequest.newBuilder(uri).timeout(timeout);
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException | HttpConnectTimeoutException e) {
            throw new CliFailure(notRunning(baseUrl));
        } catch (IOException e) {
            if (e.getCause() instanceof ConnectException) {
                throw new CliFailure(notRunning(baseUrl));
            }
            throw new CliFailure("the gateway at " + baseUrl + " gave no answer to " + request.method() + " "
                    + request.uri().getRawPath() + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliFailure("interrupted while waiting for " + baseUrl);
        }
    }

    /** The body as JSON, or null when it is not JSON. */
    static JsonNode jsonOrNull(String body) {
        try {
            var node = JSON.readTree(body);
            return node == null || node.isMissingNode() ? null : node;
        } catch (IOException e) {
            return null;
        }
    }

    /** The gateway's error message ({@code message}, AWS's {@code Type} beside it), else the body as it came. */
    static String errorMessage(HttpResponse<String> response) {
        var json = jsonOrNull(response.body());
        var type = response.headers().firstValue("x-amzn-ErrorType").map(t -> " " + t).orElse("");
        var message = json != null && json.hasNonNull("message") ? json.get("message").asText() : response.body().strip();
        return message + " (HTTP " + response.statusCode() + type + ")";
    }
}
