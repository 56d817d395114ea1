import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.http.javadsl.Http;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.HttpResponse;
import akka.japi.function.Function;
import com.typesafe.config.ConfigFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The bench's floor: Akka HTTP with the gateway's own Akka settings (esb-akka.conf, from the gateway's jar) and nothing
 * else, answering every request with a fixed 200 JSON. What it costs per request, and per new connection, no gateway
 * built on Akka HTTP can go below; the bench reports it beside the gateway's cases. Run from the gateway's jar:
 *
 *   java -cp target/esb.jar bench/floor/AkkaHttpFloor.java PORT
 */
public final class AkkaHttpFloor {
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        var config = ConfigFactory.parseResources("esb-akka.conf").withFallback(ConfigFactory.load());
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "akka-http-floor", config);
        var answer = HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON, "{\"ok\":true}");
        Function<HttpRequest, CompletionStage<HttpResponse>> handler = request -> {
            request.discardEntityBytes(system);
            return CompletableFuture.completedFuture(answer);
        };
        Http.get(system).newServerAt("127.0.0.1", port).bind(handler).toCompletableFuture().join();
        System.out.println("akka-http-floor listening on 127.0.0.1:" + port);
    }
}
