package esb.training;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The handler docker/build-runtime-java21.sh runs the runtime interface client with, at build time, to record the
 * image's AOT cache: the client's start, JSON in and out, and a function error. Not in the image.
 */
public class TrainingHandler implements RequestHandler<Map<String, Object>, Map<String, Object>> {
    @Override
    public Map<String, Object> handleRequest(Map<String, Object> input, Context context) {
        if (Boolean.TRUE.equals(input.get("fail"))) throw new IllegalStateException("failing as asked");
        context.getLogger().log("training " + context.getAwsRequestId());
        Map<String, Object> out = new LinkedHashMap<>(input);
        out.put("function", context.getFunctionName());
        out.put("remainingMs", context.getRemainingTimeInMillis());
        return out;
    }
}
