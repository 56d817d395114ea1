package io.esb.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.URLEncoder;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Docker Engine API over its unix socket with a raw HTTP/1.1 client (no CLI process, no client library), so the
 * cold-start baseline pays only what the daemon itself costs.
 */
final class DockerEngine {
    record Reply(int status, String body) {
        Object json() {
            return MiniJson.parse(body);
        }
    }

    private final Path socket;

    DockerEngine() {
        var host = System.getenv("DOCKER_HOST");
        if (host != null && !host.isBlank() && !host.startsWith("unix://")) {
            throw new IllegalStateException("the benchmark talks to the Docker Engine over a unix socket; DOCKER_HOST=" + host);
        }
        this.socket = Path.of(host == null || host.isBlank() ? "/var/run/docker.sock" : host.substring("unix://".length()));
    }

    String describe() {
        return "unix://" + socket;
    }

    Reply call(String method, String path, String jsonBody) throws IOException {
        try (var channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            var body = jsonBody == null ? null : jsonBody.getBytes(StandardCharsets.UTF_8);
            var head = new StringBuilder().append(method).append(' ').append(path)
                    .append(" HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n");
            if (body != null) {
                head.append("Content-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n");
            }
            head.append("\r\n");
            var out = Channels.newOutputStream(channel);
            out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
            if (body != null) {
                out.write(body);
            }
            out.flush();
            var response = RawHttp.readResponse(new BufferedInputStream(Channels.newInputStream(channel), 16 * 1024));
            return new Reply(response.status(), response.text());
        }
    }

    Reply checked(String method, String path, String jsonBody) throws IOException {
        var reply = call(method, path, jsonBody);
        if (reply.status() >= 300) {
            throw new IOException("Docker " + method + " " + path + " answered " + reply.status() + ": " + reply.body().trim());
        }
        return reply;
    }

    String version() throws IOException {
        @SuppressWarnings("unchecked")
        var v = (Map<String, Object>) checked("GET", "/version", null).json();
        return "Engine " + v.get("Version") + " (API " + v.get("ApiVersion") + ")";
    }

    boolean imageExists(String image) throws IOException {
        return call("GET", "/images/" + image + "/json", null).status() == 200;
    }

    /** A running container: its id and the host port published for 8080. */
    record Running(String id, String name, int hostPort) {}

    /** Containers carrying every given label (key=value), running or not. */
    @SuppressWarnings("unchecked")
    List<Running> list(String... labels) throws IOException {
        var filter = new StringBuilder("{\"label\":[");
        for (int k = 0; k < labels.length; k++) {
            filter.append(k == 0 ? "" : ",").append('"').append(labels[k]).append('"');
        }
        filter.append("]}");
        var reply = checked("GET", "/containers/json?all=1&filters=" + URLEncoder.encode(filter.toString(), StandardCharsets.UTF_8), null);
        var result = new ArrayList<Running>();
        for (var o : (List<Object>) reply.json()) {
            var c = (Map<String, Object>) o;
            int port = 0;
            var ports = (List<Object>) c.get("Ports");
            if (ports != null) {
                for (var p : ports) {
                    var pm = (Map<String, Object>) p;
                    if (pm.get("PrivatePort") instanceof Number priv && priv.intValue() == 8080 && pm.get("PublicPort") instanceof Number pub) {
                        port = pub.intValue();
                    }
                }
            }
            var names = (List<Object>) c.get("Names");
            var name = names == null || names.isEmpty() ? "" : String.valueOf(names.get(0)).replaceFirst("^/", "");
            result.add(new Running((String) c.get("Id"), name, "running".equals(c.get("State")) ? port : 0));
        }
        return result;
    }

    /** Same options as the gateway's create (port 127.0.0.1::8080, memory limit, no capabilities, no-new-privileges). */
    String create(String name, String image, Map<String, String> env, Map<String, String> labels, long memoryBytes) throws IOException {
        var spec = new LinkedHashMap<String, Object>();
        spec.put("Image", image);
        spec.put("Env", env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
        spec.put("Labels", labels);
        spec.put("ExposedPorts", Map.of("8080/tcp", Map.of()));
        var host = new LinkedHashMap<String, Object>();
        host.put("PortBindings", Map.of("8080/tcp", List.of(Map.of("HostIp", "127.0.0.1", "HostPort", ""))));
        host.put("Memory", memoryBytes);
        host.put("MemorySwap", memoryBytes);
        host.put("SecurityOpt", List.of("no-new-privileges"));
        host.put("CapDrop", List.of("ALL"));
        spec.put("HostConfig", host);
        @SuppressWarnings("unchecked")
        var created = (Map<String, Object>) checked("POST", "/containers/create?name=" + name, MiniJson.write(spec)).json();
        return (String) created.get("Id");
    }

    void start(String id) throws IOException {
        checked("POST", "/containers/" + id + "/start", null);
    }

    @SuppressWarnings("unchecked")
    int publishedPort(String id) throws IOException {
        var inspected = (Map<String, Object>) checked("GET", "/containers/" + id + "/json", null).json();
        var ports = (Map<String, Object>) ((Map<String, Object>) inspected.get("NetworkSettings")).get("Ports");
        var bindings = (List<Object>) ports.get("8080/tcp");
        if (bindings == null || bindings.isEmpty()) {
            throw new IOException("container " + id + " has no published port for 8080");
        }
        return Integer.parseInt((String) ((Map<String, Object>) bindings.get(0)).get("HostPort"));
    }

    void removeForce(String id) throws IOException {
        var reply = call("DELETE", "/containers/" + id + "?force=1&v=1", null);
        if (reply.status() >= 300 && reply.status() != 404) {
            throw new IOException("remove " + id + ": " + reply.status() + " " + reply.body().trim());
        }
    }

    /** Removes every container carrying the label; returns how many. */
    int removeLabelled(String label) {
        int n = 0;
        try {
            for (var c : list(label)) {
                removeForce(c.id());
                n++;
            }
        } catch (IOException e) {
            System.err.println("bench: cleanup of " + label + " failed: " + e.getMessage());
        }
        return n;
    }
}
