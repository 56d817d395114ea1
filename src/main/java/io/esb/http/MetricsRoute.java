package io.esb.http;

import akka.http.javadsl.model.ContentType;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpEntities;
import akka.http.javadsl.model.HttpMethods;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.HttpResponse;
import io.esb.observability.GatewayMetrics;

/**
 * {@code GET /metrics}: the Prometheus scrape, rendered from memory on the request's thread (it never calls Docker or
 * asks an actor). OpenMetrics when the scraper's {@code Accept} asks for it, Prometheus text otherwise.
 */
final class MetricsRoute {
    private static final ContentType TEXT = ContentTypes.parse(GatewayMetrics.TEXT_CONTENT_TYPE);
    private static final ContentType OPENMETRICS = ContentTypes.parse(GatewayMetrics.OPENMETRICS_CONTENT_TYPE);

    private MetricsRoute() {}

    static HttpResponse respond(GatewayMetrics metrics, HttpRequest request) {
        if (!metrics.enabled()) {
            return JsonResponses.error(404, "Metrics are disabled (esb.metrics.enabled = false)");
        }
        boolean head = request.method().equals(HttpMethods.HEAD);
        if (!head && !request.method().equals(HttpMethods.GET)) {
            return JsonResponses.error(405, "Method " + request.method().value() + " not allowed on /metrics", "allowedMethods", "GET, HEAD");
        }
        var accept = request.getHeader("Accept").map(h -> h.value()).orElse(null);
        var contentType = GatewayMetrics.negotiate(accept).equals(GatewayMetrics.OPENMETRICS_CONTENT_TYPE) ? OPENMETRICS : TEXT;
        // HEAD: the headers a GET would get, without rendering the scrape.
        var body = head ? new byte[0] : metrics.scrape(accept).body();
        return HttpResponse.create().withStatus(200).withEntity(HttpEntities.create(contentType, body));
    }
}
