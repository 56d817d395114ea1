package io.esb.http;

import akka.event.LoggingAdapter;
import akka.http.ParsingErrorHandler;
import akka.http.javadsl.model.HttpResponse;
import akka.http.scaladsl.model.ErrorInfo;
import akka.http.scaladsl.model.StatusCode;
import akka.http.scaladsl.settings.ServerSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * Answers requests too malformed for a route to see ({@code akka.http.server.parsing.error-handler}): JSON like every
 * other error, and 400 for a request line Akka reads as an unknown protocol. A raw space in the target
 * ({@code GET /fn name HTTP/1.1}) leaves {@code name HTTP/1.1} where the protocol belongs; that is the client's
 * mistake, not a version this server lacks, so it is not a 505.
 */
public final class ParseErrorResponses extends ParsingErrorHandler {
    /** Akka looks the handler up as a Scala object: this field is what it reads. */
    public static final ParseErrorResponses MODULE$ = new ParseErrorResponses();
    private static final Logger log = LoggerFactory.getLogger(ParseErrorResponses.class);

    @Override
    public HttpResponse handle(StatusCode status, ErrorInfo info, LoggingAdapter akkaLog, ServerSettings settings) {
        return respond(status.intValue(), info.summary(), info.detail());
    }

    static HttpResponse respond(int status, String summary, String detail) {
        int answered = status == 505 ? 400 : status;
        var reason = answered == 400 && status == 505
                ? "the request line must be METHOD SP target SP HTTP/1.x, with no raw space in the target (encode it as %20)"
                : detail == null || detail.isEmpty() ? summary : summary + ": " + detail;
        log.warn("Malformed request refused", kv("status", answered), kv("error_detail", reason));
        return JsonResponses.error(answered, "Malformed request", "reason", reason);
    }
}
