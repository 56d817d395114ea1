package io.esb.http;

import io.esb.route.RouteTable;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Objects;

/** What the REST (v1) and HTTP API (v2) event builders share: the ids they report and how an event becomes bytes. */
public abstract class ProxyEvents {
    protected final ObjectMapper mapper;
    protected final String accountId;
    protected final String apiId;

    protected ProxyEvents(ObjectMapper mapper, String accountId, String apiId) {
        this.mapper = Objects.requireNonNull(mapper, "mapper");
        this.accountId = accountId;
        this.apiId = apiId;
    }

    /**
     * The proxy event for one request. {@code stageVariables} may be null or empty; {@code claims}, when non-null,
     * is the authorizer's result placed where the payload format puts it.
     */
    public abstract ObjectNode build(IncomingRequest req, RouteTable.Entry route, Map<String, String> pathParameters,
                                     String stage, Map<String, String> stageVariables, Map<String, String> claims);

    /** Same as the full overload with no stage variables and no authorizer. */
    public ObjectNode build(IncomingRequest req, RouteTable.Entry route, Map<String, String> pathParameters, String stage) {
        return build(req, route, pathParameters, stage, null, null);
    }

    public byte[] toBytes(ObjectNode event) {
        try {
            return mapper.writeValueAsBytes(event);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
