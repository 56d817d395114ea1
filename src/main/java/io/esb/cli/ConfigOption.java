package io.esb.cli;

import io.esb.config.ConfigException;
import io.esb.config.ConfigSource;
import io.esb.config.EsbSettings;
import io.esb.config.SettingsLoader;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code --config FILE}: the configuration a command reads, the same one the gateway reads: the file given, else
 * {@code -Dconfig.file}, else {@code ./application.conf}, else the defaults ({@link ConfigSource#fromSystem()}). So
 * the instance id, Docker host and address the commands use are the gateway's own.
 */
final class ConfigOption {
    @Option(names = "--config", paramLabel = "FILE",
            description = "Configuration file (default: -Dconfig.file, else ./application.conf, else the defaults).")
    Path file;

    private EsbSettings settings;

    ConfigSource source() {
        if (file == null) {
            return ConfigSource.fromSystem();
        }
        if (!Files.isRegularFile(file)) {
            throw new CliFailure("no configuration file at " + file.toAbsolutePath(), EsbCommand.USAGE);
        }
        return ConfigSource.ofFile(file.toAbsolutePath());
    }

    /** Read and validated once per command; a bad configuration ends it with the gateway's own one-line message. */
    EsbSettings settings() {
        if (settings == null) {
            try {
                settings = SettingsLoader.load(source().load());
            } catch (ConfigException e) {
                throw new CliFailure(e.getMessage(), EsbCommand.USAGE);
            } catch (com.typesafe.config.ConfigException e) {
                throw new CliFailure("cannot read the configuration: " + e.getMessage(), EsbCommand.USAGE);
            }
        }
        return settings;
    }

    /** Where the configured gateway answers on this host: its interface, or loopback when it listens on all of them. */
    String gatewayUrl() {
        var http = settings().http();
        var host = http.iface().equals("0.0.0.0") || http.iface().equals("::") ? "127.0.0.1" : http.iface();
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + http.port();
    }
}
