package io.esb.http;

import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.headers.RawHeader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.esb.config.FunctionSettings;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Collection;
import java.util.List;

/**
 * The read-only Lambda control plane's answers in AWS's JSON shapes (ListFunctions, GetFunction,
 * GetFunctionConfiguration, GetAccountSettings), built from the functions' settings. Every function is an image
 * function at {@code $LATEST}; what a local gateway does not have (code size, a role) is given AWS's neutral value.
 */
final class LambdaControlPlane {
    /** AWS's {@code LastModified} format, e.g. {@code 2024-01-01T00:00:00.000+0000}. */
    private static final DateTimeFormatter LAST_MODIFIED = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ").withZone(ZoneOffset.UTC);
    /** AWS's default quotas, which a local gateway does not enforce but SDKs expect to find. */
    private static final long TOTAL_CODE_SIZE = 80_530_636_800L;
    private static final long CODE_SIZE_UNZIPPED = 262_144_000L;
    private static final long CODE_SIZE_ZIPPED = 52_428_800L;

    private final String region;
    private final String accountId;
    private final String lastModified;

    /** {@code lastModified}: when the functions were loaded (the gateway's start). */
    LambdaControlPlane(String region, String accountId, Instant lastModified) {
        this.region = region;
        this.accountId = accountId;
        this.lastModified = LAST_MODIFIED.format(lastModified);
    }

    String functionArn(String name) {
        return "arn:aws:lambda:" + region + ":" + accountId + ":function:" + name;
    }

    /** {@code FunctionConfiguration}, as ListFunctions lists and GetFunctionConfiguration returns it. */
    ObjectNode configuration(FunctionSettings function) {
        var node = JsonResponses.object()
                .put("FunctionName", function.name())
                .put("FunctionArn", functionArn(function.name()))
                .put("Role", "arn:aws:iam::" + accountId + ":role/esb")
                .put("CodeSize", 0)
                .put("Description", "")
                .put("Timeout", function.timeout().toSeconds())
                .put("MemorySize", function.memoryMb())
                .put("LastModified", lastModified)
                .put("CodeSha256", function.containerSpecHash())
                .put("Version", "$LATEST");
        if (!function.environment().isEmpty()) {
            var variables = node.putObject("Environment").putObject("Variables");
            function.environment().forEach(variables::put);
        }
        node.put("PackageType", "Image")
                .put("State", "Active")
                .put("LastUpdateStatus", "Successful");
        node.putArray("Architectures").add("x86_64");
        node.putObject("EphemeralStorage").put("Size", 512);
        return node;
    }

    /** ListFunctions: one page, with {@code NextMarker} (the last name on it) when more follow. */
    HttpResponse listFunctions(List<FunctionSettings> page, String nextMarker, String requestId) {
        var body = JsonResponses.object();
        var list = body.putArray("Functions");
        for (var function : page) {
            list.add(configuration(function));
        }
        if (nextMarker != null) {
            body.put("NextMarker", nextMarker);
        }
        return answer(body, requestId);
    }

    /** GetFunction: the configuration, where the code is (its image) and the function's concurrency limit. */
    HttpResponse getFunction(FunctionSettings function, String requestId) {
        var body = JsonResponses.object();
        body.set("Configuration", configuration(function));
        body.putObject("Code").put("RepositoryType", "ECR").put("ImageUri", function.image());
        body.putObject("Concurrency").put("ReservedConcurrentExecutions", function.maxConcurrency());
        return answer(body, requestId);
    }

    HttpResponse getFunctionConfiguration(FunctionSettings function, String requestId) {
        return answer(configuration(function), requestId);
    }

    /**
     * GetAccountSettings: the account's concurrency is {@code esb.containers.max-total}; what the functions' own limits
     * (their reserved concurrency here) leave of it is unreserved.
     */
    HttpResponse accountSettings(Collection<FunctionSettings> functions, int maxTotal, String requestId) {
        long reserved = 0;
        for (var function : functions) {
            reserved += function.maxConcurrency();
        }
        var body = JsonResponses.object();
        body.putObject("AccountLimit")
                .put("TotalCodeSize", TOTAL_CODE_SIZE)
                .put("CodeSizeUnzipped", CODE_SIZE_UNZIPPED)
                .put("CodeSizeZipped", CODE_SIZE_ZIPPED)
                .put("ConcurrentExecutions", maxTotal)
                .put("UnreservedConcurrentExecutions", Math.max(0, maxTotal - reserved));
        body.putObject("AccountUsage")
                .put("TotalCodeSize", 0)
                .put("FunctionCount", functions.size());
        return answer(body, requestId);
    }

    private static HttpResponse answer(ObjectNode body, String requestId) {
        return JsonResponses.json(200, body).addHeader(RawHeader.create("X-Amzn-RequestId", requestId));
    }
}
