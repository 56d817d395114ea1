package example;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import example.greeting.Greeting;

import java.util.Map;

/** GET /hello?name=Ada answers {"message":"Hello, Ada!","function":"<function name>"}; the greeting comes from the layer. */
public class HelloApi implements RequestHandler<APIGatewayProxyRequestEvent, APIGatewayProxyResponseEvent> {
    @Override
    public APIGatewayProxyResponseEvent handleRequest(APIGatewayProxyRequestEvent event, Context context) {
        Map<String, String> query = event.getQueryStringParameters();
        String name = query == null ? null : query.get("name");
        String body = "{\"message\":" + json(Greeting.greet(name))
                + ",\"function\":" + json(context.getFunctionName())
                + ",\"requestId\":" + json(context.getAwsRequestId()) + "}";
        context.getLogger().log("greeted " + (name == null ? "nobody" : name));
        return new APIGatewayProxyResponseEvent()
                .withStatusCode(200)
                .withHeaders(Map.of("Content-Type", "application/json"))
                .withBody(body);
    }

    /** A JSON string literal (no JSON library is needed for three fields). */
    static String json(String s) {
        if (s == null) return "null";
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                case '\n': sb.append("\\n"); break;
                case '\r': sb.append("\\r"); break;
                case '\t': sb.append("\\t"); break;
                default:
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
