package example;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Echoes its input with what the runtime was told about the invocation added: "handledBy" (the function name),
 * "requestId", "functionArn", "memoryLimitMb", "logStream" (one per container), "clientCustom" (the caller's client
 * context) and "remainingMs". Input {"fail": true} makes it throw
 * (a function error); {"sleepMs": N} makes it sleep N ms first (to test timeouts).
 */
public class Plain implements RequestHandler<Map<String, Object>, Map<String, Object>> {
    @Override
    public Map<String, Object> handleRequest(Map<String, Object> input, Context context) {
        Object sleepMs = input == null ? null : input.get("sleepMs");
        if (sleepMs instanceof Number) {
            try {
                Thread.sleep(((Number) sleepMs).longValue());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (input != null && Boolean.TRUE.equals(input.get("fail"))) {
            throw new RuntimeException("failing as asked");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        if (input != null) out.putAll(input);
        out.put("handledBy", context.getFunctionName());
        out.put("requestId", context.getAwsRequestId());
        out.put("functionArn", context.getInvokedFunctionArn());
        out.put("memoryLimitMb", context.getMemoryLimitInMB());
        out.put("logStream", context.getLogStreamName());
        out.put("clientCustom", context.getClientContext() == null ? null : context.getClientContext().getCustom());
        out.put("remainingMs", context.getRemainingTimeInMillis());
        return out;
    }
}
