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
import java.util.concurrent.Executors;
import java.util.concurrent.locks.LockSupport;

/**
 * The bench's floor: Akka HTTP with the gateway's own Akka settings (esb-akka.conf, from the gateway's jar) and nothing
 * else, answering every request with a fixed 200 JSON. What it costs per request, and per new connection, no gateway
 * built on Akka HTTP can go below; the bench reports it beside the gateway's cases. Run from the gateway's jar:
 *
 *   java -cp target/esb.jar bench/floor/AkkaHttpFloor.java PORT [DELAY_US]
 *
 * With DELAY_US, each answer comes from another thread after that long (LockSupport.parkNanos), as a gateway's comes
 * from the thread that waited for its container: what Akka HTTP costs around an answer that is not immediate
 * (BENCHMARKS.md, issue 17). The bench runs it without.
 */
public final class AkkaHttpFloor {
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        long delayNanos = args.length > 1 ? Long.parseLong(args[1]) * 1000 : -1;
        var config = ConfigFactory.parseResources("esb-akka.conf").withFallback(ConfigFactory.load());
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "akka-http-floor", config);
        var answer = HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON, "{\"ok\":true}");
        var later = Executors.newSingleThreadExecutor(runnable -> {
            var thread = new Thread(runnable, "floor-answerer");
            thread.setDaemon(true);
            return thread;
        });
        Function<HttpRequest, CompletionStage<HttpResponse>> handler = request -> {
            request.discardEntityBytes(system);
            if (delayNanos < 0) {
                return CompletableFuture.completedFuture(answer);
            }
            return CompletableFuture.supplyAsync(() -> {
                LockSupport.parkNanos(delayNanos);
                return answer;
            }, later);
        };
        Http.get(system).newServerAt("127.0.0.1", port).bind(handler).toCompletableFuture().join();
        System.out.println("akka-http-floor listening on 127.0.0.1:" + port);
    }
}
