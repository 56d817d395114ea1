package io.esb.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

/**
 * Where the gateway's configuration comes from, so live reload can read it again and knows which files to watch.
 * Another loader (a SAM template, say) supplies its own: {@link #of} with its loader and every file it reads.
 */
public interface ConfigSource {

    /** Reads the whole configuration afresh (esb.* and akka.*, with reference.conf and the environment). */
    Config load();

    /** Files whose changes should trigger a reload; empty when nothing can be watched. */
    List<Path> watchedFiles();

    /**
     * The files to watch once {@code loaded} has been read from this source: {@link #watchedFiles()} and the files the
     * configuration itself names, such as the SAM template ({@code esb.sam.template}).
     */
    default List<Path> watchedFiles(EsbSettings loaded) {
        var files = new java.util.ArrayList<>(watchedFiles());
        if (loaded.sam().present()) {
            files.add(loaded.sam().path().toAbsolutePath().normalize());
        }
        return List.copyOf(files);
    }

    /** For log lines: where the configuration is read from. */
    String description();

    static ConfigSource of(String description, Supplier<Config> loader, List<Path> watchedFiles) {
        var files = watchedFiles.stream().map(p -> p.toAbsolutePath().normalize()).toList();
        return new ConfigSource() {
            @Override
            public Config load() {
                return loader.get();
            }

            @Override
            public List<Path> watchedFiles() {
                return files;
            }

            @Override
            public String description() {
                return description;
            }
        };
    }

    /** One HOCON file over the gateway's defaults ({@link EsbConfig}); a missing file is an error rather than an empty configuration. */
    static ConfigSource ofFile(Path file) {
        return of(file.toString(), () -> EsbConfig.load(ConfigFactory.parseFile(file.toFile(),
                ConfigParseOptions.defaults().setAllowMissing(false))), List.of(file));
    }

    /**
     * What {@code java -jar esb.jar} reads: {@code -Dconfig.file} (or {@code config.resource}/{@code config.url},
     * which are not watched), else {@code ./application.conf} when present, else reference.conf alone.
     */
    static ConfigSource fromSystem() {
        var configFile = System.getProperty("config.file");
        if (configFile != null) {
            return of(configFile, ConfigSource::loadDefault, List.of(Path.of(configFile)));
        }
        if (System.getProperty("config.resource") != null || System.getProperty("config.url") != null) {
            return of("config.resource / config.url", ConfigSource::loadDefault, List.of());
        }
        var local = Path.of("application.conf");
        if (Files.isRegularFile(local)) {
            return ofFile(local.toAbsolutePath());
        }
        return of("reference.conf", ConfigSource::loadDefault, List.of());
    }

    private static Config loadDefault() {
        return EsbConfig.load(ConfigFactory.defaultApplication());
    }
}
